"""The per-minute limits: a user's questions, and each tool's calls, a minute.

ops.ratelimit's fixed windows, shared by every worker (Redis when REDIS_URL is set, the
database otherwise). governance.trips counts the chat's in the same windows from its Redis
scripts (`question_key`, `tool_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from core import metrics
from governance.moscow import moscow_now
from governance.policy import Policy
from governance.refusals import LIMIT_QUESTIONS, LIMIT_TOOL_CALLS, QuotaExceeded
from ops.ratelimit import RateDecision, rate_hit

MINUTE_S = 60


def _per_minute(*, key: str, limit: int, kind: str, tool: str = "") -> None:
    decision = rate_hit(key=key, limit=limit, window_s=MINUTE_S)
    if not decision.allowed:
        raise per_minute_refusal(decision, kind=kind, tool=tool)


def per_minute_refusal(decision: RateDecision, *, kind: str, tool: str = "") -> QuotaExceeded:
    metrics.quota_refusals.labels(kind).inc()
    now = moscow_now()
    return QuotaExceeded(
        limit=kind,
        used=decision.count,
        allowed=decision.limit,
        resets_at=now + timedelta(seconds=decision.retry_after_s),
        now=now,
        tool=tool,
    )


def question_key(policy: Policy) -> str:
    return f"governance:q:{policy.user_id}"


def question_admit(*, policy: Policy) -> None:
    """Count one question of the user's this minute, or raise QuotaExceeded."""
    _per_minute(
        key=question_key(policy),
        limit=policy.limits.questions_per_minute,
        kind=LIMIT_QUESTIONS,
    )


def tool_key(policy: Policy, tool: str) -> str:
    return f"governance:tool:{tool}:{policy.user_id}"


def tool_call_admit(*, policy: Policy, tool: str) -> None:
    """Count one call of `tool` by the user this minute, or raise QuotaExceeded."""
    _per_minute(
        key=tool_key(policy, tool),
        limit=policy.limits.tool_calls_per_minute,
        kind=LIMIT_TOOL_CALLS,
        tool=tool,
    )


def tool_calls_admit(*, policy: Policy, tools: Sequence[str]) -> list[QuotaExceeded | None]:
    """`tool_call_admit` of each of `tools` in turn: each one's refusal (None: admitted)."""
    refusals: list[QuotaExceeded | None] = []
    for tool in tools:
        try:
            tool_call_admit(policy=policy, tool=tool)
            refusals.append(None)
        except QuotaExceeded as refused:
            refusals.append(refused)
    return refusals
