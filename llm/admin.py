from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, column, titled
from llm.models import LLMCall


@admin.register(LLMCall)
class LLMCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: these rows are the audit trail of what the models cost. A chat session's
    page links here by its answers' correlation ids (`?correlation_id__in=a,b`)."""

    list_display = (
        column("created_at", "Когда"),
        column("purpose", "Назначение"),
        column("model_requested", "Модель (запрошена)"),
        column("model_answered", "Модель (ответила)"),
        column("outcome", "Исход"),
        column("http_status", "HTTP"),
        column("attempt", "Попытка"),
        column("total_tokens", "Токены"),
        column("cost_usd", "USD"),
        column("latency_ms", "Задержка, мс"),
        column("ttft_ms", "До первого токена, мс"),
        column("user_id", "Пользователь"),
        column("correlation_id", "Ответ (correlation id)"),
    )
    list_filter = (
        titled("outcome", "исход"),
        titled("purpose", "назначение"),
        titled("model_answered", "модель"),
        titled("provider", "провайдер"),
        titled("stream", "потоковый"),
    )
    search_fields = ("correlation_id", "model_requested", "model_answered")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
