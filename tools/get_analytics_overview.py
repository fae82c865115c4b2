"""get_analytics_overview: the user's KPIs, every one of them scoped to the user.

InfraZen's executive summary counted active resources and savings across all tenants (facts
§4.2, §4.3.3); here each figure comes from a selector scoped to the acting user. Costs come
from the daily series of complete syncs (tools.daily_series): the latest day's
total_daily_cost is the daily figure and × 30 the monthly run-rate.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import ArgsModel, Money, clip, money, monthly_from_daily, percent, size_bound
from tools.daily_series import daily_points

NAME = "get_analytics_overview"
LABEL = "Собираю ключевые показатели"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True


class Args(ArgsModel):
    """Key figures of the current user's cloud spend: monthly run-rate and daily cost from
    the latest sync, their change over the period and against the previous day, active
    resources, pending recommendations and their savings, and provider sync health."""

    time_range_days: int = Field(
        default=30, ge=1, le=365, description="Compare the latest day with this many days ago."
    )


class ProviderHealth(BaseModel):
    connection_name: str
    provider_type: str
    status: str
    error: str | None = None


class Result(BaseModel):
    time_range_days: int
    cost_date: str | None
    daily_cost: Money | None
    monthly_cost: Money | None = Field(description="Daily cost × 30: the monthly run-rate.")
    range_start_date: str | None = None
    range_start_daily_cost: Money | None = None
    change_over_range_percent: float | None = None
    change_vs_previous_day_percent: float | None = None
    active_resources: int
    pending_recommendations: int
    pending_savings: Money
    pending_savings_yearly: Money
    last_sync_at: str | None
    last_sync_status: str | None
    providers_successful: int | None
    providers_total: int | None
    provider_health: list[ProviderHealth] = Field(default_factory=list)
    note: str | None = None
    truncated: bool = False

    def summary(self) -> str:
        if self.monthly_cost is None:
            return "Нет данных о расходах"
        return f"Расход {self.monthly_cost.amount:,.0f} ₽/мес"


def _change(now: float, before: float | None) -> float | None:
    return percent(now - before, before) if before else None


def run(*, user: InfraZenUser, args: Args) -> Result:
    points = daily_points(user=user, days=args.time_range_days + 1)
    latest = points[-1] if points else None
    by_day = {p.day: p for p in points}
    start = points[0] if len(points) > 1 else None
    previous = by_day.get(latest.day - timedelta(days=1)) if latest else None

    pending = selectors.recommendation_list(
        user_id=user.pk, status="pending", order_by_savings=False
    ).aggregate(total=Sum("estimated_monthly_savings"), count=Count("id"))
    pending_total = pending["total"] or 0.0
    active = selectors.resource_list(user_id=user.pk, active_only=True).count()

    last_sync = selectors.complete_sync_latest(user_id=user.pk)
    health = []
    if last_sync is not None:
        references = selectors.provider_sync_reference_list(
            user_id=user.pk, complete_sync_id=last_sync.pk
        )
        health = [
            ProviderHealth(
                connection_name=ref.provider.connection_name,
                provider_type=ref.provider.provider_type,
                status=ref.sync_status,
                error=clip(ref.error_message, 120),
            )
            for ref in references[:10]
        ]

    result = Result(
        time_range_days=args.time_range_days,
        cost_date=latest.day.isoformat() if latest else None,
        daily_cost=money(latest.daily_total, "day") if latest else None,
        monthly_cost=money(monthly_from_daily(latest.daily_total), "month") if latest else None,
        range_start_date=start.day.isoformat() if start else None,
        range_start_daily_cost=money(start.daily_total, "day") if start else None,
        change_over_range_percent=_change(latest.daily_total, start.daily_total)
        if latest and start
        else None,
        change_vs_previous_day_percent=_change(latest.daily_total, previous.daily_total)
        if latest and previous
        else None,
        active_resources=active,
        pending_recommendations=pending["count"],
        pending_savings=money(pending_total, "month"),
        pending_savings_yearly=money(pending_total * 12, "year"),
        last_sync_at=last_sync.sync_started_at.isoformat(sep=" ") if last_sync else None,
        last_sync_status=last_sync.sync_status if last_sync else None,
        providers_successful=last_sync.successful_providers if last_sync else None,
        providers_total=last_sync.total_providers_synced if last_sync else None,
        provider_health=health,
    )
    if latest is None:
        result.note = "Нет успешных синхронизаций: расходы неизвестны."
    elif latest.partial:
        result.note = "Последняя синхронизация частичная: часть провайдеров не учтена."
    return size_bound(result, "provider_health")
