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

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q

from governance.models import BudgetCounter
from governance.redis_scripts import (
    RESERVE_SCRIPT,
    SETTLE_SCRIPT,
    WINDOW_RESERVE_SCRIPT,
    Script,
    ThreadConnections,
)
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

    def adjust(
        self, deltas: Sequence[tuple[Counter, int]], *, read: bool = False
    ) -> list[int] | None:
        """Add each delta (negative gives back) to its counter, unchecked; each counter's
        `used` after it, from the same round trip (Redis's script always returns them; the
        database reads them only with `read`, else None)."""

    def used(self, counter: Counter) -> int: ...

    def used_many(self, counters: Sequence[Counter]) -> list[int]:
        """`used` of each counter, in one round trip."""


class RedisBudgetStore:
    """One Lua script checks and adds: Redis runs it alone, so no two workers interleave."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.client = redis_client(url)
        # The scripts on each thread's own connection (governance.redis_scripts).
        connections = ThreadConnections(self.client)
        self._reserve = Script(connections, RESERVE_SCRIPT)
        self._settle = Script(connections, SETTLE_SCRIPT)
        self._window_reserve = Script(connections, WINDOW_RESERVE_SCRIPT)

    def reserve(self, charges: Sequence[Charge]) -> Charge | None:
        args: list[int] = [REDIS_TTL_S]
        for charge in charges:
            args += [charge.amount, charge.limit]
        refused = int(self._reserve(keys=[c.counter.key for c in charges], args=args))
        return charges[refused - 1] if refused else None

    def window_hit_reserve(
        self, *, window_key: str, window_ttl_s: int, window_limit: int, charges: Sequence[Charge]
    ) -> tuple[int, Charge | None]:
        """One script: count a hit in a rate window (ops.ratelimit's key and TTL) and, when
        the window's count is still within `window_limit`, `reserve` the charges. The
        window's count after the hit, and the refused charge (None: reserved, or nothing
        tried when the window refused the hit)."""
        args: list[int] = [window_ttl_s, window_limit, REDIS_TTL_S]
        for charge in charges:
            args += [charge.amount, charge.limit]
        keys = [window_key, *(c.counter.key for c in charges)]
        count, refused = (int(n) for n in self._window_reserve(keys=keys, args=args))
        return count, charges[refused - 1] if refused else None

    def adjust(self, deltas: Sequence[tuple[Counter, int]], *, read: bool = False) -> list[int]:
        """One script: Redis runs it alone, and it returns every counter's value after."""
        return self.adjust_hit(deltas, window_keys=(), window_ttl_s=0)[0]

    def adjust_hit(
        self,
        deltas: Sequence[tuple[Counter, int]],
        *,
        window_keys: Sequence[str],
        window_ttl_s: int,
        charges: Sequence[Charge] = (),
    ) -> tuple[list[int], list[int], Charge | None]:
        """`adjust`, a hit in each rate window (ops.ratelimit's keys and TTL), then `reserve`
        of `charges` (the next model call's), in one script: the counters' values after the
        adjust, the windows' counts after their hits, and the refused charge (None:
        reserved, or none asked)."""
        keys = [
            *(counter.key for counter, _ in deltas),
            *window_keys,
            *(charge.counter.key for charge in charges),
        ]
        args = [REDIS_TTL_S, len(deltas), len(window_keys), *(n for _, n in deltas), window_ttl_s]
        for charge in charges:
            args += [charge.amount, charge.limit]
        *after, refused = (int(value) for value in self._settle(keys=keys, args=args))
        n = len(deltas)
        return after[:n], after[n:], charges[refused - 1] if refused else None

    def used(self, counter: Counter) -> int:
        return int(self.client.get(counter.key) or 0)

    def used_many(self, counters: Sequence[Counter]) -> list[int]:
        return [int(value or 0) for value in self.client.mget([c.key for c in counters])]


class DatabaseBudgetStore:
    """One conditional UPDATE over every counter of a reservation (each row gets its own
    amount, and only while `used < limit`), in a transaction that commits only when it
    matched every row: atomic on SQLite (its writer lock) and on InnoDB (the rows stay locked
    to the commit, taken in index order by every reservation alike). A row is created
    outside it, when a counter's first reservation of the day finds none."""

    name = "database"

    def __init__(self) -> None:
        self.alias = router.db_for_write(BudgetCounter)

    def _rows(self, counters: Sequence[Counter]):
        return BudgetCounter.objects.using(self.alias).filter(
            functools.reduce(operator.or_, (_match(c) for c in counters))
        )

    def _add(self, amounts: Sequence[tuple[Counter, int]], limits: Sequence[int] = ()) -> int:
        """Add each amount to its counter's row (with `limits`: only while the row's `used` is
        below its limit); the rows matched. Written in SQL: the ORM took ~1 ms to build it."""
        connection = connections[self.alias]
        quote = connection.ops.quote_name
        used = quote("used")
        match = _match_sql(quote)
        keys = [_key(c) for c, _ in amounts]
        case = " ".join(f"WHEN {match} THEN %s" for _ in amounts)
        params = [p for key, (_, amount) in zip(keys, amounts, strict=True) for p in (*key, amount)]
        if limits:
            where = " OR ".join(f"({match} AND {used} < %s)" for _ in amounts)
            params += [p for key, limit in zip(keys, limits, strict=True) for p in (*key, limit)]
        else:
            where = " OR ".join(match for _ in amounts)
            params += [p for key in keys for p in key]
        table = quote(BudgetCounter._meta.db_table)
        # Names quoted, every value bound as a parameter.
        sql = f"UPDATE {table} SET {used} = {used} + CASE {case} ELSE 0 END WHERE {where}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _reserved(self, charges: Sequence[Charge]) -> bool:
        amounts = [(c.counter, c.amount) for c in charges]
        with transaction.atomic(using=self.alias):
            if self._add(amounts, [c.limit for c in charges]) == len(charges):
                return True
            transaction.set_rollback(True, using=self.alias)
            return False

    def _rows_create(self, amounts: Sequence[tuple[Counter, int]]) -> bool:
        """Create the counters' missing rows holding their amounts (another worker may create
        one first: then the amount is added to it). False: no row was missing."""
        found = set(self._rows([c for c, _ in amounts]).values_list("scope", "subject", "day"))
        missing = [(c, n) for c, n in amounts if (c.scope, c.subject, c.day) not in found]
        for counter, amount in missing:
            try:
                with transaction.atomic(using=self.alias):
                    BudgetCounter.objects.using(self.alias).create(
                        scope=counter.scope, subject=counter.subject, day=counter.day, used=amount
                    )
            except IntegrityError:
                if amount:
                    self._add([(counter, amount)])
        return bool(missing)

    def reserve(self, charges: Sequence[Charge]) -> Charge | None:
        for _ in range(3):
            if self._reserved(charges):
                return None
            # A counter's first reservation of the day creates its row and tries again;
            # so does one whose counter a settle lowered in between.
            if not self._rows_create([(c.counter, 0) for c in charges]):
                at_limit = next((c for c in charges if self.used(c.counter) >= c.limit), None)
                if at_limit is not None:
                    return at_limit
        return charges[0]  # counters that moved under every try: refuse rather than loop

    def adjust(
        self, deltas: Sequence[tuple[Counter, int]], *, read: bool = False
    ) -> list[int] | None:
        changed = [(c, n) for c, n in deltas if n]
        if changed and self._add(changed) < len(changed):
            # Rows are never deleted within their day: one missing now was missing then.
            self._rows_create(changed)
        return self.used_many([c for c, _ in deltas]) if read else None

    def used(self, counter: Counter) -> int:
        return self.used_many([counter])[0]

    def used_many(self, counters: Sequence[Counter]) -> list[int]:
        """Written in SQL: the chat reads it with every answer, and the ORM took ~1 ms to
        build the query."""
        quote = connections[self.alias].ops.quote_name
        names = ", ".join(quote(name) for name in ("scope", "subject", "day", "used"))
        where = " OR ".join(_match_sql(quote) for _ in counters)
        table = quote(BudgetCounter._meta.db_table)
        params = [p for c in counters for p in _key(c)]
        with connections[self.alias].cursor() as cursor:
            # Names quoted, every value bound as a parameter.
            cursor.execute(f"SELECT {names} FROM {table} WHERE {where}", params)  # noqa: S608
            # A date column reads back as a date (MySQL) or its ISO text (SQLite).
            found = {(scope, subject, str(day)): used for scope, subject, day, used in cursor}
        return [found.get(tuple(_key(c)), 0) for c in counters]


def _match_sql(quote) -> str:
    """One counter's row: its key's three columns, bound in _key's order."""
    return f"({quote('scope')} = %s AND {quote('subject')} = %s AND {quote('day')} = %s)"


def _key(counter: Counter) -> list:
    return [counter.scope, counter.subject, counter.day.isoformat()]


def _match(counter: Counter) -> Q:
    return Q(scope=counter.scope, subject=counter.subject, day=counter.day)


@functools.lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisBudgetStore:
    """One store (its client and scripts) per URL and process."""
    return RedisBudgetStore(url)


def budget_store(redis_url: str) -> BudgetStore:
    return _redis_store(redis_url) if redis_url else DatabaseBudgetStore()
