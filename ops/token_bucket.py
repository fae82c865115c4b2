"""A token bucket: `capacity` tokens, refilled at `per_s`; the clock is passed in."""

from __future__ import annotations

import math


class TokenBucket:
    """`capacity` tokens, refilled at `per_s`; `take` spends one when there is one."""

    def __init__(self, *, capacity: float, per_s: float, now: float) -> None:
        self.capacity = max(1.0, float(capacity))
        self.per_s = max(0.0, float(per_s))
        self.tokens = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_s)
        self.updated = now

    def take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_s(self, now: float) -> float:
        """Seconds until `take` succeeds again (inf when the bucket never refills)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        if self.per_s == 0:
            return math.inf
        return (1.0 - self.tokens) / self.per_s
