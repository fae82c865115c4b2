"""The admin's spend view: what the models cost by Moscow day, user, model and scenario, with a
chart of roubles per day (inline SVG, no script) and the rows as CSV (?format=csv)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse

from governance.models import Spend
from governance.moscow import moscow_now
from governance.spend import SpendRow, spend_csv, spend_rows, spend_totals

DEFAULT_DAYS = 30
MAX_DAYS = 366
CHART_HEIGHT = 120


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _period(params) -> tuple[date, date, int | None]:
    today = moscow_now().date()
    until = _day(params.get("until"), today)
    since = _day(params.get("since"), until - timedelta(days=DEFAULT_DAYS - 1))
    since = max(min(since, until), until - timedelta(days=MAX_DAYS - 1))
    user = params.get("user", "")
    return since, until, int(user) if user.isdigit() else None


def _chart(rows: list[SpendRow], since: date, until: date) -> list[dict]:
    """One bar per day of the period, height in chart units (the tallest day is full)."""
    per_day = {day: rub for day, _, rub in spend_totals(rows, "day")}
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    top = max(per_day.values(), default=0) or 1
    width = 100 / len(days)
    return [
        {
            "day": day,
            "rub": per_day.get(day, 0),
            "x": round(n * width, 3),
            "width": round(width * 0.8, 3),
            "height": round(float(per_day.get(day, 0)) / float(top) * CHART_HEIGHT, 2),
        }
        for n, day in enumerate(days)
    ]


@admin.register(Spend)
class SpendAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        since, until, user_id = _period(request.GET)
        rows = spend_rows(since=since, until=until, user_id=user_id)
        if request.GET.get("format") == "csv":
            response = HttpResponse(spend_csv(rows), content_type="text/csv; charset=utf-8")
            name = f"infrazen-agent-spend-{since:%Y%m%d}-{until:%Y%m%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Расходы на модели",
            "opts": self.model._meta,
            "since": since,
            "until": until,
            "user_id": user_id,
            "rows": rows,
            "total_calls": sum(row.calls for row in rows),
            "total_rub": sum((row.cost_rub for row in rows), start=0),
            "by": {
                "по дням": spend_totals(rows, "day"),
                "по пользователям": spend_totals(rows, "user_id"),
                "по моделям": spend_totals(rows, "model"),
                "по сценариям": spend_totals(rows, "scenario"),
            },
            "chart": _chart(rows, since, until),
            "chart_height": CHART_HEIGHT,
        }
        return TemplateResponse(request, "admin/governance/spend.html", context)
