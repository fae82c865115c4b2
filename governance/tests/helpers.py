"""A policy with chosen limits, and a clock the tests move (infrazen.clock.utc_now)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from governance.policy import Limits, Policy


def policy(
    user_id: int,
    *,
    tokens: int = 1_000_000,
    rub: int = 150,
    questions: int = 10,
    tool_calls: int = 30,
    role: str = "user",
) -> Policy:
    return Policy(
        user_id=user_id,
        role=role,
        limits=Limits(
            tokens_per_day=tokens,
            rub_per_day=Decimal(rub),
            questions_per_minute=questions,
            tool_calls_per_minute=tool_calls,
        ),
        model="text/primary",
    )


class MovableClock:
    """Naive UTC, as infrazen.clock.utc_now returns it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
