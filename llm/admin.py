from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from llm.models import LLMCall


@admin.register(LLMCall)
class LLMCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: these rows are the audit trail of what the models cost."""

    list_display = (
        "created_at",
        "purpose",
        "model_requested",
        "model_answered",
        "outcome",
        "http_status",
        "attempt",
        "total_tokens",
        "cost_usd",
        "latency_ms",
        "ttft_ms",
        "user_id",
        "correlation_id",
    )
    list_filter = ("outcome", "purpose", "model_answered", "provider", "stream")
    search_fields = ("correlation_id", "model_requested", "model_answered")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
