"""Context packs: the few facts a chat needs up front, so simple questions need no tool call.

A pack is built only from the tools' own run() functions, as the acting user, so it is
scoped exactly like a tool call and every figure keeps the unit and period its tool gave it
(a Money becomes "19800 RUB/month", never a bare number). A tool that refuses (the
recommendation was deleted mid-chat, say) leaves its part out and says so under
"unavailable"; the pack is still built.

Packs are compact on purpose (PACK_TOKEN_TARGET on the demo data): they travel in the
system prompt on every model call. Everything else is one tool call away.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from core.errors import NotFound
from infrazen.models import ChatSession, InfraZenUser
from infrazen.values import redact_secrets
from tools.base import Money, ToolError, lookups_shared
from tools.registry import TOOLS

logger = logging.getLogger(__name__)

SCENARIO_RECOMMENDATION = ChatSession.SCENARIO_RECOMMENDATION
SCENARIO_ANALYTICS = ChatSession.SCENARIO_ANALYTICS

PACK_TOKEN_TARGET = 600
DEFAULT_TIME_RANGE_DAYS = 30
MAX_TIME_RANGE_DAYS = 365
# get_anomalies needs a week of points and scans at most half a year.
ANOMALY_RANGE_DAYS = (7, 180)
TOP_ALTERNATIVES = 5
TOP_RECOMMENDATIONS = 5
TOP_ANOMALIES = 5
# A driver is named when it accounts for at least this share of the anomaly's deviation.
DRIVER_SHARE = 0.2
RECENT_CHANGES = 3
TITLE_CHARS = 90
UNAVAILABLE = "unavailable"


def money_text(value: Money | None) -> str | None:
    """One figure with the unit and period its tool gave it: "19800 RUB/month"."""
    if value is None:
        return None
    amount = f"{value.amount:.2f}".rstrip("0").rstrip(".")
    if value.period == "one_time":
        return f"{amount} {value.unit} one_time"
    return f"{amount} {value.unit}/{value.period}"


def _compact(value: Any) -> Any:
    """Money → text, and no empty fields: they cost tokens and say nothing."""
    if isinstance(value, Money):
        return money_text(value)
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, dict):
        kept = {key: _compact(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [_compact(item) for item in value]
    return value


def _pick(result: BaseModel, *fields: str, **renamed: str) -> dict[str, Any]:
    """Chosen fields of a tool result, compacted; `renamed` maps pack key → result field."""
    picked = {field: getattr(result, field) for field in fields}
    picked |= {key: getattr(result, field) for key, field in renamed.items()}
    return _compact(picked)


def _clip(text: str | None, limit: int = TITLE_CHARS) -> str | None:
    if not text or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


@dataclass
class PackRun:
    """One tool the context pack ran, for the audit trail (as a model-requested call is)."""

    tool: str
    arguments: dict[str, Any]
    result: Any = None
    ok: bool = True
    error: str = ""
    latency_ms: float = 0.0


# The runs of the pack being built in this context (context_pack_build's `runs`).
_RUNS: ContextVar[list[PackRun] | None] = ContextVar("context_pack_runs", default=None)


def _tool(user: InfraZenUser, name: str, **arguments: Any) -> BaseModel:
    module = TOOLS[name]
    run = PackRun(tool=name, arguments=arguments)
    started = time.perf_counter()
    try:
        run.result = module.run(user=user, args=module.Args(**arguments))
        return run.result
    except (ToolError, NotFound, ValidationError) as exc:
        run.ok, run.error = False, getattr(exc, "message", None) or type(exc).__name__
        raise
    finally:
        run.latency_ms = (time.perf_counter() - started) * 1000
        runs = _RUNS.get()
        if runs is not None:
            runs.append(run)


class _Pack:
    """Collects the parts; a part whose tool refused becomes a note instead."""

    def __init__(self, **head: Any):
        self.data: dict[str, Any] = dict(head)
        self.unavailable: dict[str, str] = {}

    def part(self, key: str, build: Callable[[], Any]) -> Any:
        try:
            value = build()
        except (ToolError, NotFound) as exc:
            # Both carry a message written to be shown to the model.
            self.missing(key, exc.message)
            return None
        except ValidationError:
            # Arguments we built were refused (an id out of range): same as a missing row.
            logger.warning("context pack: %s refused its arguments", key)
            self.missing(key, "invalid arguments")
            return None
        if value not in (None, [], {}):
            self.data[key] = value
        return value

    def missing(self, key: str, reason: str) -> None:
        self.unavailable[key] = f"{UNAVAILABLE}: {reason}"

    def result(self) -> dict[str, Any]:
        if self.unavailable:
            self.data[UNAVAILABLE] = self.unavailable
        # The tools already leave secrets out; a pack is a prompt, so check once more.
        return redact_secrets(self.data)


# --- recommendation scenario ----------------------------------------------------------------

# Per-type facts get_recommendation gives beyond the common ones: kept when present.
RECOMMENDATION_EXTRAS = (
    "age_days",
    "size_gb",
    "already_spent",
    "cpu_avg_percent",
    "cpu_p95_percent",
    "current_vcpu",
    "cluster_kind",
    "total_nodes",
    "migration_complexity",
)


def _recommendation_part(user: InfraZenUser, recommendation_id: int) -> dict[str, Any]:
    found = _tool(user, "get_recommendation", recommendation_id=recommendation_id)
    part = _pick(
        found,
        "id",
        "type",
        "status",
        "savings_monthly",
        "savings_yearly",
        "current_monthly",
        "target_monthly",
        "target_provider",
        "target_region",
        "target_sku",
        *RECOMMENDATION_EXTRAS,
    )
    part["title"] = _clip(found.title)
    part["resource_id"] = found.resource_id
    return _compact(part)


def _resource_part(user: InfraZenUser, resource_id: int) -> dict[str, Any]:
    found = _tool(user, "get_resource", resource_id=resource_id)
    return _pick(
        found,
        "id",
        "name",
        "region",
        "status",
        "environment",
        "monthly_cost",
        "daily_cost",
        "specs",
        type="resource_type",
        provider="provider_type",
        connection="connection_name",
    )


def _alternatives_part(user: InfraZenUser, recommendation_id: int) -> dict[str, Any]:
    found = _tool(
        user, "list_top_alternatives", recommendation_id=recommendation_id, limit=TOP_ALTERNATIVES
    )
    offers, pricier = [], 0
    for offer in found.alternatives[:TOP_ALTERNATIVES]:
        # The catalogue match can return bigger, dearer shapes; they are no saving to discuss.
        if offer.savings is not None and offer.savings.amount <= 0:
            pricier += 1
            continue
        item = _pick(
            offer, "provider", "region", "sku", "monthly_price", "savings", "savings_percent"
        )
        if offer.parity is not None and offer.parity.score is not None:
            item["parity"] = offer.parity.score
        offers.append(item)
    return _compact(
        {
            "offers": offers,
            "pricier_left_out": pricier or None,
            "excluded_providers": found.excluded_providers,
            "note": found.note if not offers else None,
        }
    )


def _snapshot_part(user: InfraZenUser, resource_id: int) -> dict[str, Any]:
    found = _tool(user, "get_latest_snapshot", resource_id=resource_id)
    part: dict[str, Any] = {"status": found.status, "syncs_seen": len(found.states)}
    if found.latest_complete_sync_at:
        part["last_sync"] = f"{found.latest_complete_sync_at} {found.latest_complete_sync_status}"
    if found.provider_sync_status not in (None, "success"):
        part["provider_sync_status"] = found.provider_sync_status
    changes = [
        _compact(
            {
                "at": state.synced_at,
                "field": change.field,
                "from": change.previous_cost or change.previous,
                "to": change.current_cost or change.current,
            }
        )
        for state in found.states
        for change in state.changes
    ]
    part["recent_changes"] = changes[:RECENT_CHANGES]
    part["note"] = found.note
    return _compact(part)


def _effort_part(user: InfraZenUser, recommendation_id: int) -> dict[str, Any]:
    found = _tool(user, "estimate_migration_effort", recommendation_id=recommendation_id)
    part = _pick(found, "action", "score", "level", "downtime_minutes", "caveats")
    part["score"] = f"{found.score}/5"
    part["reasons"] = [reason.detail for reason in found.reasons if reason.points]
    return _compact(part)


def _recommendation_pack(*, user: InfraZenUser, recommendation_id: int | None) -> dict[str, Any]:
    pack = _Pack(scenario=SCENARIO_RECOMMENDATION)
    if recommendation_id is None:
        pack.missing("recommendation", "no recommendation id")
        return pack.result()
    recommendation = pack.part(
        "recommendation", lambda: _recommendation_part(user, recommendation_id)
    )
    if recommendation is None:
        # Deleted (or never ours): nothing else about it can be read either.
        return pack.result()
    resource_id = recommendation.get("resource_id")
    if resource_id is not None:
        pack.part("resource", lambda: _resource_part(user, resource_id))
    else:
        pack.missing("resource", "the recommendation names no resource")
    pack.part("alternatives", lambda: _alternatives_part(user, recommendation_id))
    if resource_id is not None:
        pack.part("latest_snapshot", lambda: _snapshot_part(user, resource_id))
    pack.part("effort", lambda: _effort_part(user, recommendation_id))
    return pack.result()


# --- analytics scenario ---------------------------------------------------------------------


def time_range_days(context: dict | None) -> int:
    """The range the analytics page shows (7/30/90 from the InfraZen client), else 30."""
    value = (context or {}).get("time_range_days")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_TIME_RANGE_DAYS
    return value if 1 <= value <= MAX_TIME_RANGE_DAYS else DEFAULT_TIME_RANGE_DAYS


def _kpis_part(user: InfraZenUser, days: int) -> dict[str, Any]:
    found = _tool(user, "get_analytics_overview", time_range_days=days)
    part = _pick(
        found,
        "cost_date",
        "daily_cost",
        "monthly_cost",
        "active_resources",
        "note",
        day_change_percent="change_vs_previous_day_percent",
    )
    # The usual case, a successful sync on the cost date, is what cost_date already says.
    if found.last_sync_at and (
        found.last_sync_status != "success"
        or not found.last_sync_at.startswith(found.cost_date or "-")
    ):
        part["last_sync"] = f"{found.last_sync_at} {found.last_sync_status}"
    if found.providers_total is not None:
        part["providers_synced"] = f"{found.providers_successful}/{found.providers_total}"
    failing = [
        _pick(health, "connection_name", "status", "error")
        for health in found.provider_health
        if health.status != "success"
    ]
    if failing:
        part["failing_providers"] = failing
    return part


def _trend_part(user: InfraZenUser, days: int) -> dict[str, Any]:
    found = _tool(user, "get_cost_trends", time_range_days=days)
    if not found.points:
        return {"note": "no cost data in this range"}
    first = found.points[0]
    start = money_text(Money(amount=first.daily_cost, unit=found.unit, period=found.values_period))
    part = {
        # With bucket_days > 1 each point, the start too, is the average day of its bucket.
        "start": f"{first.date}: {start}",
        "latest": money_text(found.latest_daily_cost),
        "min": money_text(found.min_daily_cost),
        "max": money_text(found.max_daily_cost),
        "avg": money_text(found.average_daily_cost),
        "change_percent": found.change_over_range_percent,
        "bucket_days": found.bucket_days if found.bucket_days > 1 else None,
        "days_with_data": len(found.points) if found.bucket_days == 1 else None,
        "partial_days": found.partial_days or None,
    }
    return _compact(part)


def _anomalies_part(user: InfraZenUser, days: int) -> list[dict[str, Any]] | dict[str, Any]:
    low, high = ANOMALY_RANGE_DAYS
    found = _tool(user, "get_anomalies", time_range_days=min(max(days, low), high))
    if found.note and not found.anomalies:
        return {"note": found.note}
    items = []
    for anomaly in found.anomalies[:TOP_ANOMALIES]:
        item = _pick(
            anomaly,
            "direction",
            "actual",
            "expected",
            "deviation_percent",
            date="peak_date",
        )
        if anomaly.days > 1:
            item["days"] = f"{anomaly.date}..{anomaly.end_date}"
        # A connection that moved a little, or the other way, did not make the anomaly.
        deviation = anomaly.actual.amount - anomaly.expected.amount
        item["drivers"] = [
            f"{driver.connection_name}: {money_text(driver.delta)}"
            for driver in anomaly.drivers
            if driver.delta.amount * deviation >= DRIVER_SHARE * deviation**2
        ]
        items.append(_compact(item))
    return items or {"note": "no anomalies found"}


def _top_recommendations_part(user: InfraZenUser) -> dict[str, Any]:
    found = _tool(user, "summarize_top_recommendations", limit=TOP_RECOMMENDATIONS)
    return _compact(
        {
            "pending_count": found.count,
            "pending_total": found.total_savings,
            "pending_total_yearly": found.total_savings_yearly,
            "top": [
                _compact(
                    {
                        "id": item.id,
                        "title": _clip(item.title),
                        "savings": item.savings,
                    }
                )
                for item in found.recommendations
            ],
        }
    )


def _providers_part(user: InfraZenUser) -> dict[str, Any]:
    found = _tool(user, "get_provider_breakdown")
    return _compact(
        {
            "cost_date": found.cost_date,
            "total": found.total_monthly_cost,
            "partial_sync": found.partial_sync or None,
            "by_connection": [
                _compact(
                    {
                        "name": provider.connection_name,
                        "type": provider.provider_type,
                        "monthly": provider.monthly_cost,
                        "share_percent": provider.share_percent,
                    }
                )
                for provider in found.providers
            ],
        }
    )


def _analytics_pack(*, user: InfraZenUser, context: dict | None) -> dict[str, Any]:
    days = time_range_days(context)
    pack = _Pack(scenario=SCENARIO_ANALYTICS, time_range_days=days)
    kpis = pack.part("kpis", lambda: _kpis_part(user, days))
    pack.part("trend", lambda: _trend_part(user, days))
    pack.part("anomalies", lambda: _anomalies_part(user, days))
    pack.part("top_recommendations", lambda: _top_recommendations_part(user))
    providers = pack.part("providers", lambda: _providers_part(user))
    if kpis and providers:
        # Both read the latest day: say its date and total once.
        for key, kpi in (("cost_date", "cost_date"), ("total", "monthly_cost")):
            if providers.get(key) == kpis.get(kpi):
                providers.pop(key, None)
    return pack.result()


def context_pack_json(*, pack: dict) -> str:
    """The pack as it is written into the prompt: compact JSON, Cyrillic kept readable."""
    return json.dumps(pack, ensure_ascii=False, separators=(",", ":"))


def context_pack_build(
    *,
    user: InfraZenUser,
    scenario: str,
    recommendation_id: int | None,
    context: dict,
    runs: list[PackRun] | None = None,
) -> dict:
    """The context pack of one chat turn, read as `user` (sync: it reads the DB). The tools
    it ran are appended to `runs` when given (the audit trail)."""
    token = _RUNS.set(runs)
    try:
        with lookups_shared():
            if scenario == SCENARIO_RECOMMENDATION:
                return _recommendation_pack(user=user, recommendation_id=recommendation_id)
            if scenario == SCENARIO_ANALYTICS:
                return _analytics_pack(user=user, context=context)
    finally:
        _RUNS.reset(token)
    raise ValueError(f"unknown chat scenario: {scenario!r}")
