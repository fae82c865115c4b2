"""get_service_breakdown: monthly cost per service from the user's live resources.

Built from `resources` (values.monthly_cost per row, grouped by service_name), not from
resource_states: live Yandex/Selectel states carry effective_cost 0 on a separate snapshot
and Beget states mix daily and monthly units (contract §1).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from infrazen.values import monthly_cost
from tools.base import MAX_RESULT_BYTES, ArgsModel, Money, json_size, money, percent

NAME = "get_service_breakdown"
LABEL = "Разбираю расходы по сервисам"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

TOP_RESOURCES = 3


class Args(ArgsModel):
    """Monthly cost of the current user's active resources grouped by cloud service: cost,
    resource count, share of the total and the most expensive resources of each service."""

    top_n: int = Field(default=5, ge=1, le=10, description="How many services to list.")


class TopResource(BaseModel):
    name: str
    resource_type: str
    monthly_cost: Money


class Service(BaseModel):
    service_name: str
    provider_types: list[str]
    monthly_cost: Money
    resources: int
    share_percent: float | None
    top_resources: list[TopResource]


class Result(BaseModel):
    total_monthly_cost: Money
    total_resources: int
    services: list[Service] = Field(default_factory=list)
    other_services: int = 0
    other_monthly_cost: Money | None = None
    truncated: bool = False

    def summary(self) -> str:
        return f"Сервисов: {len(self.services) + self.other_services}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    # Rows, not model instances: building 2,000 Resources and their providers took 40 ms of
    # the console's analytics page (bench/console.py); monthly_cost reads the same attributes.
    resources = selectors.resource_list(user_id=user.pk, active_only=True).values_list(
        "resource_name",
        "resource_type",
        "service_name",
        "effective_cost",
        "daily_cost",
        "billing_period",
        "provider__provider_type",
        named=True,
    )
    groups: dict[str, list[tuple[float, object]]] = {}
    for resource in resources:
        groups.setdefault(resource.service_name or "—", []).append(
            (monthly_cost(resource), resource)
        )
    total = sum(cost for rows in groups.values() for cost, _ in rows)
    ranked = sorted(groups.items(), key=lambda item: sum(c for c, _ in item[1]), reverse=True)
    services = []
    for name, rows in ranked[: args.top_n]:
        cost = sum(c for c, _ in rows)
        rows.sort(key=lambda row: row[0], reverse=True)
        services.append(
            Service(
                service_name=name,
                provider_types=sorted({r.provider__provider_type for _, r in rows}),
                monthly_cost=money(cost, "month"),
                resources=len(rows),
                share_percent=percent(cost, total),
                top_resources=[
                    TopResource(
                        name=r.resource_name[:80],
                        resource_type=r.resource_type,
                        monthly_cost=money(c, "month"),
                    )
                    for c, r in rows[:TOP_RESOURCES]
                ],
            )
        )
    rest = ranked[args.top_n :]
    other = sum(c for _, rows in rest for c, _ in rows)
    result = Result(
        total_monthly_cost=money(total, "month"),
        total_resources=sum(len(rows) for rows in groups.values()),
        services=services,
        other_services=len(rest),
        other_monthly_cost=money(other, "month") if rest else None,
    )
    # Too big for the model's context: fold the smallest listed services into "other".
    while len(result.services) > 1 and json_size(result) > MAX_RESULT_BYTES:
        dropped = result.services.pop()
        other += dropped.monthly_cost.amount
        result.other_services += 1
        result.other_monthly_cost = money(other, "month")
        result.truncated = True
    return result
