from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One fixed window of one rate limit (ops.ratelimit's database backend): `count` hits of
    `key` in the window starting at `window` × the limit's length, across every process."""

    key = models.CharField(max_length=191)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "agent_rate_counters"
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="agent_rate_counter_key_window")
        ]
        indexes = [models.Index(fields=["window"], name="agent_rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
