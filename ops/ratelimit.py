"""Fixed-window rate limits that hold across processes: Redis when REDIS_URL is set, the
agent's database otherwise (one `agent_rate_counters` row per key and window).

`rate_hit` counts one attempt and says whether it is within the limit; `rate_count` reads a
key's count in the current window without adding to it (a limit on failures only checks
before the attempt and counts after it fails). Every attempt counts,
refused ones included: a client sending hostile uploads pays for each one it tries, not just
for those that were stored. Counting is atomic in both backends (Redis INCR; an UPDATE of
`count + 1` in the database, with the row inserted on its window's first hit), so concurrent
workers never lose a hit. governance.budgets counts the chat's questions and tool calls in
these same windows (`redis_window_key`, `window_ttl_s`) from its own Redis scripts.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, router, transaction

from core.statements import row_select, rows_increment
from ops.models import RateCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    limit: int
    retry_after_s: int


@functools.lru_cache(maxsize=4)
def redis_client(url: str):
    """One client (and connection pool) per URL and process, for the counters on Redis."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


def redis_window_key(*, key: str, window: int) -> str:
    """The Redis key of `key`'s count in `window` (kept window_ttl_s)."""
    return f"agent:rate:{key}:{window}"


def window_ttl_s(window_s: int) -> int:
    return window_s + 5


def _redis_hit(*, key: str, window: int, window_s: int) -> int:
    client = redis_client(settings.REDIS_URL)
    name = redis_window_key(key=key, window=window)
    with client.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window_ttl_s(window_s))
        count, _ = pipe.execute()
    return int(count)


def _database_hit(*, key: str, window: int) -> int:
    # In plain SQL compiled once (core.statements): every chat question counts here.
    if not rows_increment(RateCounter, "count", key=key, window=window):
        try:
            with transaction.atomic(using=router.db_for_write(RateCounter)):
                RateCounter.objects.create(key=key, window=window, count=1)
            _old_windows_purge(window=window)
            return 1
        except IntegrityError:
            # Another process inserted the window's row first: count on it.
            rows_increment(RateCounter, "count", key=key, window=window)
    row = row_select(RateCounter, ["count"], key=key, window=window)
    return row[0] if row else 1


def _old_windows_purge(*, window: int) -> None:
    # Now and then the hit that opens a window deletes the long-past ones.
    if window % 64 == 0:
        RateCounter.objects.filter(window__lt=window - 64).delete()


def _redis_count(*, key: str, window: int) -> int:
    name = redis_window_key(key=key, window=window)
    return int(redis_client(settings.REDIS_URL).get(name) or 0)


def _database_count(*, key: str, window: int) -> int:
    row = row_select(RateCounter, ["count"], key=key, window=window)
    return row[0] if row else 0


def rate_count(*, key: str, window_s: int, now: float | None = None) -> int:
    """The hits `key` has in the current window, without adding one."""
    window = int((time.time() if now is None else now) // window_s)
    if settings.REDIS_URL:
        try:
            return _redis_count(key=key, window=window)
        except Exception as exc:  # noqa: BLE001 - a limit must not take the service down
            logger.warning(
                "rate count on Redis failed, reading the database: %s", type(exc).__name__
            )
    return _database_count(key=key, window=window)


def window_remaining_s(*, window_s: int, now: float | None = None) -> int:
    """Whole seconds (at least 1) until the current window of `window_s` ends."""
    now = time.time() if now is None else now
    return _retry_after(int(now // window_s), window_s, now)


def _retry_after(window: int, window_s: int, now: float) -> int:
    return max(1, int((window + 1) * window_s - now))


def rate_hit(*, key: str, limit: int, window_s: int, now: float | None = None) -> RateDecision:
    """Count one attempt of `key`; allowed while at most `limit` attempts fall in the window."""
    now = time.time() if now is None else now
    window = int(now // window_s)
    if settings.REDIS_URL:
        try:
            count = _redis_hit(key=key, window=window, window_s=window_s)
        except Exception as exc:  # noqa: BLE001 - a limit must not take the service down
            logger.warning(
                "rate limit on Redis failed, counting in the database: %s", type(exc).__name__
            )
            count = _database_hit(key=key, window=window)
    else:
        count = _database_hit(key=key, window=window)
    return rate_decision(count=count, limit=limit, window_s=window_s, now=now)


def rate_hit_database(*, key: str, limit: int, window_s: int, now: float) -> RateDecision:
    """`rate_hit` counted in the database whatever REDIS_URL says (a caller that counted on
    Redis itself and found it failing)."""
    count = _database_hit(key=key, window=int(now // window_s))
    return rate_decision(count=count, limit=limit, window_s=window_s, now=now)


def rate_decision(*, count: int, limit: int, window_s: int, now: float) -> RateDecision:
    """The decision on the hit that made `key`'s count in the window at `now` `count`."""
    window = int(now // window_s)
    return RateDecision(
        allowed=count <= limit,
        count=count,
        limit=limit,
        retry_after_s=_retry_after(window, window_s, now),
    )
