"""What each console page shows, read as the acting InfraZen user through the same scoped
selectors and tools the chat uses (so a page and the chat never disagree on a figure)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from infrazen import selectors
from infrazen.models import InfraZenUser
from recommendations_ai.sanitize import html_sanitize
from reports.models import AgentReport
from tools import (
    get_analytics_overview,
    get_anomalies,
    get_provider_breakdown,
    get_service_breakdown,
)
from tools.base import lookups_shared
from tools.daily_series import daily_points

TREND_DAYS = 90
RECOMMENDATIONS_SHOWN = 100
REPORTS_SHOWN = 20


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    resource_name: str
    kind: str
    severity: str
    monthly_savings: float
    short_html: SafeString
    detailed_html: SafeString


def _safe(html: str | None) -> SafeString:
    # InfraZen's column may hold what any script wrote: cleaned again, whatever wrote it.
    return mark_safe(html_sanitize(html or ""))  # noqa: S308 - nh3-sanitised just above


def recommendation_cards(*, user: InfraZenUser) -> list[Card]:
    pending = selectors.recommendation_list(user_id=user.pk, status="pending")
    return [
        Card(
            id=rec.pk,
            title=rec.title,
            resource_name=rec.resource_name or "",
            kind=rec.recommendation_type,
            severity=rec.severity or "",
            monthly_savings=rec.estimated_monthly_savings or 0.0,
            short_html=_safe(rec.ai_short_description),
            detailed_html=_safe(rec.ai_detailed_description),
        )
        for rec in pending[:RECOMMENDATIONS_SHOWN]
    ]


def analytics(*, user: InfraZenUser) -> dict:
    def run(tool, **args):
        return tool.run(user=user, args=tool.Args(**args))

    with lookups_shared():
        return {
            "overview": run(get_analytics_overview, time_range_days=30),
            "days": daily_points(user=user, days=TREND_DAYS),
            "anomalies": run(get_anomalies, time_range_days=TREND_DAYS),
            "providers": run(get_provider_breakdown),
            "services": run(get_service_breakdown),
            "trend_days": TREND_DAYS,
        }


def reports(*, user: InfraZenUser) -> list[AgentReport]:
    mine = AgentReport.objects.filter(user_id=user.pk).order_by("-created_at")
    return list(mine.only("uuid", "role", "created_at", "narrative_source")[:REPORTS_SHOWN])


def report_get(*, user: InfraZenUser, report_uuid) -> AgentReport | None:
    return AgentReport.objects.filter(user_id=user.pk, uuid=report_uuid).first()
