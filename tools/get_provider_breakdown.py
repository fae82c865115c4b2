"""get_provider_breakdown: monthly cost per provider connection from the latest sync.

`cost_by_provider` holds DAILY costs keyed by connection_name (contract §2); InfraZen showed
them as monthly. Here each is reported as a daily figure and a monthly one (× 30). The
connection is looked up among the acting user's own providers only: InfraZen looked the
name up across all users (contract §5).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import ArgsModel, Money, money, monthly_from_daily, percent, size_bound
from tools.daily_series import latest_point

NAME = "get_provider_breakdown"
LABEL = "Разбираю расходы по провайдерам"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True


class Args(ArgsModel):
    """Monthly cost (and daily cost) per connected cloud provider account of the current
    user, with each one's share of the total, from the latest successful sync."""


class ProviderCost(BaseModel):
    id: int | None
    connection_name: str
    provider_type: str | None
    daily_cost: Money
    monthly_cost: Money
    share_percent: float | None


class Result(BaseModel):
    cost_date: str | None
    partial_sync: bool = False
    total_daily_cost: Money | None
    total_monthly_cost: Money | None
    providers: list[ProviderCost] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        return f"Провайдеров: {len(self.providers)}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    point = latest_point(user=user)
    if point is None:
        return Result(cost_date=None, total_daily_cost=None, total_monthly_cost=None)
    own = {
        p.connection_name: p
        for p in selectors.provider_list(user_id=user.pk).only(
            "connection_name", "provider_type", "user_id"
        )
    }
    total = sum(point.by_connection.values())
    ranked = sorted(point.by_connection.items(), key=lambda item: item[1], reverse=True)
    result = Result(
        cost_date=point.day.isoformat(),
        partial_sync=point.partial,
        total_daily_cost=money(total, "day"),
        total_monthly_cost=money(monthly_from_daily(total), "month"),
        providers=[
            ProviderCost(
                id=own[name].pk if name in own else None,
                connection_name=name,
                provider_type=own[name].provider_type if name in own else None,
                daily_cost=money(daily, "day"),
                monthly_cost=money(monthly_from_daily(daily), "month"),
                share_percent=percent(daily, total),
            )
            for name, daily in ranked
        ],
    )
    return size_bound(result, "providers")
