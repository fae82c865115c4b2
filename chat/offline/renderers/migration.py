"""Answers about carrying a recommendation out: the alternatives, the risks, the step plan.

The tools' reasons, caveats and steps are Russian texts; an English answer says them by their
codes (chat.offline.tool_wording).
"""

from __future__ import annotations

from chat.offline import tool_wording, wording
from chat.offline.answer import (
    TEXT_MAX_CHARS,
    Answer,
    bold,
    clean,
    has_money_text,
    joined,
    lower_first,
    numbered,
    percent,
)
from chat.offline.renderers.recommendation import savings_text
from ru_format import capitalised
from tools import (
    estimate_migration_effort,
    generate_step_plan,
    get_recommendation,
    list_top_alternatives,
)


def _reason_en(reason: estimate_migration_effort.Reason) -> str | None:
    template = tool_wording.REASONS.get(reason.code or "")
    return template.format(value=reason.value) if template else None


def _caveat_en(effort: estimate_migration_effort.Result, index: int) -> str | None:
    codes = effort.caveat_codes
    return tool_wording.CAVEATS.get(codes[index]) if index < len(codes) else None


def _step_en(step: generate_step_plan.Step, part: int) -> str | None:
    """The English title (part 0) or check (part 1) of a step."""
    pair = tool_wording.STEPS.get(step.code or "")
    return pair[part] if pair else None


def _alternative(a: Answer, alt: list_top_alternatives.Alternative) -> str:
    where = joined(clean(v, 60) for v in (alt.region, alt.sku, alt.config) if v)
    text = bold(a.provider(alt.provider) or "—") + (f", {where}" if where else "")
    text += f" — {a.rub(alt.monthly_price)}"
    if alt.savings is not None and alt.savings.amount > 0:
        share = f", {percent(alt.savings_percent)}" if alt.savings_percent else ""
        text += a.say("alt_saves", saving=a.rub(alt.savings), share=share)
    elif alt.savings is not None and alt.savings.amount < 0:
        text += a.say("alt_dearer", more=a.rub(abs(alt.savings.amount), "month"))
    elif alt.savings is not None:
        text += a.say("alt_same")
    if alt.parity is not None and alt.parity.score is not None:
        text += a.say("alt_parity", parity=percent(alt.parity.score * 100))
    return text + "."


def answer_alternatives(a: Answer) -> list[str]:
    result = a.get(list_top_alternatives.Result)
    if result is None:
        return a.no_data()
    about = joined(
        [
            a.rub(result.current_monthly) if result.current_monthly else None,
            a.provider(result.current_provider),
            a.specs(result.vcpus, result.ram_gb, result.storage_gb),
        ]
    )
    name = bold(clean(result.resource_name)) if result.resource_name else a.say("alt_resource")
    subject = f"{name} ({about})" if about else name
    offers = result.alternatives
    cheaper = [o for o in offers if o.savings is not None and o.savings.amount > 0]
    count = a.count(len(offers), "option")
    if not offers:
        lead = a.say("alt_none", subject=subject)
    elif cheaper:
        best = max(cheaper, key=lambda o: o.savings.amount)
        lead = a.say(
            "alt_best",
            subject=subject,
            count=count,
            provider=bold(a.provider(best.provider) or "—"),
            price=bold(a.rub(best.monthly_price)),
            saving=a.rub(best.savings),
        )
    else:
        lead = a.say("alt_none_cheaper", subject=subject, count=count)
    excluded = None
    if result.excluded_providers:
        names = ", ".join(a.provider(p) or p for p in result.excluded_providers)
        excluded = a.say("alt_excluded", providers=names)
    note = None
    if not a.en and result.note and not has_money_text(result.note):
        note = clean(result.note, TEXT_MAX_CHARS)
    lines = [lead, *numbered(_alternative(a, o) for o in offers)]
    return [*lines, *a.missing(), excluded, note, a.next_step("alternatives")]


def _effort(a: Answer, effort: estimate_migration_effort.Result) -> str:
    level = a.label(wording.EFFORT_LEVELS, effort.level)
    score = a.say("effort_score", score=effort.score, level=level)
    if not effort.downtime_minutes:
        return a.say("effort_no_downtime", score=score)
    downtime = a.count(effort.downtime_minutes, "minute_genitive")
    return a.say("effort", score=score, downtime=downtime)


def answer_risks(a: Answer) -> list[str]:
    effort, rec = a.get(estimate_migration_effort.Result), a.get(get_recommendation.Result)
    savings = savings_text(a, rec) if rec is not None else None
    if effort is None:
        saving = a.say("risks_saving_only", savings=savings) if savings else None
        return [*a.missing(), saving, a.pick(wording.NEXT_STEPS_NO_DATA)]
    phrase = capitalised(_effort(a, effort))
    lead = a.say("risks_lead", effort=phrase, savings=savings) if savings else phrase + "."
    reasons = [
        a.tool_text(r.detail, _reason_en(r)) + (f" (+{r.points})" if r.points > 0 else "")
        for r in effort.reasons
    ]
    caveats = [
        a.say("risks_caveat", text=a.tool_text(caveat, _caveat_en(effort, index)))
        for index, caveat in enumerate(effort.caveats)
    ]
    lines = [lead, a.say("risks_heading"), *numbered(reasons), *caveats]
    return [*lines, *a.missing(), a.next_step("risks")]


def answer_plan(a: Answer) -> list[str]:
    steps = a.get(generate_step_plan.Result)
    if steps is None:
        return a.no_data()
    effort, rec = a.get(estimate_migration_effort.Result), a.get(get_recommendation.Result)
    savings = savings_text(a, rec) if rec is not None else None
    facts = joined(
        [
            _effort(a, effort) if effort else None,
            a.say("plan_saving", savings=savings) if savings else None,
        ]
    )
    name = bold(clean(steps.resource_name)) if steps.resource_name else None
    lead = a.say(
        "plan_lead",
        name=a.say("plan_for", name=name) if name else "",
        count=a.count(len(steps.steps), "step"),
        facts=f"; {facts}" if facts else "",
    )
    items = [
        a.say(
            "plan_step",
            title=a.tool_text(step.title, _step_en(step, 0)),
            risk=a.label(wording.STEP_RISKS, step.risk),
            check=lower_first(a.tool_text(step.check, _step_en(step, 1))),
        )
        for step in steps.steps
    ]
    risky = ", ".join(str(s.order) for s in steps.steps if s.risk == "high")
    warning = a.say("plan_risky", steps=risky) if risky else None
    return [lead, *numbered(items), warning, *a.missing(), a.next_step("plan")]
