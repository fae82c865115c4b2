"""Reports in the admin: who got which report, from which narrative, at what cost."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from reports.links import pdf_link
from reports.models import AgentReport


@admin.register(AgentReport)
class AgentReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a report is a record of what was shown to a user."""

    list_display = (
        "created_at",
        "user_id",
        "role",
        "period_days",
        "narrative_source",
        "model",
        "prompt_tokens",
        "cost_usd",
        "pdf",
    )
    list_filter = ("role", "narrative_source")
    search_fields = ("uuid", "user_id")
    date_hierarchy = "created_at"
    fields = (
        "uuid",
        "user_id",
        "role",
        "period_days",
        "created_at",
        "narrative_source",
        "narrative_note",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "pdf",
        "page",
        "snapshot_pretty",
    )
    readonly_fields = fields

    @admin.display(description="PDF")
    def pdf(self, report: AgentReport) -> str:
        return format_html('<a href="{}">PDF</a>', pdf_link(str(report.uuid)))

    @admin.display(description="Отчёт")
    def page(self, report: AgentReport) -> str:
        # The stored page in a sandboxed frame: shown, never run in the admin's origin.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width:100%;height:600px;border:1px solid #ccc">'
            "</iframe>",
            report.html,
        )

    @admin.display(description="Данные отчёта")
    def snapshot_pretty(self, report: AgentReport) -> str:
        text = json.dumps(report.snapshot, ensure_ascii=False, indent=2)
        return format_html('<pre style="max-height:400px;overflow:auto">{}</pre>', text)
