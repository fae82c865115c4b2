"""Answers that rank: the top recommendations, costs by provider, costs by service."""

from __future__ import annotations

from chat.offline import wording
from chat.offline.answer import Answer, bold, clean, joined, percent
from tools import get_provider_breakdown, get_service_breakdown, summarize_top_recommendations


def answer_top(a: Answer) -> list[str]:
    result = a.get(summarize_top_recommendations.Result)
    if result is None:
        return a.no_data()
    elsewhere = None
    if a.plan.asked in ("explain", "alternatives", "risks", "plan"):
        elsewhere = a.say("elsewhere_analytics")
    if not result.recommendations:
        return [a.say("top_none"), elsewhere, *a.missing(), a.next_step("top")]
    first = result.recommendations[0]
    biggest = bold(clean(first.resource_name or first.title or f"#{first.id}"))
    if first.savings:
        biggest += f": {bold(a.rub(first.savings))}"
    lead = a.say(
        "top_lead",
        biggest=biggest,
        count=a.count(result.count, "recommendation"),
        total=bold(a.rub(result.total_savings)),
        yearly=a.rub(result.total_savings_yearly),
    )
    items = []
    for item in result.recommendations:
        where = joined(
            [a.label(wording.RESOURCE_TYPES, item.resource_type), a.provider(item.provider_type)]
        )
        head = bold(clean(item.resource_name or f"#{item.id}")) + (f" ({where})" if where else "")
        saving = f" — {a.rub(item.savings)}" if item.savings else ""
        what = (
            clean(item.title, 120)
            if item.title and not a.en
            else a.label(wording.RECOMMENDATION_TYPES, item.recommendation_type)
        )
        items.append(f"{head}{saving}: {what} (#{item.id}).")
    return a.finish(lead, items, elsewhere, a.next_step("top"))


def _share(value: float | None) -> str:
    return f", {percent(value)}" if value is not None else ""


def answer_providers(a: Answer) -> list[str]:
    result = a.get(get_provider_breakdown.Result)
    if result is None:
        return a.no_data()
    if not result.providers or result.total_monthly_cost is None:
        return [a.say("pr_none"), *a.missing(), a.pick(wording.NEXT_STEPS_NO_DATA)]
    first = result.providers[0]
    date = a.date(result.cost_date)
    lead = a.say(
        "pr_lead",
        name=bold(clean(first.connection_name)),
        monthly=bold(a.rub(first.monthly_cost)),
        share=_share(first.share_percent),
        total=f"{bold(a.rub(result.total_monthly_cost))} ({a.rub(result.total_daily_cost)})",
        date=a.say("as_of", date=date) if date else "",
    )
    items = []
    for provider in result.providers:
        kind = a.provider(provider.provider_type)
        name = clean(provider.connection_name) + (f" ({kind})" if kind else "")
        items.append(
            f"{name} — {a.rub(provider.monthly_cost)} ({a.rub(provider.daily_cost)})"
            f"{_share(provider.share_percent)}."
        )
    partial = a.say("pr_partial") if result.partial_sync else None
    return a.finish(lead, items, partial, a.next_step("providers"))


def answer_services(a: Answer) -> list[str]:
    result = a.get(get_service_breakdown.Result)
    if result is None:
        return a.no_data()
    if not result.services:
        return [a.say("sv_none"), *a.missing(), a.next_step("services")]
    first = result.services[0]
    lead = a.say(
        "sv_lead",
        name=bold(clean(first.service_name)),
        monthly=bold(a.rub(first.monthly_cost)),
        share=_share(first.share_percent),
        total=bold(a.rub(result.total_monthly_cost)),
    )
    items = []
    for service in result.services:
        providers = joined(a.provider(p) for p in service.provider_types)
        text = clean(service.service_name) + (f" ({providers})" if providers else "")
        text += f" — {a.rub(service.monthly_cost)}, {a.count(service.resources, 'resource')}"
        text += _share(service.share_percent)
        largest = ", ".join(
            f"{clean(r.name, 40)} ({a.rub(r.monthly_cost)})" for r in service.top_resources[:2]
        )
        if largest:
            text += a.say("sv_largest", items=largest)
        items.append(text + ".")
    other = None
    if result.other_services and result.other_monthly_cost is not None:
        other = a.say(
            "sv_other",
            count=a.count(result.other_services, "service"),
            cost=a.rub(result.other_monthly_cost),
        )
    return a.finish(lead, items, other, a.next_step("services"))
