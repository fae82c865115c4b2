"""list_top_alternatives: cheaper equivalents of a recommendation's resource.

Two sources, merged: the recommendation's own alternatives (insights `top2` / `alternatives`
and its target) and the global price catalogue, matched on the resource's specs. Catalogue
rows must be of the resource's own kind (a plain server never gets a DBaaS SKU, contract §5), at
least as big in vCPU and RAM (RAM within 10%), at most twice as big, from another provider
the user has not disabled in user_provider_preferences.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser, OptimizationRecommendation, ProviderPrice
from infrazen.values import Specs, parse_text_dict, resource_config, resource_specs
from recommendations_ai.facts import facts_build
from tools.base import ArgsModel, Money, money, percent, recommendation_for, size_bound

NAME = "list_top_alternatives"
LABEL = "Смотрю альтернативы у других провайдеров"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

KNOWN_PROVIDERS = frozenset({"beget", "selectel", "yandex"})
RAM_TOLERANCE = 0.9
MAX_OVERSIZE = 2
CATALOGUE_ROWS = 60

# resources.resource_type (normalised: lower case, "-" → "_") → provider_prices.resource_type
CATALOGUE_TYPES = {
    "server": "server",
    "vm": "server",
    "instance": "server",
    "postgresql_cluster": "postgresql-cluster",
    "mysql_cluster": "mysql-cluster",
    "mariadb_cluster": "mysql-cluster",
}


class Args(ArgsModel):
    """Cheaper alternatives for the resource of one recommendation: provider, region, SKU,
    monthly price, savings against the current monthly cost and spec parity. Merges the
    recommendation's own alternatives with matching rows of the price catalogue."""

    recommendation_id: int = Field(ge=1, description="Id of the recommendation being discussed.")
    limit: int = Field(default=5, ge=1, le=5, description="How many alternatives to return.")


class Parity(BaseModel):
    cpu_ratio: float | None = None
    ram_ratio: float | None = None
    storage_ratio: float | None = None
    score: float | None = Field(default=None, description="1.0 = same size; lower = less alike.")


class Alternative(BaseModel):
    provider: str
    region: str | None = None
    sku: str | None = None
    config: str | None = None
    monthly_price: Money
    savings: Money | None = None
    savings_percent: float | None = None
    parity: Parity | None = None
    source: Literal["recommendation", "catalogue"]


class Result(BaseModel):
    recommendation_id: int
    resource_name: str | None
    resource_type: str | None
    current_provider: str | None
    current_monthly: Money | None
    vcpus: int | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    excluded_providers: list[str] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    note: str | None = None
    truncated: bool = False

    def summary(self) -> str:
        return f"Альтернатив: {len(self.alternatives)}"


def _ratio(offer: float | None, current: float | None) -> float | None:
    if not offer or not current:
        return None
    return round(offer / current, 2)


def parity(specs: Specs, cpu: float | None, ram: float | None, storage: float | None) -> Parity:
    ratios = {
        "cpu_ratio": _ratio(cpu, specs.vcpus),
        "ram_ratio": _ratio(ram, specs.ram_gb),
        "storage_ratio": _ratio(storage, specs.storage_gb),
    }
    known = [r for r in ratios.values() if r]
    score = round(sum(min(r, 1 / r) for r in known) / len(known), 2) if known else None
    return Parity(**ratios, score=score)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _offer(
    *,
    provider: str,
    region: str | None,
    sku: str | None,
    monthly: float,
    current: float | None,
    source: Literal["recommendation", "catalogue"],
    config: str | None = None,
    parity_: Parity | None = None,
) -> Alternative:
    savings = current - monthly if current is not None else None
    return Alternative(
        provider=provider,
        region=region,
        sku=sku,
        config=config,
        monthly_price=money(monthly, "month"),
        savings=money(savings, "month"),
        savings_percent=percent(savings, current),
        parity=parity_,
        source=source,
    )


def _node_count(rec: OptimizationRecommendation) -> int:
    config = resource_config(rec.resource)
    insights = parse_text_dict(rec.insights, field="insights")
    for value in (
        insights.get("total_nodes"),
        config.get("total_hosts"),
        config.get("total_nodes"),
    ):
        number = _float(value)
        if number and number >= 1:
            return int(number)
    return 1


def own_alternatives(
    rec: OptimizationRecommendation, *, current: float | None, target_monthly: float | None
) -> list[Alternative]:
    """The recommendation's own offers: insights top2/alternatives, else its target."""
    insights = parse_text_dict(rec.insights, field="insights")
    entries = [
        item
        for key in ("top2", "alternatives")
        if isinstance(insights.get(key), list)
        for item in insights[key]
        if isinstance(item, dict)
    ]
    offers = []
    for item in entries:
        provider, monthly = _text(item.get("provider")), _float(item.get("monthly"))
        if provider is None or monthly is None:
            continue
        offers.append(
            _offer(
                provider=provider,
                region=_text(item.get("region")),
                sku=_text(item.get("sku")),
                config=_text(item.get("config")),
                monthly=monthly,
                current=current,
                source="recommendation",
            )
        )
    if not offers and rec.target_provider and target_monthly:
        offers.append(
            _offer(
                provider=rec.target_provider,
                region=rec.target_region,
                sku=rec.target_sku,
                monthly=target_monthly,
                current=current,
                source="recommendation",
            )
        )
    return offers


def catalogue_type(resource_type: str | None) -> str | None:
    """The catalogue's resource_type for a resource's type; None when it has no row kind."""
    return CATALOGUE_TYPES.get((resource_type or "").strip().lower().replace("-", "_"))


def _catalogue_offers(
    *, catalogue_type: str, node_specs: Specs, nodes: int, providers: list[str], current: float
) -> list[tuple[ProviderPrice, Alternative]]:
    if not providers or node_specs.vcpus is None or node_specs.ram_gb is None:
        return []
    rows = (
        selectors.price_list(
            provider=providers,
            resource_type=[catalogue_type, catalogue_type.replace("-", "_")],
        )
        .filter(
            cpu_cores__gte=node_specs.vcpus,
            cpu_cores__lte=node_specs.vcpus * MAX_OVERSIZE,
            ram_gb__gte=node_specs.ram_gb * RAM_TOLERANCE,
            ram_gb__lte=node_specs.ram_gb * MAX_OVERSIZE,
            monthly_cost__gt=0,
            currency="RUB",
        )
        .only(
            "provider",
            "provider_sku",
            "region",
            "cpu_cores",
            "ram_gb",
            "storage_gb",
            "monthly_cost",
        )[:CATALOGUE_ROWS]
    )
    return [
        (
            row,
            _offer(
                provider=row.provider,
                region=row.region,
                sku=row.provider_sku,
                monthly=float(row.monthly_cost) * nodes,
                current=current,
                source="catalogue",
                parity_=parity(node_specs, row.cpu_cores, row.ram_gb, row.storage_gb),
            ),
        )
        for row in rows
    ]


def _per_node(specs: Specs, nodes: int) -> Specs:
    if nodes <= 1:
        return specs
    return Specs(
        vcpus=specs.vcpus // nodes if specs.vcpus else None,
        ram_gb=round(specs.ram_gb / nodes, 3) if specs.ram_gb else None,
        storage_gb=round(specs.storage_gb / nodes, 3) if specs.storage_gb else None,
        disk_type=specs.disk_type,
    )


def _parity_set(offers: list[Alternative], node_specs: Specs) -> None:
    """Own offers carry no sizes: read them from the catalogue row of the same SKU."""
    skus = [offer.sku for offer in offers if offer.sku]
    rows = {row.provider_sku: row for row in selectors.price_list(skus=skus)} if skus else {}
    for offer in offers:
        row = rows.get(offer.sku)
        if row is not None and not node_specs.is_empty:
            offer.parity = parity(node_specs, row.cpu_cores, row.ram_gb, row.storage_gb)


def run(*, user: InfraZenUser, args: Args) -> Result:
    rec = recommendation_for(user, args.recommendation_id)
    facts = facts_build(recommendation=rec)
    resource = rec.resource
    current_provider = resource.provider.provider_type
    current = facts.current_monthly
    specs = resource_specs(resource)
    preferences = selectors.user_provider_preferences(user_id=user.pk)
    disabled = sorted(ptype for ptype, enabled in preferences.items() if not enabled)

    offers = [
        offer
        for offer in own_alternatives(rec, current=current, target_monthly=facts.target_monthly)
        if offer.provider not in disabled
    ]
    nodes = _node_count(rec)
    node_specs = _per_node(specs, nodes)
    _parity_set(offers, node_specs)

    note = None
    own_type = catalogue_type(facts.resource_type or resource.resource_type)
    if own_type is None:
        note = "В каталоге цен нет аналогов этого типа ресурса; показаны варианты из рекомендации."
    elif node_specs.vcpus is None or node_specs.ram_gb is None or current is None:
        note = "Характеристики ресурса неизвестны: подбор по каталогу цен невозможен."
    else:
        candidates = sorted((KNOWN_PROVIDERS | set(preferences)) - {current_provider, *disabled})
        seen = {(o.provider, o.sku) for o in offers}
        for row, offer in _catalogue_offers(
            catalogue_type=own_type,
            node_specs=node_specs,
            nodes=nodes,
            providers=candidates,
            current=current,
        ):
            if (row.provider, row.provider_sku) not in seen:
                seen.add((row.provider, row.provider_sku))
                offers.append(offer)

    own = [o for o in offers if o.source == "recommendation"]
    catalogue = sorted(
        (o for o in offers if o.source == "catalogue"), key=lambda o: o.monthly_price.amount
    )
    merged = (own + catalogue)[: args.limit]
    result = Result(
        recommendation_id=rec.pk,
        resource_name=facts.resource_name,
        resource_type=facts.resource_type,
        current_provider=current_provider,
        current_monthly=money(current, "month"),
        vcpus=specs.vcpus,
        ram_gb=specs.ram_gb,
        storage_gb=specs.storage_gb,
        excluded_providers=disabled,
        alternatives=merged,
        note=note,
        truncated=len(own + catalogue) > args.limit,
    )
    return size_bound(result, "alternatives")
