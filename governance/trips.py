"""The chat's budget trips, few and combined: on Redis one script each.

A question's questions-a-minute window and its first model call's reservation are one trip
(`question_admit_reserve`). A model call's settle, the calls-a-minute admission of the tools
it asked for and the reservation of the call that will read their results are one more
(`budget_settle_admit`). Without Redis (or while it fails) each part runs on its own as
governance.budgets and governance.per_minute make it, with the same results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from redis.exceptions import RedisError

from governance.budgets import (
    BudgetStatus,
    Reservation,
    budget_charges,
    budget_refusal,
    budget_reservation,
    budget_reserve,
    budget_settle,
    settle_deltas,
    settled_status,
)
from governance.moscow import budget_day, moscow_now
from governance.per_minute import (
    MINUTE_S,
    per_minute_refusal,
    question_admit,
    question_key,
    tool_calls_admit,
    tool_key,
)
from governance.policy import Policy
from governance.refusals import LIMIT_QUESTIONS, LIMIT_TOOL_CALLS, QuotaExceeded
from governance.store import DatabaseBudgetStore, RedisBudgetStore, budget_store
from ops.ratelimit import rate_decision, rate_hit_database, redis_window_key, window_ttl_s

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Estimate:
    """What a model call may take, to reserve: tokens and USD (governance.budgets'
    budget_estimate)."""

    tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class Settled:
    """A settle's trip: the user's budget after it when known, each tool's admission (None:
    admitted), and the next call's reservation when one was asked for (its refusal, or None:
    none asked)."""

    status: BudgetStatus | None
    refusals: list[QuotaExceeded | None]
    ahead: Reservation | QuotaExceeded | None = None


def question_admit_reserve(
    *, policy: Policy, tokens: int, cost_usd: Decimal | float
) -> Reservation | QuotaExceeded:
    """`question_admit`, then the first model call's `budget_reserve`: on Redis in one round
    trip (one script counts the same window as question_admit, then checks and adds as
    budget_reserve). Raises QuotaExceeded when the questions-a-minute limit refuses (nothing
    reserved); returns the budget's refusal (nothing reserved; the chat raises it where it
    would call the model, as before) or the reservation."""
    if not settings.REDIS_URL:
        question_admit(policy=policy)
        return estimate_reserve(policy, Estimate(tokens, Decimal(str(cost_usd))))
    now, clock = moscow_now(), time.time()
    charges = budget_charges(policy=policy, tokens=tokens, cost_usd=cost_usd, day=budget_day(now))
    key, limit = question_key(policy), policy.limits.questions_per_minute
    try:
        count, refused = budget_store(settings.REDIS_URL).window_hit_reserve(
            window_key=redis_window_key(key=key, window=int(clock // MINUTE_S)),
            window_ttl_s=window_ttl_s(MINUTE_S),
            window_limit=limit,
            charges=charges,
        )
        store = RedisBudgetStore.name
    except RedisError as exc:
        # As question_admit and budget_reserve do: the database counts while Redis is away.
        logger.warning("question on Redis failed, counting in the database: %s", type(exc).__name__)
        count = rate_hit_database(key=key, limit=limit, window_s=MINUTE_S, now=clock).count
        database = DatabaseBudgetStore()
        refused = database.reserve(charges) if count <= limit else None
        store = database.name
    decision = rate_decision(count=count, limit=limit, window_s=MINUTE_S, now=clock)
    if not decision.allowed:
        raise per_minute_refusal(decision, kind=LIMIT_QUESTIONS)
    if refused is not None:
        return budget_refusal(policy=policy, refused=refused, store=store, now=now)
    return budget_reservation(policy=policy, charges=charges, store=store)


def budget_settle_admit(
    *,
    reservation: Reservation,
    tokens: int,
    cost_usd: Decimal | float,
    policy: Policy,
    tools: Sequence[str],
    ahead: Estimate | None = None,
) -> Settled:
    """`budget_settle`, `tool_call_admit` of each of `tools` in turn (the calls a model call
    asked for), then `budget_reserve` of `ahead` (the next call's estimate), in one round trip
    on Redis (one script). The settle never raises; the tools' windows raise what
    tool_call_admit would (a failing database); the reservation's refusal comes back."""
    redis = reservation.store == RedisBudgetStore.name and settings.REDIS_URL
    if not redis or not (tools or ahead):
        status = budget_settle(reservation=reservation, tokens=tokens, cost_usd=cost_usd)
        refusals = tool_calls_admit(policy=policy, tools=tools)
        return Settled(status, refusals, estimate_reserve(policy, ahead))
    now, clock = moscow_now(), time.time()
    keys = [tool_key(policy, tool) for tool in tools]
    limit = policy.limits.tool_calls_per_minute
    charges = (
        budget_charges(
            policy=policy, tokens=ahead.tokens, cost_usd=ahead.cost_usd, day=budget_day(now)
        )
        if ahead
        else []
    )
    try:
        used, counts, refused = budget_store(settings.REDIS_URL).adjust_hit(
            settle_deltas(reservation=reservation, tokens=tokens, cost_usd=cost_usd),
            window_keys=[redis_window_key(key=k, window=int(clock // MINUTE_S)) for k in keys],
            window_ttl_s=window_ttl_s(MINUTE_S),
            charges=charges,
        )
        next_call = (
            None
            if not ahead
            else budget_reservation(policy=policy, charges=charges, store=RedisBudgetStore.name)
            if refused is None
            else budget_refusal(
                policy=policy, refused=refused, store=RedisBudgetStore.name, now=now
            )
        )
    except RedisError as exc:
        # The answer goes on: its estimate stays (as budget_settle), the database counts the
        # tools (as tool_call_admit) and the next call's reservation (as budget_reserve).
        logger.warning("budget settle failed, the estimate stays: %s", type(exc).__name__)
        used = None
        counts = [
            rate_hit_database(key=k, limit=limit, window_s=MINUTE_S, now=clock).count for k in keys
        ]
        next_call = estimate_reserve(policy, ahead)
    refusals = _tool_refusals(tools, counts, limit=limit, clock=clock)
    return Settled(settled_status(reservation, used), refusals, next_call)


def _tool_refusals(
    tools: Sequence[str], counts: Sequence[int], *, limit: int, clock: float
) -> list[QuotaExceeded | None]:
    """Each tool's refusal by its window's count after its hit (None: admitted)."""
    refusals: list[QuotaExceeded | None] = []
    for tool, count in zip(tools, counts, strict=True):
        decision = rate_decision(count=count, limit=limit, window_s=MINUTE_S, now=clock)
        refusals.append(
            None
            if decision.allowed
            else per_minute_refusal(decision, kind=LIMIT_TOOL_CALLS, tool=tool)
        )
    return refusals


def estimate_reserve(policy: Policy, ahead: Estimate | None) -> Reservation | QuotaExceeded | None:
    """`budget_reserve` of `ahead`: the reservation or its refusal (None: none asked)."""
    if ahead is None:
        return None
    try:
        return budget_reserve(policy=policy, tokens=ahead.tokens, cost_usd=ahead.cost_usd)
    except QuotaExceeded as refused:
        return refused
