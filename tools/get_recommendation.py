"""get_recommendation: one recommendation of the acting user, figures from facts_build."""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
from recommendations_ai.facts import (
    CleanupFacts,
    ClusterPriceCompareFacts,
    RightsizingFacts,
    facts_build,
)
from recommendations_ai.sanitize import visible_text
from tools.base import ArgsModel, Money, clip, money, recommendation_for, size_bound
from tools.list_top_alternatives import Alternative, own_alternatives

NAME = "get_recommendation"
LABEL = "Читаю рекомендацию"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True


class Args(ArgsModel):
    """One optimisation recommendation of the current user: type, status, savings per month
    and per year, current and target monthly cost, target provider/SKU/region, the
    recommendation's own alternatives, the rule's description and the generated texts."""

    recommendation_id: int = Field(ge=1, description="Id of the recommendation.")


class Result(BaseModel):
    id: int
    type: str
    family: str
    title: str | None
    status: str | None
    severity: str | None
    confidence: float | None
    resource_id: int | None
    resource_name: str | None
    resource_type: str | None
    provider_type: str | None
    connection_name: str | None
    savings_monthly: Money | None
    savings_yearly: Money | None
    current_monthly: Money | None
    target_monthly: Money | None
    target_provider: str | None
    target_sku: str | None
    target_region: str | None
    age_days: int | None = None
    size_gb: float | None = None
    already_spent: Money | None = Field(
        default=None, description="Paid while unused since creation (cleanup only)."
    )
    ip_address: str | None = None
    cpu_avg_percent: float | None = None
    cpu_p95_percent: float | None = None
    current_vcpu: int | None = None
    cluster_kind: str | None = None
    total_nodes: int | None = None
    migration_complexity: str | None = None
    explanation: str | None = None
    description: str | None
    ai_short_description: str | None = None
    ai_detailed_description: str | None = None
    alternatives: list[Alternative] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        savings = (
            f", экономия {self.savings_monthly.amount:,.0f} ₽/мес" if self.savings_monthly else ""
        )
        return f"Рекомендация #{self.id}: {self.type}{savings}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    rec = recommendation_for(user, args.recommendation_id)
    facts = facts_build(recommendation=rec)
    resource = rec.resource
    provider = rec.provider or resource.provider
    extra: dict = {}
    if isinstance(facts, CleanupFacts):
        extra["already_spent"] = money(facts.wasted_rub, "one_time")
    if isinstance(facts, RightsizingFacts):
        extra |= {
            "cpu_avg_percent": facts.cpu_avg_percent,
            "cpu_p95_percent": facts.cpu_p95_percent,
            "current_vcpu": facts.current_vcpu,
        }
    if isinstance(facts, ClusterPriceCompareFacts):
        extra |= {
            "cluster_kind": facts.cluster_kind,
            "total_nodes": facts.total_nodes,
            "migration_complexity": facts.migration_complexity,
        }
    result = Result(
        id=rec.pk,
        type=facts.recommendation_type,
        family=facts.family,
        title=clip(rec.title, 200),
        status=rec.status,
        severity=rec.severity,
        confidence=rec.confidence_score,
        resource_id=resource.pk,
        resource_name=facts.resource_name,
        resource_type=facts.resource_type,
        provider_type=provider.provider_type,
        connection_name=provider.connection_name,
        savings_monthly=money(facts.savings_monthly, "month"),
        savings_yearly=money(facts.savings_yearly, "year"),
        current_monthly=money(facts.current_monthly, "month"),
        target_monthly=money(facts.target_monthly, "month"),
        target_provider=facts.target_provider,
        target_sku=facts.target_sku,
        target_region=facts.target_region,
        age_days=facts.age_days,
        size_gb=facts.size_gb,
        ip_address=facts.ip_address,
        explanation=clip(facts.explanation, 400),
        description=clip(rec.description, 600),
        ai_short_description=clip(visible_text(rec.ai_short_description or ""), 200),
        ai_detailed_description=clip(visible_text(rec.ai_detailed_description or ""), 500),
        alternatives=own_alternatives(
            rec, current=facts.current_monthly, target_monthly=facts.target_monthly
        )[:5],
        **extra,
    )
    return size_bound(result, "alternatives")
