"""A fixed set of chat answers over the demo data, to measure chat.citations (issue 21 §4).

Each turn's data is real: the context pack as the system prompt carries it and the results of
the tools a model would call, run as the demo user (the analytics chat, and the chat about
each of the user's recommendations). From that data, the honest answers write true figures
the ways people and models write them (the service's "5,610 ₽/мес", "5 610 ₽", "5 610,30 ₽",
"5,6 тыс. ₽", a yearly or monthly figure derived from a monthly or daily one, "53,9 %",
"54 %", "90 дней", "92 GB", counts); the lying answers are the same answers with every other
figure replaced by an invented one: the true value times a factor, written the same way,
kept only when no number of the turn's data (nor that number ×30, ×12, ×3, /30, /12, ×100)
lies within 2 % of it or within its last written digit ("13 %" is no invention where the
data says 12.6): a test apart from the matcher's own rules.

The test (test_citations_measure) and the benchmark (bench/citations.py) both use it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chat.citations import Source, figures_check, pack_sources, tool_source
from chat.context import context_pack_build
from chat.prompts import system_prompt_build
from infrazen.models import InfraZenUser, OptimizationRecommendation
from ru_format import days
from ru_numbers import figures_in_text, numbers_in_data
from tools.base import ToolError
from tools.registry import TOOLS, result_summary, tool_run

ANALYTICS_TOOLS = (
    "get_analytics_overview",
    "get_provider_breakdown",
    "get_service_breakdown",
    "summarize_top_recommendations",
    "get_anomalies",
)
RECOMMENDATION_TOOLS = ("get_recommendation", "list_top_alternatives", "estimate_migration_effort")
RECOMMENDATIONS_PER_USER = 8
FIGURES_PER_ANSWER = 8
FACTORS = (1.37, 0.58, 2.6, 4.3, 0.21)
INVENTED_DISTANCE = 0.02
RELATED = (1, 30, 1 / 30, 12, 1 / 12, 3, 100)
COUNT_KEYS = ("count", "resources", "recommendations", "points_analysed", "vcpus", "nodes")


@dataclass
class Case:
    """One answer of the set and what each of its figures is."""

    name: str
    sources: list[Source]
    text: str
    true: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)


# --- the turns' data --------------------------------------------------------------------------
def _tool_sources(user: InfraZenUser, names: tuple, scenario: str, **arguments) -> list[Source]:
    sources = []
    for name in names:
        try:
            result = tool_run(
                user=user, name=name, arguments_json=json.dumps(arguments), scenario=scenario
            )
        except ToolError:
            continue
        sources.append(
            tool_source(
                tool=name,
                label=TOOLS[name].LABEL,
                summary=result_summary(result),
                data=result.model_dump(mode="json"),
            )
        )
    return sources


def _pack(user: InfraZenUser, scenario: str, recommendation_id: int | None) -> list[Source]:
    pack = context_pack_build(
        user=user, scenario=scenario, recommendation_id=recommendation_id, context={}
    )
    return pack_sources(system_prompt_build(scenario=scenario, pack=pack, read_only=False))


def turns(user: InfraZenUser) -> Iterator[tuple[str, list[Source]]]:
    yield (
        f"{user.email} analytics",
        _pack(user, "analytics", None) + _tool_sources(user, ANALYTICS_TOOLS, "analytics"),
    )
    recommendations = OptimizationRecommendation.objects.filter(
        resource__provider__user=user
    ).order_by("pk")[:RECOMMENDATIONS_PER_USER]
    for rec in recommendations:
        sources = _tool_sources(
            user, RECOMMENDATION_TOOLS, "recommendation", recommendation_id=rec.pk
        )
        yield (
            f"{user.email} recommendation {rec.pk}",
            _pack(user, "recommendation", rec.pk) + sources,
        )


# --- writing figures --------------------------------------------------------------------------
Form = tuple[float, Callable[[float], str]]  # a value, and how the answer writes it


def _spaced(amount: float, decimals: int = 0) -> str:
    return f"{amount:,.{decimals}f}".replace(",", " ").replace(".", ",")


def _money_forms(amount: float, period: str) -> list[Form]:
    """The ways an amount of `period` is written, derived ones too."""
    if period == "day":
        return [
            (amount, lambda v: f"{_spaced(v)} ₽/день"),
            (amount * 30, lambda v: f"{_spaced(v)} ₽ в месяц"),
        ]
    if period == "month":
        forms = [
            (amount, lambda v: f"{v:,.0f} ₽/мес"),
            (amount, lambda v: f"{_spaced(v)} ₽ в месяц"),
            (amount, lambda v: f"{_spaced(v, 2)} ₽"),
            (amount * 12, lambda v: f"{_spaced(v)} ₽/год"),
        ]
        if amount >= 1000:
            forms.append((amount, lambda v: f"{_spaced(v / 1000, 1)} тыс. ₽/мес"))
        return forms
    return [(amount, lambda v: f"{_spaced(v)} ₽")]


def _forms(key: str, value: Any) -> list[Form]:
    if isinstance(value, dict) and isinstance(value.get("amount"), int | float):
        return _money_forms(float(value["amount"]), value.get("period", "one_time"))
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return []
    if key.endswith("_percent"):
        return [(value, lambda v: f"{_spaced(v, 1)} %"), (value, lambda v: f"{round(v)} %")]
    if (key == "days" or key.endswith("_days")) and value == int(value):
        return [(value, lambda v: days(round(v)))]
    if key.endswith("_gb"):
        return [(value, lambda v: f"{_spaced(v)} GB")]
    if any(part in key for part in COUNT_KEYS) and value == int(value) and value > 10:
        return [(value, lambda v: f"{round(v)}")]
    return []


def _walk(data: Any, key: str = "") -> Iterator[Form]:
    forms = _forms(key, data)
    if forms:
        yield from forms
    elif isinstance(data, dict):
        for name, value in data.items():
            yield from _walk(value, name)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item, key)


def true_figures(sources: list[Source]) -> list[Form]:
    """Each distinct figure the turn's data gives, in the order the data gives them."""
    seen, figures = set(), []
    for source in sources:
        for value, write in _walk(source.data):
            if write(value) not in seen:
                seen.add(write(value))
                figures.append((value, write))
    return figures


# --- inventing figures ------------------------------------------------------------------------
def _invented(value: float, write: Callable[[float], str], data: list[float]) -> str | None:
    """The figure written the same way with its value times a factor, if nothing in the
    data is near that value; None when every factor lands near something."""
    for factor in FACTORS:
        # The value as written ("12" for 11.6) must be far from the data: further than 2 %
        # and than its last digit ("13 %" is not invented where the data says 12.6).
        written = figures_in_text(write(value * factor))[0]
        fake, distance = written.value, max(INVENTED_DISTANCE * written.value, written.step)
        if fake < 11 or any(
            abs(fake - number * related) <= distance for number in data for related in RELATED
        ):
            continue
        return write(fake)
    return None


def _answer(figures: list[str]) -> str:
    return "По данным: " + "; ".join(figures) + "."


def cases(users: list[InfraZenUser]) -> list[Case]:
    """Honest and lying answers for every turn of `users`."""
    built = []
    for user in users:
        for name, sources in turns(user):
            data = [abs(n) for source in sources for n in numbers_in_data(source.data)]
            # And the figures a source supports by derivation (a spike's total over its days,
            # a sum of a list): a fake near one of them is no invention (8 800 ₽/день where a
            # derived figure is 8 892.9, on the demo data of 8 December).
            data += [abs(v) for source in sources for v in source.values]
            figures = true_figures(sources)
            for start in range(0, len(figures), FIGURES_PER_ANSWER):
                chunk = figures[start : start + FIGURES_PER_ANSWER]
                true = [write(value) for value, write in chunk]
                built.append(Case(f"{name} #{start} honest", sources, _answer(true), true=true))
                lying = Case(f"{name} #{start} lying", sources, "")
                for index, (value, write) in enumerate(chunk):
                    fake = _invented(value, write, data) if index % 2 else None
                    (lying.invented if fake else lying.true).append(fake or write(value))
                lying.text = _answer(lying.true + lying.invented)
                built.append(lying)
    return built


@dataclass
class Measured:
    true: int = 0
    true_cited: int = 0
    invented: int = 0
    invented_marked: int = 0
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "true_figures": self.true,
            "true_cited": self.true_cited,
            "true_cited_percent": round(100 * self.true_cited / max(self.true, 1), 2),
            "invented_figures": self.invented,
            "invented_marked": self.invented_marked,
            "invented_marked_percent": round(100 * self.invented_marked / max(self.invented, 1), 2),
        }


def _as_read(text: str) -> str:
    """A figure as the checker names it: "5 610 ₽ в месяц" is read as "5 610 ₽"."""
    return figures_in_text(text)[0].text


def _found(texts: list[str], named: Counter, miss: str) -> tuple[int, list[str]]:
    """How many of `texts` the check named (each naming used once), and the misses."""
    found, misses = 0, []
    for text in texts:
        if named[_as_read(text)] > 0:
            named[_as_read(text)] -= 1
            found += 1
        else:
            misses.append(f"{text!r} {miss}")
    return found, misses


def measure(built: list[Case]) -> Measured:
    measured = Measured()
    for case in built:
        checked = figures_check(text=case.text, sources=case.sources)
        cited = Counter(f for citation in checked.citations for f in citation["figures"])
        true_cited, true_missed = _found(case.true, cited, "true, not cited")
        unverified = Counter(checked.unverified)
        marked, invented_missed = _found(case.invented, unverified, "invented, not marked")
        measured.true += len(case.true)
        measured.true_cited += true_cited
        measured.invented += len(case.invented)
        measured.invented_marked += marked
        measured.misses += [f"{case.name}: {miss}" for miss in true_missed + invented_missed]
    return measured
