"""summarize_top_recommendations: the user's biggest savings, ranked and limited in SQL.

InfraZen loaded every pending recommendation of every tenant and filtered by owner in Python
(contract §5); here the selector scopes, orders and limits in the query.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Count, Sum
from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import ArgsModel, Money, clip, money, size_bound

NAME = "summarize_top_recommendations"
LABEL = "Собираю главные рекомендации"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

Status = Literal["pending", "seen", "snoozed", "implemented", "dismissed", "auto_dismissed"]


class Args(ArgsModel):
    """The current user's recommendations with the biggest monthly savings, plus how many
    there are in the chosen statuses and their total savings."""

    limit: int = Field(default=5, ge=1, le=10, description="How many to list.")
    statuses: list[Status] = Field(
        default_factory=lambda: ["pending"],
        min_length=1,
        max_length=6,
        description="Recommendation statuses to include.",
    )


class Item(BaseModel):
    id: int
    title: str | None
    recommendation_type: str
    severity: str | None
    status: str | None
    resource_name: str | None
    resource_type: str | None
    provider_type: str | None
    savings: Money | None


class Result(BaseModel):
    statuses: list[str]
    count: int
    total_savings: Money
    total_savings_yearly: Money
    recommendations: list[Item] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        return f"Рекомендаций: {self.count}, экономия {self.total_savings.amount:,.0f} ₽/мес"


def run(*, user: InfraZenUser, args: Args) -> Result:
    statuses = list(dict.fromkeys(args.statuses))
    top = selectors.recommendation_list(user_id=user.pk, status=statuses, limit=args.limit)
    totals = selectors.recommendation_list(
        user_id=user.pk, status=statuses, order_by_savings=False
    ).aggregate(total=Sum("estimated_monthly_savings"), count=Count("id"))
    total = totals["total"] or 0.0
    result = Result(
        statuses=statuses,
        count=totals["count"],
        total_savings=money(total, "month"),
        total_savings_yearly=money(total * 12, "year"),
        recommendations=[
            Item(
                id=rec.pk,
                title=clip(rec.title, 120),
                recommendation_type=rec.recommendation_type,
                severity=rec.severity,
                status=rec.status,
                resource_name=clip(rec.resource_name or rec.resource.resource_name, 80),
                resource_type=rec.resource_type or rec.resource.resource_type,
                provider_type=(rec.provider or rec.resource.provider).provider_type,
                savings=money(rec.estimated_monthly_savings, "month"),
            )
            for rec in top
        ],
    )
    result.truncated = result.count > len(result.recommendations)
    return size_bound(result, "recommendations")
