"""Per-user limits: an empty field keeps the role's default (AGENT_ROLE_LIMITS)."""

from __future__ import annotations

from django.contrib import admin

from governance.models import AgentUserLimits
from infrazen import clock


@admin.register(AgentUserLimits)
class AgentUserLimitsAdmin(admin.ModelAdmin):
    list_display = (
        "user_id",
        "tokens_per_day",
        "rub_per_day",
        "questions_per_minute",
        "tool_calls_per_minute",
        "note",
        "updated_at",
    )
    search_fields = ("user_id", "note")
    readonly_fields = ("updated_at",)

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_at = clock.utc_now()
        super().save_model(request, obj, form, change)


# The spend view registers itself (a page of its own, not a model list).
from governance import admin_spend  # noqa: E402, F401
