"""Answers about one recommendation: what it is, what it saves, the resource it is about."""

from __future__ import annotations

import math

from chat.offline import wording
from chat.offline.answer import (
    TEXT_MAX_CHARS,
    Answer,
    bold,
    clean,
    has_money_text,
    joined,
    percent,
    signed_percent,
)
from ru_format import capitalised, rub, short_number
from tools import calculate_savings, get_latest_snapshot, get_recommendation, get_resource

Rec = get_recommendation.Result


def _subject(a: Answer, rec: Rec) -> str:
    """ "**office** (сервер, Yandex Cloud)"."""
    kind = a.label(wording.RESOURCE_TYPES, rec.resource_type)
    where = joined([kind, a.provider(rec.provider_type)])
    name = bold(clean(rec.resource_name)) if rec.resource_name else None
    if name:
        return f"{name} ({where})" if where else name
    return where or a.pick(wording.WORDS["alt_resource"])


def _kind(a: Answer, rec: Rec) -> str:
    pair = wording.RECOMMENDATION_TYPES.get(rec.type) or wording.FAMILY_TYPES.get(rec.family)
    return a.pick(pair) if pair else clean(rec.type, 60)


def savings_text(a: Answer, rec: Rec) -> str | None:
    if rec.savings_monthly is None:
        return None
    monthly = bold(a.rub(rec.savings_monthly))
    return f"{monthly} ({a.rub(rec.savings_yearly)})" if rec.savings_yearly else monthly


def _size(a: Answer, size_gb: float | None) -> str | None:
    return a.say("size_gb", size=short_number(size_gb)) if size_gb else None


def _why(a: Answer, rec: Rec) -> str | None:
    """Why the rule fired, from the structured figures; a rule text only when it has no ₽."""
    if rec.family == "price":
        nodes = (
            a.say("why_nodes", nodes=a.count(rec.total_nodes, "node")) if rec.total_nodes else None
        )
        target = joined(
            [
                a.provider(rec.target_provider),
                clean(rec.target_region, 30) if rec.target_region else None,
                clean(rec.target_sku, 60) if rec.target_sku else None,
                nodes,
            ]
        )
        return a.say("why_target", target=target) if target else None
    if rec.family == "rightsizing" and rec.cpu_avg_percent is not None:
        text = a.say("why_cpu", avg=percent(rec.cpu_avg_percent))
        if rec.cpu_p95_percent is not None:
            text += a.say("why_cpu_peak", peak=percent(rec.cpu_p95_percent))
        if rec.current_vcpu:
            text += a.say("why_cpu_vcpu", vcpu=rec.current_vcpu)
        return text + "."
    if rec.family == "stopped":
        return a.say("why_stopped")
    if rec.family == "cleanup" and rec.age_days is not None:
        age = a.count(rec.age_days, "day")
        kind = (rec.resource_type or "").lower()
        if rec.ip_address or kind in ("reserved_ip", "ip", "floating_ip"):
            ip = f" {clean(rec.ip_address, 45)}" if rec.ip_address else ""
            text = a.say("why_ip", ip=ip, age=age)
        elif "snapshot" in kind:
            size = _size(a, rec.size_gb)
            text = a.say("why_snapshot", age=age, size=f", {size}" if size else "")
        else:
            size = _size(a, rec.size_gb)
            text = a.say("why_unused", age=age, size=f" ({size})" if size else "")
        if rec.already_spent is not None and rec.already_spent.amount > 0:
            text += a.say("why_spent", spent=a.rub_total(rec.already_spent, "spent_over"))
        return text + "."
    if a.en:
        return None
    for text in (rec.explanation, rec.description):
        if text and not has_money_text(text):
            return clean(text, TEXT_MAX_CHARS)
    return None


def _costs(a: Answer, rec: Rec, calc: calculate_savings.Result | None) -> str | None:
    current = calc.current if calc else rec.current_monthly
    new = calc.new if calc else rec.target_monthly
    if current is None:
        return None
    if new is None:
        return a.say("costs_now", current=a.rub(current))
    share = f" ({signed_percent(-calc.savings_percent)})" if calc and calc.savings_percent else ""
    return a.say("costs_now_new", current=a.rub(current), new=a.rub(new), share=share)


def _status(a: Answer, rec: Rec) -> str | None:
    parts = [
        a.say("status", value=a.label(wording.STATUSES, rec.status)) if rec.status else None,
        a.say("severity", value=a.label(wording.SEVERITIES, rec.severity))
        if rec.severity
        else None,
    ]
    if rec.confidence is not None and 0 < rec.confidence <= 1:
        parts.append(a.say("confidence", value=percent(rec.confidence * 100)))
    text = joined(parts)
    return capitalised(text) + "." if text else None


def answer_explain(a: Answer) -> list[str]:
    """What the recommendation is; an unknown question gets this and what can be asked."""
    unknown = a.plan.intent == "overview"
    rec = a.get(get_recommendation.Result)
    if not a.plan.recommendation_id:
        return [a.say("no_recommendation"), a.can_ask()]
    if rec is None:
        return [*a.missing(), a.can_ask() if unknown else a.pick(wording.NEXT_STEPS_NO_DATA)]
    kind, subject = _kind(a, rec), _subject(a, rec)
    title = bold(clean(rec.title, 120)) if rec.title else None
    lead = a.say(
        "rec_lead_titled" if title else "rec_lead",
        id=rec.id,
        title=title,
        kind=kind,
        subject=subject,
    )
    savings = savings_text(a, rec)
    if savings:
        lead += a.say("rec_saves", savings=savings)
    details = [_costs(a, rec, a.get(calculate_savings.Result)), _why(a, rec), _status(a, rec)]
    # Alternatives exist only for a move; for the rest the next question is how to do it.
    next_step = a.next_step("explain" if rec.family == "price" else "explain_change")
    return a.finish(lead, details, a.can_ask() if unknown else next_step)


def answer_savings(a: Answer) -> list[str]:
    rec, calc = a.get(get_recommendation.Result), a.get(calculate_savings.Result)
    if rec is None:
        return a.no_data()
    monthly = calc.savings_monthly if calc else rec.savings_monthly
    yearly = calc.savings_yearly if calc else rec.savings_yearly
    if monthly is None:
        lead = a.say("savings_unknown")
    elif monthly.amount <= 0:
        lead = a.say("savings_negative", more=bold(a.rub(abs(monthly.amount), "month")))
    else:
        month = bold(a.rub(monthly))
        year = bold(a.rub(yearly)) if yearly else None
        quarter = calc.savings_for_period if calc else None
        if a.plan.period == "quarter" and quarter and quarter.period == "quarter" and year:
            lead = a.say("savings_quarter", quarter=bold(a.rub(quarter)), month=month, year=year)
        elif a.plan.period == "year" and year:
            lead = a.say("savings_year", year=year, month=month)
        else:
            lead = a.say("savings_month" if year else "savings_month_only", month=month, year=year)
    details = [
        _costs(a, rec, calc),
        a.say("savings_action", kind=_kind(a, rec), subject=_subject(a, rec)),
        _why(a, rec),
    ]
    elsewhere = a.say("elsewhere_recommendation") if a.plan.asked == "top" else None
    return a.finish(lead, details, elsewhere, a.next_step("savings"))


def _usage(usage: dict[str, str], key: str) -> float | None:
    try:
        value = float(usage[key])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _resource_lines(a: Answer, resource: get_resource.Result) -> tuple[str, list[str | None]]:
    status = a.say("res_status", status=clean(resource.status, 30)) if resource.status else None
    where = joined(
        [
            a.label(wording.RESOURCE_TYPES, resource.resource_type),
            a.provider(resource.provider_type),
            clean(resource.region, 30) if resource.region else None,
            status,
        ]
    )
    lead = a.say(
        "res_lead",
        name=bold(clean(resource.name)),
        where=where,
        monthly=bold(a.rub(resource.monthly_cost)),
        daily=a.rub(resource.daily_cost),
    )
    specs = resource.specs
    config = a.specs(specs.vcpus, specs.ram_gb, specs.storage_gb)
    if config and specs.disk_type:
        config += f" ({clean(specs.disk_type, 30)})"
    details: list[str | None] = [a.say("res_config", specs=config) if config else None]
    for key, peak_key, template, peak_template, fmt in (
        ("cpu_avg_usage", "cpu_max_usage", "res_cpu", "res_peak", percent),
        ("memory_avg_usage", "memory_max_usage", "res_memory", "res_peak_mb", rub),
    ):
        average, peak = _usage(resource.usage, key), _usage(resource.usage, peak_key)
        if average is not None:
            text = a.say(template, avg=fmt(average))
            if peak is not None:
                text += a.say(peak_template, peak=fmt(peak))
            details.append(text + ".")
    return lead, details


def _snapshot_line(a: Answer, snapshot: get_latest_snapshot.Result) -> str:
    when = a.date(snapshot.latest_complete_sync_at or snapshot.provider_last_sync, time=True)
    status = a.label(
        wording.SYNC_STATUSES,
        snapshot.latest_complete_sync_status or snapshot.provider_sync_status,
    )
    text = a.say(
        "sync_last", when=f" {when}" if when else "", status=f" ({status})" if status else ""
    )
    costs = [
        change
        for state in snapshot.states
        for change in state.changes
        if change.field == "cost" and change.previous_cost and change.current_cost
    ]
    if costs:
        before, after = costs[0].previous_cost, costs[0].current_cost
        text += a.say("sync_cost_changed", before=a.rub(before), after=a.rub(after))
    elif snapshot.states:
        n = len(snapshot.states)
        last = a.say("last_sync_one") if n == 1 else a.say("last_syncs", count=a.count(n, "sync"))
        changed = any(state.state_action != "unchanged" for state in snapshot.states)
        text += a.say("sync_changed" if changed else "sync_unchanged", last=last)
    return text + "."


def answer_resource(a: Answer) -> list[str]:
    resource, rec = a.get(get_resource.Result), a.get(get_recommendation.Result)
    if resource is not None:
        lead, details = _resource_lines(a, resource)
    elif rec is not None:
        lead = a.say("res_from_rec", subject=_subject(a, rec))
        if rec.current_monthly is not None:
            lead += a.say("res_from_rec_cost", cost=bold(a.rub(rec.current_monthly)))
        lead += "."
        details = [_why(a, rec)]
    else:
        return a.no_data()
    snapshot = a.get(get_latest_snapshot.Result)
    if snapshot is not None:
        details.append(_snapshot_line(a, snapshot))
    elsewhere = None
    if a.plan.asked in ("trends", "anomalies", "providers", "services", "top"):
        elsewhere = a.say("elsewhere_recommendation")
    return a.finish(lead, details, elsewhere, a.next_step("resource"))
