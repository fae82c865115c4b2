"""Budgets per user and per Moscow day, the service's daily cap, and the per-minute limits.

Before a model call `budget_reserve` charges an estimate (the prompt plus the most the answer
may take) to the user's tokens, the user's roubles and the service's roubles, all at once or
not at all; after it `budget_settle` corrects all three to the provider-reported cost
(OpenRouter reports USD per call; USD_RUB_RATE turns it into roubles). A reservation never
settled (the worker died mid-answer) stays counted at its estimate until the day ends: never
released, so a crash can only make a budget stricter, and the estimate is an upper bound of
what the call could cost. While Redis fails, reservations are counted in the database (as
ops.ratelimit does), each settled where it was reserved: a budget that outlasts Redis counts
from what the database holds, never refuses for Redis alone.

The per-minute limits are governance.per_minute's; the chat's combined trips (a question's
window with its first reservation, a settle with its tools' admissions and the next call's
reservation) are governance.trips'.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from core import metrics
from governance.models import BudgetCounter
from governance.moscow import budget_day, budget_day_end, moscow_now
from governance.policy import Limits, Policy
from governance.refusals import (
    LIMIT_RUB,
    LIMIT_SERVICE,
    LIMIT_TOKENS,
    QuotaExceeded,
)
from governance.store import (
    BudgetStore,
    Charge,
    Counter,
    DatabaseBudgetStore,
    budget_store,
)

logger = logging.getLogger(__name__)

# Roubles are counted in 1/10,000 ₽ (a hundredth of a kopeck): integer sums, no drift.
RUB_UNIT = 10_000
SCOPE_TOKENS = "tokens"
SCOPE_RUB = "rub"
SERVICE = "*"


@dataclass(frozen=True)
class Reservation:
    """What `budget_reserve` charged, and where: `budget_settle` corrects exactly these."""

    user_id: int
    day: date
    tokens: int
    rub_units: int
    store: str
    # The user's limits when reserved: a settle reports what is left of them.
    limits: Limits | None = None


@dataclass(frozen=True)
class BudgetStatus:
    """What a user has used today, for showing: `resets_at` is the next Moscow midnight."""

    tokens_used: int
    tokens_allowed: int
    rub_used: Decimal
    rub_allowed: Decimal
    resets_at: datetime


def rub_units(*, cost_usd: Decimal | float) -> int:
    """USD → 1/10,000 ₽ at USD_RUB_RATE, rounded up: a budget never undercounts."""
    rub = Decimal(str(cost_usd)) * Decimal(str(settings.USD_RUB_RATE))
    return int((rub * RUB_UNIT).to_integral_value(rounding=ROUND_CEILING))


def cost_rub(*, cost_usd: Decimal | float) -> Decimal:
    """USD → roubles at USD_RUB_RATE, to 1/10,000 ₽ rounded up (the stored ₽ figures)."""
    return _rub(rub_units(cost_usd=cost_usd))


def _rub(units: int) -> Decimal:
    return Decimal(units) / RUB_UNIT


def _counters(*, user_id: int, day: date) -> tuple[Counter, Counter, Counter]:
    return (
        Counter(SCOPE_TOKENS, str(user_id), day),
        Counter(SCOPE_RUB, str(user_id), day),
        Counter(SCOPE_RUB, SERVICE, day),
    )


def _store(name: str | None = None) -> BudgetStore:
    if name == DatabaseBudgetStore.name or not settings.REDIS_URL:
        return DatabaseBudgetStore()
    return budget_store(settings.REDIS_URL)


def _reserve(charges: list[Charge]) -> tuple[Charge | None, str]:
    store = _store()
    if store.name == DatabaseBudgetStore.name:
        return store.reserve(charges), store.name
    try:
        return store.reserve(charges), store.name
    except RedisError as exc:
        # A budget must not take the service down: the database counts while Redis is away.
        logger.warning("budget on Redis failed, counting in the database: %s", type(exc).__name__)
        database = DatabaseBudgetStore()
        return database.reserve(charges), database.name


def _refusal(*, charge: Charge, limit: str, allowed: Decimal, store: str, now: datetime):
    used = _store(store).used(charge.counter)
    metrics.quota_refusals.labels(limit).inc()
    return QuotaExceeded(
        limit=limit,
        used=_rub(used) if charge.counter.scope == SCOPE_RUB else used,
        allowed=allowed,
        resets_at=budget_day_end(now),
        now=now,
    )


def budget_reserve(*, policy: Policy, tokens: int, cost_usd: Decimal | float) -> Reservation:
    """Charge an estimate before a model call, or raise QuotaExceeded (nothing charged).

    A budget admits while it is below its limit, so concurrent questions at its edge overshoot
    it by at most one reservation. `limit` LIMIT_SERVICE: the service's cap, answer offline.
    """
    now = moscow_now()
    charges = budget_charges(policy=policy, tokens=tokens, cost_usd=cost_usd, day=budget_day(now))
    refused, store = _reserve(charges)
    if refused is not None:
        raise budget_refusal(policy=policy, refused=refused, store=store, now=now)
    return budget_reservation(policy=policy, charges=charges, store=store)


def budget_charges(
    *, policy: Policy, tokens: int, cost_usd: Decimal | float, day: date
) -> list[Charge]:
    """A model call's estimate as charges: the user's tokens, the user's ₽, the service's ₽."""
    units = rub_units(cost_usd=cost_usd)
    tokens_counter, rub_counter, service_counter = _counters(user_id=policy.user_id, day=day)
    return [
        Charge(tokens_counter, tokens, policy.limits.tokens_per_day),
        Charge(rub_counter, units, int(policy.limits.rub_per_day * RUB_UNIT)),
        Charge(service_counter, units, _cap_units()),
    ]


def _cap_units() -> int:
    return int(Decimal(str(settings.AGENT_DAILY_CAP_RUB)) * RUB_UNIT)


def budget_refusal(*, policy: Policy, refused: Charge, store: str, now: datetime) -> QuotaExceeded:
    """Why `refused` (one of _charges') was refused: which limit, what is used of it."""
    if refused.counter.scope == SCOPE_TOKENS:
        limit, allowed = LIMIT_TOKENS, Decimal(policy.limits.tokens_per_day)
    elif refused.counter.subject == SERVICE:
        limit, allowed = LIMIT_SERVICE, _rub(_cap_units())
    else:
        limit, allowed = LIMIT_RUB, policy.limits.rub_per_day
    return _refusal(charge=refused, limit=limit, allowed=allowed, store=store, now=now)


def budget_reservation(*, policy: Policy, charges: list[Charge], store: str) -> Reservation:
    tokens, rub, _ = charges
    return Reservation(
        user_id=policy.user_id,
        day=tokens.counter.day,
        tokens=tokens.amount,
        rub_units=rub.amount,
        store=store,
        limits=policy.limits,
    )


def budget_settle(
    *, reservation: Reservation, tokens: int, cost_usd: Decimal | float, status: bool = False
) -> BudgetStatus | None:
    """Correct the reservation to what the call really took (up or down), on its own day;
    the user's budget status after it, from the same round trip: Redis's settle returns the
    counters, the database reads them only when asked (`status`). None when unknown: not
    read, a reservation of a day already over, or a failed settle.

    Never raises: a settle lost to a failing store leaves the estimate counted.
    """
    deltas = settle_deltas(reservation=reservation, tokens=tokens, cost_usd=cost_usd)
    try:
        used = _store(reservation.store).adjust(deltas, read=status)
    except (RedisError, DatabaseError) as exc:  # the answer is done; its estimate stays
        logger.warning("budget settle failed, the estimate stays: %s", type(exc).__name__)
        return None
    return settled_status(reservation, used)


def settle_deltas(
    *, reservation: Reservation, tokens: int, cost_usd: Decimal | float
) -> list[tuple[Counter, int]]:
    units = rub_units(cost_usd=cost_usd)
    tokens_counter, rub_counter, service_counter = _counters(
        user_id=reservation.user_id, day=reservation.day
    )
    return [
        (tokens_counter, tokens - reservation.tokens),
        (rub_counter, units - reservation.rub_units),
        (service_counter, units - reservation.rub_units),
    ]


def settled_status(reservation: Reservation, used: list[int] | None) -> BudgetStatus | None:
    """The status from a settle's counters after it (None: not read, or not today's)."""
    now = moscow_now()
    if used is None or reservation.limits is None or reservation.day != budget_day(now):
        return None
    return _status(limits=reservation.limits, tokens_used=used[0], rub_used=used[1], now=now)


def budget_estimate(
    *, model: str, prompt_tokens: int, max_output_tokens: int
) -> tuple[int, Decimal]:
    """Tokens and USD to reserve for one call: the prompt and the longest answer allowed,
    at the model's prices (LLM_PRICES), or the dearest known prices for a model not listed."""
    tokens = prompt_tokens + max_output_tokens
    prices = settings.LLM_PRICES.get(model) or max(
        settings.LLM_PRICES.values(), key=lambda p: p[1], default=(0, 0)
    )
    usd_in, usd_out = (Decimal(str(p)) for p in prices)
    return tokens, (prompt_tokens * usd_in + max_output_tokens * usd_out) / 1_000_000


def budget_release(*, reservation: Reservation) -> BudgetStatus | None:
    """Give the whole reservation back: the call was never made or cost nothing."""
    return budget_settle(reservation=reservation, tokens=0, cost_usd=0)


def budget_status(*, policy: Policy) -> BudgetStatus:
    now = moscow_now()
    tokens_counter, rub_counter, _ = _counters(user_id=policy.user_id, day=budget_day(now))
    # One round trip (a chat answer's final frame takes its settle's status instead).
    tokens_used, rub_used = _store().used_many([tokens_counter, rub_counter])
    return _status(limits=policy.limits, tokens_used=tokens_used, rub_used=rub_used, now=now)


def _status(*, limits: Limits, tokens_used: int, rub_used: int, now: datetime) -> BudgetStatus:
    return BudgetStatus(
        tokens_used=tokens_used,
        tokens_allowed=limits.tokens_per_day,
        rub_used=_rub(rub_used),
        rub_allowed=limits.rub_per_day,
        resets_at=budget_day_end(now),
    )


def service_spend_today_rub() -> Decimal:
    """What the whole service has spent on models today (Moscow), reservations included."""
    return _rub(_store().used(Counter(SCOPE_RUB, SERVICE, budget_day(moscow_now()))))


def service_cap_reached() -> bool:
    return service_spend_today_rub() >= Decimal(str(settings.AGENT_DAILY_CAP_RUB))


def budget_counters_purge(*, keep_days: int | None = None) -> int:
    """Delete the database's budget counters of Moscow days more than `keep_days` (default
    AGENT_BUDGET_COUNTERS_KEEP_DAYS) before today; how many went. The spend view reads the
    model calls' rows, not these. Redis needs none: a key expires REDIS_TTL_S after its last
    use."""
    keep = settings.AGENT_BUDGET_COUNTERS_KEEP_DAYS if keep_days is None else keep_days
    oldest_kept = budget_day(moscow_now()) - timedelta(days=keep)
    counters = BudgetCounter.objects.using(DatabaseBudgetStore().alias)
    deleted, _ = counters.filter(day__lt=oldest_kept).delete()
    return deleted
