"""Daily budget counters that hold across workers: Redis when REDIS_URL is set, the agent's
database otherwise (one `agent_budget_counters` row per scope, subject and Moscow day).

`reserve` is one atomic check-and-add over several counters (a question charges the user's
tokens, the user's roubles and the service's roubles at once): every amount is added when
every counter is still below its limit, else none is. A counter below its limit admits a
whole reservation, so concurrent reservations at the edge of a budget overshoot it by at most
one of them; past the limit every reservation is refused. `adjust` corrects a counter by the
difference between a settled cost and its estimate, without a check: that cost is spent.

Amounts are integers (tokens, or 1/10,000 ₽): sums never drift as floats would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.db import IntegrityError, router, transaction
from django.db.models import F

from governance.models import BudgetCounter
from ops.ratelimit import redis_client

# Keys outlive their day, so an answer settled just after midnight still corrects its own.
REDIS_TTL_S = 3 * 24 * 3600


@dataclass(frozen=True)
class Counter:
    scope: str
    subject: str
    day: date

    @property
    def key(self) -> str:
        return f"agent:budget:{self.day.isoformat()}:{self.scope}:{self.subject}"


@dataclass(frozen=True)
class Charge:
    """Add `amount` to `counter` if it is below `limit`."""

    counter: Counter
    amount: int
    limit: int


class BudgetStore(Protocol):
    name: str

    def reserve(self, charges: Sequence[Charge]) -> Charge | None:
        """Add every charge, or none and return the first (in the order given) whose counter
        is at its limit."""

    def adjust(self, deltas: Sequence[tuple[Counter, int]]) -> None:
        """Add each delta (negative gives back) to its counter, unchecked."""

    def used(self, counter: Counter) -> int: ...


# KEYS: the counters; ARGV: the TTL, then each key's amount and limit in turn.
RESERVE_SCRIPT = """
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i + 1]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return 0
"""


class RedisBudgetStore:
    """One Lua script checks and adds: Redis runs it alone, so no two workers interleave."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.client = redis_client(url)
        self._reserve = self.client.register_script(RESERVE_SCRIPT)

    def reserve(self, charges: Sequence[Charge]) -> Charge | None:
        args: list[int] = [REDIS_TTL_S]
        for charge in charges:
            args += [charge.amount, charge.limit]
        refused = int(self._reserve(keys=[c.counter.key for c in charges], args=args))
        return charges[refused - 1] if refused else None

    def adjust(self, deltas: Sequence[tuple[Counter, int]]) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            for counter, delta in deltas:
                pipe.incrby(counter.key, delta)
                pipe.expire(counter.key, REDIS_TTL_S)
            pipe.execute()

    def used(self, counter: Counter) -> int:
        return int(self.client.get(counter.key) or 0)


class _Refused(Exception):
    def __init__(self, charge: Charge, *, missing: bool) -> None:
        self.charge = charge
        self.missing = missing


class DatabaseBudgetStore:
    """A conditional `UPDATE ... SET used = used + n WHERE ... AND used < limit` per counter,
    all in one transaction that rolls back when one is refused. The rows are created first,
    outside it, so the transaction only ever updates existing rows, in one order: no two
    reservations wait on each other's inserts (InnoDB) and SQLite's writer lock serialises
    them."""

    name = "database"

    def __init__(self) -> None:
        self.alias = router.db_for_write(BudgetCounter)

    def _rows(self, counter: Counter):
        return BudgetCounter.objects.using(self.alias).filter(
            scope=counter.scope, subject=counter.subject, day=counter.day
        )

    def _row_create(self, counter: Counter) -> None:
        try:
            with transaction.atomic(using=self.alias):
                BudgetCounter.objects.using(self.alias).create(
                    scope=counter.scope, subject=counter.subject, day=counter.day
                )
        except IntegrityError:
            pass  # another worker created it first

    def _reserve_once(self, charges: Sequence[Charge]) -> None:
        with transaction.atomic(using=self.alias):
            for charge in sorted(charges, key=lambda c: c.counter.key):
                rows = self._rows(charge.counter)
                if not rows.filter(used__lt=charge.limit).update(used=F("used") + charge.amount):
                    raise _Refused(charge, missing=not rows.exists())

    def reserve(self, charges: Sequence[Charge]) -> Charge | None:
        try:
            self._reserve_once(charges)
        except _Refused as refused:
            if not refused.missing:
                return self._first_at_limit(charges, refused.charge)
            # The day's first reservation of some counter: create the missing rows, once.
            for charge in charges:
                if not self._rows(charge.counter).exists():
                    self._row_create(charge.counter)
            try:
                self._reserve_once(charges)
            except _Refused as again:
                return self._first_at_limit(charges, again.charge)
        return None

    def _first_at_limit(self, charges: Sequence[Charge], refused: Charge) -> Charge:
        # The rows are updated in key order (one lock order for every reservation); the
        # refusal names the first charge in the caller's order, as the Redis script does.
        return next((c for c in charges if self.used(c.counter) >= c.limit), refused)

    def adjust(self, deltas: Sequence[tuple[Counter, int]]) -> None:
        for counter, delta in deltas:
            if delta and not self._rows(counter).update(used=F("used") + delta):
                self._row_create(counter)
                self._rows(counter).update(used=F("used") + delta)

    def used(self, counter: Counter) -> int:
        return self._rows(counter).values_list("used", flat=True).first() or 0


def budget_store(redis_url: str) -> BudgetStore:
    return RedisBudgetStore(redis_url) if redis_url else DatabaseBudgetStore()
