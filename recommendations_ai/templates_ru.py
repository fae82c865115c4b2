"""Deterministic Russian recommendation texts, rendered from facts.

These texts are what a card shows when no model is configured or a model's text fails its
checks, and the formats are the product description's (§6.1.2); its four examples come out
character for character. All wording lives in the constants of recommendations_ai.wording_ru:
a change in tone is a change there.

Rules every template keeps (§6.1.3): lead with the money; every ₽ amount in <strong>, every
provider in <span class='provider-name'>; the resource type named concretely in the case the
sentence needs; "already spent" only after 30 days; no filler sentences; nothing rendered
from a missing value (no "None", no invented "0 ₽").
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

from infrazen.values import Specs
from recommendations_ai import wording_ru as wording
from recommendations_ai.facts import (
    WASTE_MIN_AGE_DAYS,
    CleanupFacts,
    ClusterPriceCompareFacts,
    GenericFacts,
    PriceCompareFacts,
    RecommendationFacts,
    RightsizingFacts,
    StoppedFacts,
)
from recommendations_ai.sanitize import PROVIDER_SPAN
from ru_format import (
    Period,
    capitalised,
    counted,
    days,
    rub,
    rub_period,
    rub_round,
    short_number,
)


@dataclass(frozen=True)
class RenderedTexts:
    short_html: str
    detailed_html: str


# --- pieces -----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    # Collapse whitespace so a non-breaking space cannot come back from the sanitiser as &nbsp;.
    return html.escape(" ".join(text.split()), quote=False)


def _name(facts: RecommendationFacts) -> str:
    name = facts.resource_name or ""
    if len(name) > wording.NAME_MAX_CHARS:
        name = name[: wording.NAME_MAX_CHARS - 1].rstrip() + wording.ELLIPSIS
    return _escape(name)


def _money(amount: float, period: Period = "month") -> str:
    return f"<strong>{rub_period(amount, period)}</strong>"


def _total(amount: float) -> str:
    return f"<strong>{rub(amount)} ₽</strong>"


def _provider(name: str) -> str:
    return f"{PROVIDER_SPAN}{_escape(name)}</span>"


def _real(amount: float | None) -> bool:
    """An amount worth printing: present and not "0 ₽" once rounded."""
    return amount is not None and rub_round(amount) > 0


def _adjective(stem: str, facts: RecommendationFacts, case: str) -> str:
    return stem + wording.ADJECTIVE_ENDINGS[(facts.type_noun.gender, case)]


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


def _size(size_gb: float) -> str:
    # The doc shows "507 GB" for 507.2; under 10 GB a decimal still says something.
    return str(rub_round(size_gb)) if size_gb >= 10 else short_number(size_gb)


def specs_text(specs: Specs | None) -> str | None:
    """ "4 CPU, 8.0 GB RAM, 92.0 GB HD": only the parts that are known."""
    if specs is None:
        return None
    parts = []
    if specs.vcpus:
        parts.append(f"{specs.vcpus} CPU")
    if specs.ram_gb:
        parts.append(f"{_one_decimal(specs.ram_gb)} GB RAM")
    if specs.storage_gb:
        disk = "SSD" if specs.disk_type and "ssd" in specs.disk_type.lower() else "HD"
        parts.append(f"{_one_decimal(specs.storage_gb)} GB {disk}")
    return ", ".join(parts) or None


def _with_name(words: str, facts: RecommendationFacts) -> str:
    """Drop the space a missing name would leave: "сервера {name}." → "сервера."."""
    return words.replace(" {name}", " {name}" if facts.resource_name else "")


def _fill(template: str, facts: RecommendationFacts, **values: str) -> str:
    noun = facts.type_noun
    text = _with_name(template, facts).format(
        name=_name(facts),
        noun=noun.genitive,
        noun_nom=noun.nominative,
        noun_acc=noun.accusative,
        object=capitalised(noun.accusative),
        subject=noun.subject,
        pronoun=wording.PRONOUNS[noun.gender],
        it=wording.PRONOUNS_AFTER_PREPOSITION[noun.gender],
        **values,
    )
    # A shortened name ends the sentence with its ellipsis: "name…." is a typo in Russian.
    return text.replace(wording.ELLIPSIS + ".", wording.ELLIPSIS)


# --- families ---------------------------------------------------------------------------------


def _price(facts: PriceCompareFacts) -> RenderedTexts:
    provider = _provider(facts.target_provider) if facts.target_provider else None
    has_target = _real(facts.target_monthly)
    has_current = _real(facts.current_monthly)
    target = _money(facts.target_monthly) if has_target else ""
    current = _money(facts.current_monthly) if has_current else ""
    savings = _money(facts.savings_monthly) if facts.has_savings else ""

    if facts.same_provider:
        return _same_provider(facts, provider=provider, target=target, current=current)

    if has_target and provider:
        short = wording.PRICE_SHORT if has_current else wording.PRICE_SHORT_NO_CURRENT
    elif has_target and has_current:
        short = wording.PRICE_SHORT_NO_PROVIDER
    elif facts.has_savings and provider:
        short = wording.PRICE_SHORT_NO_TARGET
    elif provider:
        short = wording.PRICE_SHORT_BARE
    elif facts.has_savings:
        short = wording.PRICE_LEAD_NO_PROVIDER.replace(" {name}", "")
    else:
        short = wording.PRICE_LEAD_BARE.replace(" {name}", "")

    if provider:
        lead = wording.PRICE_LEAD if facts.has_savings else wording.PRICE_LEAD_NO_SAVINGS
    else:
        lead = wording.PRICE_LEAD_NO_PROVIDER if facts.has_savings else wording.PRICE_LEAD_BARE

    sentences = [lead]
    if has_target:
        if isinstance(facts, ClusterPriceCompareFacts):
            parts = _cluster_parts(facts)
            sentences.append(wording.CLUSTER_CONFIG if parts else wording.CLUSTER_CONFIG_NO_PARTS)
        else:
            parts = specs_text(facts.specs)
            sentences.append(wording.PRICE_CONFIG if parts else wording.PRICE_CONFIG_NO_SPECS)
    else:
        parts = None
        if has_current:
            sentences.append(wording.GENERIC_CURRENT.rstrip("."))

    values = {
        "provider": provider or "",
        "target": target,
        "current": current,
        "savings": savings,
        "specs": _escape(parts or ""),
        "parts": _escape(parts or ""),
    }
    return RenderedTexts(
        short_html=_fill(short, facts, **values),
        detailed_html=_fill(wording.PRICE_SENTENCE_JOIN.join(sentences), facts, **values),
    )


def _same_provider(
    facts: PriceCompareFacts, *, provider: str | None, target: str, current: str
) -> RenderedTexts:
    savings = _money(facts.savings_monthly) if facts.has_savings else ""
    if target:
        short = wording.SAME_SHORT if current else wording.SAME_SHORT_NO_CURRENT
    else:
        short = wording.SAME_SHORT_NO_TARGET if facts.has_savings else wording.SAME_SHORT_BARE
    sentences = [wording.SAME_LEAD if facts.has_savings else wording.SAME_LEAD_NO_SAVINGS]
    specs = specs_text(facts.specs)
    if target:
        sentences.append(wording.SAME_CONFIG if specs else wording.SAME_CONFIG_NO_SPECS)
    elif current:
        sentences.append(wording.GENERIC_CURRENT.rstrip("."))
    values = {
        "at": wording.SAME_AT_PROVIDER.format(provider=provider) if provider else "",
        "target": target,
        "current": current,
        "savings": savings,
        "specs": _escape(specs or ""),
    }
    return RenderedTexts(
        short_html=_fill(short, facts, **values),
        detailed_html=_fill(wording.PRICE_SENTENCE_JOIN.join(sentences), facts, **values),
    )


def _cluster_parts(facts: ClusterPriceCompareFacts) -> str | None:
    if facts.cluster_kind == "kafka" and facts.total_brokers:
        count = counted(facts.total_brokers, *wording.CLUSTER_BROKERS)
    elif facts.total_nodes:
        count = counted(facts.total_nodes, *wording.CLUSTER_NODES)
    else:
        count = None
    parts = []
    if count and facts.recommended_config:
        parts.append(
            wording.CLUSTER_COUNT_WITH_CONFIG.format(count=count, config=facts.recommended_config)
        )
    else:
        parts += [part for part in (count, facts.recommended_config) if part]
    if facts.total_vcpus:
        parts.append(f"{facts.total_vcpus} vCPU")
    if facts.total_ram_gb:
        parts.append(f"{_one_decimal(facts.total_ram_gb)} GB RAM")
    return ", ".join(parts) or None


def _rightsizing(facts: RightsizingFacts) -> RenderedTexts:
    load = ""
    if facts.cpu_avg_percent is not None:
        load = wording.RIGHTSIZING_LOAD.format(cpu=f"{short_number(facts.cpu_avg_percent)}%")
        if facts.cpu_p95_percent is not None:
            load += wording.RIGHTSIZING_LOAD_PEAK.format(
                peak=f"{short_number(facts.cpu_p95_percent)}%"
            )
        if facts.current_vcpu:
            load += wording.RIGHTSIZING_LOAD_VCPU.format(vcpu=facts.current_vcpu)
    elif facts.current_vcpu:
        load = wording.RIGHTSIZING_VCPU_ONLY.format(vcpu=facts.current_vcpu)

    underused = _adjective(wording.UNDERUSED, facts, "gen")
    if facts.has_savings:
        short = _fill(
            wording.RIGHTSIZING_SHORT,
            facts,
            savings=_money(facts.savings_monthly),
            underused=underused,
        )
        sentences = [
            _fill(wording.RIGHTSIZING_LEAD, facts, savings=_money(facts.savings_monthly), load=load)
        ]
    else:
        short = _fill(
            wording.RIGHTSIZING_SHORT_NO_SAVINGS,
            facts,
            underused=capitalised(_adjective(wording.UNDERUSED, facts, "acc")),
        )
        sentences = [_fill(wording.RIGHTSIZING_LEAD_NO_SAVINGS, facts, load=load)]

    current = facts.current_monthly
    if facts.has_savings and _real(current) and _real(current - facts.savings_monthly):
        sentences.append(
            _fill(
                wording.RIGHTSIZING_COSTS,
                facts,
                current=_money(current),
                target=_money(current - facts.savings_monthly),
            )
        )
    elif _real(current):
        sentences.append(_fill(wording.GENERIC_CURRENT, facts, current=_money(current)))
    return RenderedTexts(short_html=short, detailed_html=" ".join(sentences))


def _cleanup(facts: CleanupFacts) -> RenderedTexts:
    noun = facts.type_noun
    unused_gen = _adjective(wording.UNUSED, facts, "gen")
    unused_acc = capitalised(_adjective(wording.UNUSED, facts, "acc"))
    savings = _money(facts.savings_monthly) if facts.has_savings else ""
    if facts.has_savings:
        short = _fill(wording.CLEANUP_SHORT, facts, savings=savings, unused=unused_gen)
    else:
        short = _fill(wording.CLEANUP_SHORT_NO_SAVINGS, facts, unused=unused_acc)

    size = _size(facts.size_gb) if facts.size_gb else None
    sentences = []
    if facts.has_savings:
        sentences.append(_fill(wording.CLEANUP_LEAD, facts, savings=savings))
    if facts.age_days is not None and facts.age_days > 0:
        template = wording.CLEANUP_AGE if facts.has_savings else wording.CLEANUP_AGE_WITH_NAME
        sentence = _fill(
            template,
            facts,
            age=days(facts.age_days),
            size=wording.CLEANUP_SIZE_IN_PARENS.format(size=size) if size else "",
        )
        if facts.age_days > WASTE_MIN_AGE_DAYS and _real(facts.wasted_rub):
            sentence += _fill(wording.CLEANUP_WASTED, facts, wasted=_total(facts.wasted_rub))
        sentences.append(sentence + ".")
    else:
        if not facts.has_savings:
            sentences.append(_fill(wording.CLEANUP_LEAD_NO_SAVINGS, facts, unused=unused_acc))
        if size:
            sentences.append(wording.CLEANUP_SIZE.format(noun=noun.genitive, size=size))
        if facts.has_savings and _real(facts.savings_yearly):
            sentences.append(wording.CLEANUP_YEARLY.format(yearly=_total(facts.savings_yearly)))
        step = wording.CLEANUP_NEXT_STEPS.get(noun.nominative, wording.CLEANUP_NEXT_STEP)
        sentences.append(_fill(step, facts))
    return RenderedTexts(short_html=short, detailed_html=" ".join(sentences))


def _stopped(facts: StoppedFacts) -> RenderedTexts:
    status = _escape(facts.status) if facts.status else None
    if facts.has_savings:
        savings = _money(facts.savings_monthly)
        short = _fill(
            wording.STOPPED_SHORT,
            facts,
            savings=savings,
            unused=_adjective(wording.UNUSED, facts, "gen"),
        )
        lead = _fill(
            wording.STOPPED_LEAD,
            facts,
            savings=savings,
            stopped=_adjective(wording.STOPPED, facts, "gen"),
        )
        rest = _fill(
            wording.STOPPED_STATUS if status else wording.STOPPED_NO_STATUS,
            facts,
            status=status or "",
        )
        detailed = f"{lead} {rest}"
    else:
        short = _fill(
            wording.STOPPED_SHORT_NO_SAVINGS,
            facts,
            stopped=capitalised(_adjective(wording.STOPPED, facts, "acc")),
        )
        template = (
            wording.STOPPED_STATUS_NO_SAVINGS if status else wording.STOPPED_NO_STATUS_NO_SAVINGS
        )
        detailed = _fill(template, facts, status=status or "")
    return RenderedTexts(short_html=short, detailed_html=detailed)


def _generic(facts: GenericFacts) -> RenderedTexts:
    with_savings, without_savings = wording.GENERIC_ACTIONS.get(
        facts.action, wording.GENERIC_ACTIONS[None]
    )
    to = ""
    if facts.action == "migrate" and facts.target_provider:
        to = wording.GENERIC_TO_PROVIDER.format(provider=_provider(facts.target_provider))
    if facts.has_savings:
        known = facts.action is not None
        savings = _money(facts.savings_monthly)
        yearly = ""
        if _real(facts.savings_yearly):
            yearly = wording.GENERIC_YEARLY.format(yearly=_money(facts.savings_yearly, "year"))
        short = (wording.GENERIC_SHORT if known else wording.GENERIC_SHORT_UNKNOWN).format(
            savings=savings, action=_fill(with_savings.replace(" {name}", ""), facts, to=to)
        )
        lead = (wording.GENERIC_LEAD if known else wording.GENERIC_LEAD_UNKNOWN).format(
            savings=savings, yearly=yearly, action=_fill(with_savings, facts, to=to)
        )
        sentences = [lead]
    else:
        short = _fill(without_savings.replace(" {name}", ""), facts, to=to)
        sentences = [_fill(without_savings, facts, to=to) + "."]

    current = facts.current_monthly
    # For a deletion-like action the current cost is the saving: saying it twice is filler.
    if _real(current) and not (
        facts.has_savings and rub_round(current) == rub_round(facts.savings_monthly)
    ):
        sentences.append(_fill(wording.GENERIC_CURRENT, facts, current=_money(current)))
    return RenderedTexts(short_html=short, detailed_html=" ".join(sentences))


def texts_render(*, facts: RecommendationFacts) -> RenderedTexts:
    """The short and detailed card texts for one recommendation, as sanitiser-clean HTML."""
    if isinstance(facts, PriceCompareFacts):
        return _price(facts)
    if isinstance(facts, RightsizingFacts):
        return _rightsizing(facts)
    if isinstance(facts, StoppedFacts):
        return _stopped(facts)
    if isinstance(facts, CleanupFacts):
        return _cleanup(facts)
    if isinstance(facts, GenericFacts):
        return _generic(facts)
    # Base facts (built by hand, or a family added without a template) read as a generic type.
    return _generic(GenericFacts(**{f.name: getattr(facts, f.name) for f in fields(facts)}))
