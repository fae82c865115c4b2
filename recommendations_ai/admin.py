"""Read-only admin for the recommendation texts: how each was made and what it cost."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from recommendations_ai.models import TextGeneration


@admin.register(TextGeneration)
class TextGenerationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "recommendation_id",
        "user_id",
        "source",
        "model",
        "prompt_version",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "validation",
    )
    list_filter = ("source", "prompt_version", "model")
    search_fields = ("=recommendation_id", "=user_id", "facts_hash")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
