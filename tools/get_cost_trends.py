"""get_cost_trends: the user's daily cost series over a range.

One point per calendar day: the day's latest successful complete sync, or its latest partial
one when none succeeded (tools.daily_series). Values are DAILY costs. To keep the result
small, ranges longer than MAX_POINTS days are averaged into buckets of `bucket_days` days
(each point is then the average daily cost of its bucket, dated by its first day). The
day-over-day change compares the latest calendar day with the day before, not two syncs.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import (
    MAX_RESULT_BYTES,
    ArgsModel,
    Money,
    json_size,
    money,
    monthly_from_daily,
    percent,
)
from tools.daily_series import DayPoint, daily_points

NAME = "get_cost_trends"
LABEL = "Строю динамику расходов"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

MAX_POINTS = 45
MAX_PROVIDERS = 6


class Args(ArgsModel):
    """Daily cost of the current user over the last N days (one point per day, RUB per day),
    the monthly run-rate, change over the range and day over day, optionally per provider
    connection."""

    time_range_days: int = Field(default=30, ge=1, le=365, description="Days to cover.")
    include_provider_breakdown: bool = Field(
        default=False, description="Also return each provider connection's daily series."
    )


class TrendPoint(BaseModel):
    date: str
    daily_cost: float


class ProviderSeries(BaseModel):
    connection_name: str
    provider_type: str | None
    daily_costs: list[float | None] = Field(description="Aligned with points; null = no data.")


class Result(BaseModel):
    time_range_days: int
    unit: Literal["RUB"] = "RUB"
    values_period: Literal["day"] = "day"
    bucket_days: int = Field(description="1 = one point per day; more = averaged buckets.")
    points: list[TrendPoint] = Field(default_factory=list)
    provider_series: list[ProviderSeries] = Field(default_factory=list)
    latest_daily_cost: Money | None = None
    latest_monthly_run_rate: Money | None = None
    min_daily_cost: Money | None = None
    max_daily_cost: Money | None = None
    average_daily_cost: Money | None = None
    change_over_range_percent: float | None = None
    day_over_day_change_percent: float | None = None
    partial_days: int = 0
    truncated: bool = False

    def summary(self) -> str:
        return f"Точек: {len(self.points)}"


def _buckets(points: list[DayPoint], size: int) -> list[list[DayPoint]]:
    if not points:
        return []
    first = points[0].day
    buckets: dict[int, list[DayPoint]] = {}
    for point in points:
        buckets.setdefault((point.day - first).days // size, []).append(point)
    return [buckets[key] for key in sorted(buckets)]


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def run(*, user: InfraZenUser, args: Args) -> Result:
    points = daily_points(user=user, days=args.time_range_days)
    size = max(1, math.ceil(args.time_range_days / MAX_POINTS))
    buckets = _buckets(points, size)
    totals = [p.daily_total for p in points]
    latest = points[-1] if points else None
    previous = next((p for p in points if latest and p.day == latest.day - timedelta(days=1)), None)
    result = Result(
        time_range_days=args.time_range_days,
        bucket_days=size,
        points=[
            TrendPoint(date=b[0].day.isoformat(), daily_cost=_mean([p.daily_total for p in b]))
            for b in buckets
        ],
        latest_daily_cost=money(latest.daily_total, "day") if latest else None,
        latest_monthly_run_rate=money(monthly_from_daily(latest.daily_total), "month")
        if latest
        else None,
        min_daily_cost=money(min(totals), "day") if totals else None,
        max_daily_cost=money(max(totals), "day") if totals else None,
        average_daily_cost=money(_mean(totals), "day") if totals else None,
        change_over_range_percent=percent(totals[-1] - totals[0], totals[0])
        if len(totals) > 1
        else None,
        day_over_day_change_percent=percent(
            latest.daily_total - previous.daily_total, previous.daily_total
        )
        if latest and previous
        else None,
        partial_days=sum(1 for p in points if p.partial),
    )
    if args.include_provider_breakdown and points:
        types = {
            p.connection_name: p.provider_type
            for p in selectors.provider_list(user_id=user.pk).only(
                "connection_name", "provider_type", "user_id"
            )
        }
        names = sorted({name for p in points for name in p.by_connection})
        result.truncated = len(names) > MAX_PROVIDERS
        for name in names[:MAX_PROVIDERS]:
            result.provider_series.append(
                ProviderSeries(
                    connection_name=name,
                    provider_type=types.get(name),
                    daily_costs=[
                        _mean([p.by_connection[name] for p in b if name in p.by_connection])
                        for b in buckets
                    ],
                )
            )
    # Many connections can still overflow: drop the oldest points, keep the recent ones.
    while len(result.points) > 1 and json_size(result) > MAX_RESULT_BYTES:
        result.points.pop(0)
        for provider_series in result.provider_series:
            provider_series.daily_costs.pop(0)
        result.truncated = True
    return result
