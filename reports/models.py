"""Every report the agent rendered, kept in its own table (not InfraZen's generated_reports)."""

from __future__ import annotations

import uuid

from django.db import models


class AgentReport(models.Model):
    SOURCE_LLM = "llm"
    SOURCE_TEMPLATE = "template"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # InfraZen's users.id: a plain integer, since users live in InfraZen's schema.
    user_id = models.IntegerField(db_index=True)
    role = models.CharField(max_length=16)
    period_days = models.PositiveSmallIntegerField(default=30)
    snapshot = models.JSONField()
    html = models.TextField()
    # The narrative's executive summary as plain text with its figures filled in: what the
    # knowledge search finds among the user's own earlier reports.
    summary = models.TextField(blank=True, default="")
    narrative_source = models.CharField(
        max_length=16, choices=[(SOURCE_LLM, "модель"), (SOURCE_TEMPLATE, "шаблон")]
    )
    # Why a model narrative was not used (refused by the validator, failed, offline).
    narrative_note = models.TextField(blank=True, default="")
    model = models.CharField(max_length=120, blank=True, default="")
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    # cost_usd at USD_RUB_RATE when stored (governance.budgets.cost_rub).
    cost_rub = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "agent_reports"
        ordering = ["-created_at", "-id"]
        verbose_name = "отчёт"
        verbose_name_plural = "отчёты"

    def __str__(self) -> str:
        return f"{self.role} · пользователь {self.user_id} · {self.created_at:%d.%m.%Y %H:%M}"
