from __future__ import annotations

from django.db import models

from infrazen import clock
from llm.models import LLMCall


class AgentUserLimits(models.Model):
    """One InfraZen user's own limits; an empty field keeps the role's default (settings)."""

    # An InfraZen user id, not a foreign key: InfraZen owns that table, in another database.
    user_id = models.IntegerField(unique=True)
    tokens_per_day = models.PositiveIntegerField(null=True, blank=True)
    rub_per_day = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    questions_per_minute = models.PositiveIntegerField(null=True, blank=True)
    tool_calls_per_minute = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=clock.utc_now)

    class Meta:
        db_table = "agent_user_limits"
        verbose_name = "user limits"
        verbose_name_plural = "user limits"

    def __str__(self) -> str:
        return f"limits of user {self.user_id}"


class BudgetCounter(models.Model):
    """What one subject has used of one daily budget (governance.store's database backend).

    `used` is in integer units (tokens, or 1/10,000 ₽): reservations add to it, settling
    corrects it by the difference between the real cost and the estimate.
    """

    scope = models.CharField(max_length=16)
    # A user id, or "*" for the service as a whole.
    subject = models.CharField(max_length=64)
    # The Moscow day the budget belongs to.
    day = models.DateField()
    used = models.BigIntegerField(default=0)

    class Meta:
        db_table = "agent_budget_counters"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "subject", "day"], name="agent_budget_counter_key"
            )
        ]
        indexes = [models.Index(fields=["day"], name="agent_budget_counter_day")]

    def __str__(self) -> str:
        return f"{self.scope} of {self.subject} on {self.day}: {self.used}"


class Spend(LLMCall):
    """The admin's spend view over the model calls' accounting rows (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "spend"
        verbose_name_plural = "spend (by day, user, model, scenario)"
