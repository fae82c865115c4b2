"""What the tests of governance's wiring share (chat, texts, reports): round limits, a clock
they move, and budgets spent before a test asks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from governance.budgets import budget_reserve
from governance.policy import policy_for_id
from governance.tests.helpers import MovableClock
from infrazen import clock as infrazen_clock

# 1 USD = 100 ₽; the user's day: 150 ₽, 200,000 tokens.
LIMITS = {
    "user": {
        "tokens_per_day": 200_000,
        "rub_per_day": 150,
        "questions_per_minute": 100,
        "tool_calls_per_minute": 100,
    },
    "demouser": {
        "tokens_per_day": 20_000,
        "rub_per_day": 5,
        "questions_per_minute": 100,
        "tool_calls_per_minute": 100,
    },
}


@pytest.fixture
def budget_settings(settings):
    settings.USD_RUB_RATE = 100.0
    settings.AGENT_DAILY_CAP_RUB = 3000.0
    settings.AGENT_ROLE_LIMITS = {role: dict(values) for role, values in LIMITS.items()}
    settings.LLM_MODEL_DEMO = ""
    return settings


@pytest.fixture
def moved_clock(monkeypatch) -> MovableClock:
    """20:40 in Moscow (17:40 UTC): 3 h 20 min before the budgets reset."""
    moved = MovableClock(datetime(2026, 12, 7, 17, 40, 0))
    monkeypatch.setattr(infrazen_clock, "utc_now", moved)
    return moved


def spend(user_id: int, *, rub: str, tokens: int = 0) -> None:
    """Charge `rub` roubles (at 100 ₽ the dollar) to the user's day, as earlier answers did."""
    budget_reserve(
        policy=policy_for_id(user_id=user_id), tokens=tokens, cost_usd=Decimal(rub) / 100
    )
