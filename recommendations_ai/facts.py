"""Typed facts about one recommendation: everything a recommendation text may say.

Both the template renderer and the LLM prompt read these objects, never the raw rows, so
the two cannot disagree about a number. Facts are plain data: `as_dict()` is deterministic
(sorted keys, no NaN, no "None" strings), which lets a later step hash (facts, prompt
version, model) to cache generated texts.

Units: every amount is RUB per month unless its name says otherwise (`savings_yearly`,
`wasted_rub`). Where InfraZen stores a daily figure, `infrazen.values.monthly_cost` converts it.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from infrazen.models import OptimizationRecommendation, ProviderPrice
from infrazen.values import (
    Specs,
    finite_float,
    monthly_cost,
    parse_text_dict,
    resource_config,
    resource_specs,
)
from recommendations_ai.nouns import (
    CLUSTER_PRODUCTS,
    RESOURCE_NOUN,
    TypeNoun,
    cluster_noun,
    type_noun,
)
from ru_format import rub_round

DAYS_PER_MONTH = 30
# The product description's rule (§6.1.3): money already spent on an unused resource is worth
# mentioning only after a month; before that it reads as nagging.
WASTE_MIN_AGE_DAYS = 30

TYPE_PRICE_CROSS = "price_compare_cross_provider"
TYPE_PRICE_SAME = "price_compare_same_provider"
CLEANUP_KINDS = {
    "cleanup_old_snapshot": "snapshot",
    "cleanup_unused_ip": "ip",
    "cleanup_unused_volume": "volume",
    "cleanup": "other",  # seed/demo type
}
RIGHTSIZING_TYPES = frozenset({"rightsizing_cpu", "rightsizing"})
STOPPED_TYPE = "cleanup_stopped"
# Seed/demo types with a known action but no rule behind them (contract §2).
ACTION_TYPES = frozenset({"shutdown", "migrate", "commitment"})

# Cluster rules share recommendation_type with the server rule; only `source` tells them apart.
CLUSTER_SOURCES = {
    "cost.price_check.kubernetes_cluster": "kubernetes",
    "cost.price_check.postgresql_cluster": "postgresql",
    "cost.price_check.mysql_cluster": "mysql",
    "cost.price_check.kafka_cluster": "kafka",
    "cost.price_check.redis_cluster": "redis",
}

# Values InfraZen writes where it has nothing ("N/A" for an unknown IP, contract §2).
_EMPTY_TEXTS = frozenset({"", "none", "null", "nan", "n/a", "na", "-", "unknown"})


@dataclass(frozen=True, kw_only=True)
class RecommendationFacts:
    """What every recommendation has. Missing data is None, never "None" or NaN."""

    family: ClassVar[str] = "generic"

    recommendation_id: int | None
    recommendation_type: str
    source: str | None = None
    title: str | None = None
    explanation: str | None = None  # seed/demo insights {"explanation": "..."}
    resource_name: str | None = None
    resource_type: str | None = None
    type_noun: TypeNoun = RESOURCE_NOUN
    provider_type: str | None = None
    status: str | None = None  # resource status, upper-cased: "STOPPED"
    current_monthly: float | None = None
    savings_monthly: float | None = None
    savings_yearly: float | None = None
    specs: Specs | None = None
    target_provider: str | None = None
    target_sku: str | None = None
    target_region: str | None = None
    target_monthly: float | None = None
    age_days: int | None = None
    size_gb: float | None = None
    wasted_rub: int | None = None  # total already paid while unused, not per month
    ip_address: str | None = None
    similarity: float | None = None  # 0–1

    @property
    def has_savings(self) -> bool:
        # Under half a ruble rounds to "0 ₽/мес", which is no saving to announce.
        return self.savings_monthly is not None and rub_round(self.savings_monthly) > 0

    def as_dict(self) -> dict[str, Any]:
        """The facts as plain data, keys sorted. Built once per facts object and shared by
        every caller (the cache key, the prompt, the validators, the generation record):
        read it, never change it."""
        return self._plain

    @functools.cached_property
    def _plain(self) -> dict[str, Any]:
        data = {name: _plain(getattr(self, name)) for name in _field_names(type(self))}
        data["family"] = self.family
        return {key: data[key] for key in sorted(data)}

    def as_json(self) -> str:
        """The canonical form to hash: same facts, same bytes."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, kw_only=True)
class PriceCompareFacts(RecommendationFacts):
    family: ClassVar[str] = "price"

    same_provider: bool = False
    specs_unknown: bool | None = None


@dataclass(frozen=True, kw_only=True)
class ClusterPriceCompareFacts(PriceCompareFacts):
    cluster_kind: str  # kubernetes, postgresql, mysql, kafka, redis
    total_nodes: int | None = None
    total_brokers: int | None = None
    total_vcpus: int | None = None
    total_ram_gb: float | None = None
    recommended_config: str | None = None  # the rule's own string: "2c/8GB/40GB SSD"
    migration_complexity: str | None = None


@dataclass(frozen=True, kw_only=True)
class RightsizingFacts(RecommendationFacts):
    family: ClassVar[str] = "rightsizing"

    cpu_avg_percent: float | None = None
    cpu_p95_percent: float | None = None
    current_vcpu: int | None = None
    suggested_reduction: float | None = None


@dataclass(frozen=True, kw_only=True)
class CleanupFacts(RecommendationFacts):
    family: ClassVar[str] = "cleanup"

    cleanup_kind: str  # snapshot, ip, volume, other


@dataclass(frozen=True, kw_only=True)
class StoppedFacts(RecommendationFacts):
    """A stopped server: InfraZen does not know when it stopped, so no age and no waste."""

    family: ClassVar[str] = "stopped"


@dataclass(frozen=True, kw_only=True)
class GenericFacts(RecommendationFacts):
    """Seed types with a known action (shutdown, migrate, commitment) and any unknown type."""

    family: ClassVar[str] = "generic"

    action: str | None = None


# --- readers ----------------------------------------------------------------------------------


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    """dataclasses.asdict with every dict's keys sorted and tuples as lists, in one pass
    (asdict walks and copies through copy.deepcopy: ≈ 3 times the CPU)."""
    if isinstance(value, str | int | float | None):
        return value
    if dataclasses.is_dataclass(value):
        fields = {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
        return {key: fields[key] for key in sorted(fields)}
    if isinstance(value, dict):
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


def _positive(value: Any) -> float | None:
    number = finite_float(value)
    return number if number is not None and number > 0 else None


def _count(value: Any) -> int | None:
    number = finite_float(value)
    return int(number) if number is not None and number >= 0 else None


def _positive_int(value: Any) -> int | None:
    count = _count(value)
    return count or None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in _EMPTY_TEXTS else text


def _status(value: Any) -> str | None:
    # Beget stores "stopped", the rules compare upper-case: show what the rule saw.
    text = _text(value)
    return text.upper() if text else None


def _first(*values: Any, read=_positive) -> Any:
    for value in values:
        result = read(value)
        if result is not None:
            return result
    return None


def _money(value: float | None) -> float | None:
    # Cents are noise in hashing and no text shows them.
    return round(value, 2) if value is not None else None


def _current_monthly(resource, metrics: dict, insights: dict) -> float | None:
    return _money(
        _first(
            metrics.get("current_monthly"),
            insights.get("current_monthly_cost"),
            metrics.get("current_monthly_cost"),
            monthly_cost(resource) if resource is not None else None,
        )
    )


def _catalogue_price(price_id: Any) -> float | None:
    price_id = _count(price_id)
    if not price_id:
        return None
    # provider_prices is the global catalogue: no tenant to scope by.
    price = ProviderPrice.objects.filter(pk=price_id).values_list("monthly_cost", flat=True).first()
    return _positive(price)


def _target_monthly(metrics: dict, insights: dict) -> float | None:
    top = insights.get("top2")
    first = top[0] if isinstance(top, list) and top and isinstance(top[0], dict) else {}
    found = _first(metrics.get("target_monthly"), first.get("monthly"))
    if found is None:
        found = _catalogue_price(insights.get("recommended_price_id"))
    return _money(found)


def _wasted(savings: float | None, age_days: int | None) -> int | None:
    if savings is None or savings <= 0 or age_days is None or age_days <= WASTE_MIN_AGE_DAYS:
        return None
    return rub_round(savings * age_days / DAYS_PER_MONTH) or None


def _cpu_percent(metrics: dict, key: str) -> float | None:
    # The rule writes percents (cpu_avg_percent: 3.2); seeds write fractions (cpu_avg: 0.06).
    percent = finite_float(metrics.get(f"{key}_percent"))
    if percent is None:
        fraction = finite_float(metrics.get(key))
        percent = fraction * 100 if fraction is not None else None
    return round(percent, 1) if percent is not None and 0 <= percent <= 100 else None


def _cluster_kind(source: str | None, resource_type: str | None) -> str | None:
    if source in CLUSTER_SOURCES:
        return CLUSTER_SOURCES[source]
    key = (resource_type or "").lower().replace("-", "_")
    for kind in ("kubernetes", "postgresql", "mysql", "mariadb", "kafka", "redis"):
        if key == f"{kind}_cluster":
            return "mysql" if kind == "mariadb" else kind
    return None


@dataclass(frozen=True)
class _Rows:
    """What one recommendation's facts are read from."""

    rec: OptimizationRecommendation
    resource: Any
    metrics: dict
    insights: dict
    config: dict
    specs: Specs | None


def facts_build(*, recommendation: OptimizationRecommendation) -> RecommendationFacts:
    """The facts for one recommendation, already scoped to its owner by the caller.

    Reads the recommendation, its resource and provider (load them with select_related),
    and at most one row of the global price catalogue.
    """
    resource = recommendation.resource
    rows = _Rows(
        rec=recommendation,
        resource=resource,
        metrics=parse_text_dict(recommendation.metrics_snapshot, field="metrics_snapshot"),
        insights=parse_text_dict(recommendation.insights, field="insights"),
        config=resource_config(resource) if resource is not None else {},
        specs=resource_specs(resource) if resource is not None else None,
    )
    common = _common_facts(rows)
    rec_type = common["recommendation_type"]
    if rec_type in (TYPE_PRICE_CROSS, TYPE_PRICE_SAME):
        return _price_facts(rows, common)
    if rec_type in RIGHTSIZING_TYPES:
        return _rightsizing_facts(rows, common)
    if rec_type == STOPPED_TYPE:
        return StoppedFacts(**common)
    return _unused_facts(rows, common)


def _common_facts(rows: _Rows) -> dict[str, Any]:
    """The facts every kind of recommendation has."""
    rec, resource, metrics, insights = rows.rec, rows.resource, rows.metrics, rows.insights
    provider = rec.provider or (resource.provider if resource is not None else None)
    resource_type = _text(rec.resource_type) or (
        _text(resource.resource_type) if resource is not None else None
    )
    savings = _money(finite_float(rec.estimated_monthly_savings))
    specs = rows.specs
    return {
        "recommendation_id": rec.pk,
        "recommendation_type": (rec.recommendation_type or "").strip(),
        "source": _text(rec.source),
        "title": _text(rec.title),
        "explanation": _text(insights.get("explanation")),
        "resource_name": _text(rec.resource_name)
        or (_text(resource.resource_name) if resource is not None else None),
        "resource_type": resource_type,
        "type_noun": type_noun(resource_type),
        "provider_type": _text(provider.provider_type) if provider is not None else None,
        "status": _first(
            metrics.get("status"), resource.status if resource is not None else None, read=_status
        ),
        "current_monthly": _current_monthly(resource, metrics, insights),
        "savings_monthly": savings,
        "savings_yearly": _money(savings * 12) if savings is not None and savings > 0 else None,
        "specs": None if specs is None or specs.is_empty else specs,
        "target_provider": _first(
            rec.target_provider, insights.get("recommended_provider"), read=_text
        ),
        "target_sku": _first(rec.target_sku, insights.get("recommended_sku"), read=_text),
        "target_region": _first(rec.target_region, insights.get("recommended_region"), read=_text),
        "similarity": _first(metrics.get("similarity"), read=finite_float),
    }


def _price_facts(rows: _Rows, common: dict[str, Any]) -> PriceCompareFacts:
    """A cheaper offer elsewhere or on another plan; a managed cluster's has its parts."""
    insights, config = rows.insights, rows.config
    common = common | {
        "target_monthly": _target_monthly(rows.metrics, insights),
        "same_provider": common["recommendation_type"] == TYPE_PRICE_SAME,
        "specs_unknown": insights.get("specs_unknown")
        if isinstance(insights.get("specs_unknown"), bool)
        else None,
    }
    kind = _cluster_kind(common["source"], common["resource_type"])
    if kind is None:
        return PriceCompareFacts(**common)
    return ClusterPriceCompareFacts(
        **common
        | {
            "type_noun": cluster_noun(CLUSTER_PRODUCTS[kind]),
            "cluster_kind": kind,
            "total_nodes": _first(
                insights.get("total_nodes"),
                config.get("total_nodes"),
                config.get("total_hosts"),
                read=_count,
            ),
            "total_brokers": _first(insights.get("total_brokers"), read=_count),
            "total_vcpus": _first(
                insights.get("total_vcpus"), config.get("total_vcpus"), read=_count
            ),
            "total_ram_gb": _first(insights.get("total_ram_gb"), config.get("total_ram_gb")),
            "recommended_config": _text(insights.get("recommended_config")),
            "migration_complexity": _text(insights.get("migration_complexity")),
        }
    )


def _rightsizing_facts(rows: _Rows, common: dict[str, Any]) -> RightsizingFacts:
    metrics, specs = rows.metrics, rows.specs
    return RightsizingFacts(
        **common,
        cpu_avg_percent=_cpu_percent(metrics, "cpu_avg"),
        cpu_p95_percent=_cpu_percent(metrics, "cpu_p95"),
        current_vcpu=_first(
            metrics.get("current_vcpu"), specs.vcpus if specs else None, read=_positive_int
        ),
        suggested_reduction=_positive(rows.insights.get("suggested_reduction")),
    )


def _unused_facts(rows: _Rows, common: dict[str, Any]) -> CleanupFacts | GenericFacts:
    """Something unused to delete (its age, size, address), or a seed action."""
    metrics, insights, config, resource = rows.metrics, rows.insights, rows.config, rows.resource
    rec_type = common["recommendation_type"]
    age_days = _first(
        insights.get("age_days"),
        metrics.get("age_days"),
        # The seed scripts' disks: days since the disk was last attached, i.e. unused.
        metrics.get("last_attached_days"),
        read=_count,
    )
    common = common | {
        "age_days": age_days,
        "size_gb": _first(insights.get("size_gb"), metrics.get("size_gb"), config.get("size_gb")),
        "ip_address": _first(
            metrics.get("ip_address"),
            insights.get("ip_address"),
            config.get("actual_ip_address"),
            config.get("ip_address"),
            resource.external_ip if resource is not None else None,
            read=_text,
        ),
    }
    if rec_type in CLEANUP_KINDS:
        return CleanupFacts(
            **common,
            cleanup_kind=CLEANUP_KINDS[rec_type],
            wasted_rub=_wasted(common["savings_monthly"], age_days),
        )
    return GenericFacts(**common, action=rec_type if rec_type in ACTION_TYPES else None)
