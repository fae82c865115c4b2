"""Every figure in a chat answer traced to its data (issue 21 §4).

A finished answer's figures (₽ amounts, percentages, counts, days, GB; read by
`ru_numbers`) are compared with the data of its turn: each tool result it got and each part
of the context pack in its system prompt. A figure that matches a source, rounded the way a
person rounds, is cited to it; one that matches nothing is marked in the text with
UNVERIFIED_MARK and counted. Simple derived figures match too: a money amount in another
period (daily × 30, monthly × 12, ...), the sum of a breakdown's parts, a share as a
percentage.

Not checked: list numbers ("1. "), dates and times, bare counts up to SMALL_COUNT ("2 шага":
too common to mean anything), and figures the user's question holds.

The final `assistant` frame carries `citations` (CITATION_FIELDS, numbered by first use in
the answer) and `unverified` (the marked figures as written); see chat.frames.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chat.image_prompts import READING_NOTE
from chat.neutralise import html_neutralise
from chat.prompts import DATA_CLOSE, DATA_OPEN
from ru_numbers import KIND_COUNT, Figure, figures_in_text, numbers_in_data

UNVERIFIED_MARK = " (не проверено)"
SMALL_COUNT = 10
CONTEXT_TOOL = "context"
CONTEXT_LABEL = "Данные разговора"
CITATION_FIELDS = ("n", "tool", "label", "summary", "figures")
SUMMARY_CHARS = 160
# Ids, scenario names and notes of the pack are not figures.
PACK_SKIPPED = frozenset({"scenario", "unavailable"})
PACK_PARTS = {
    "recommendation": "рекомендация",
    "resource": "ресурс",
    "alternatives": "альтернативы",
    "latest_snapshot": "последний снимок",
    "effort": "трудоёмкость",
    "kpis": "показатели",
    "trend": "динамика расходов",
    "anomalies": "аномалии",
    "top_recommendations": "главные рекомендации",
    "providers": "провайдеры",
    "time_range_days": "период, дней",
}
# Items of a breakdown carry their share of the whole: theirs are the amounts that add up (a
# list of alternatives, each instead of the others, does not).
PART_KEY = "share_percent"
# Money as a tool gives it ({"amount", "unit", "period"}) or as the pack writes it.
PER_MONTH = {"day": 30.0, "month": 1.0, "quarter": 1 / 3, "year": 1 / 12}
_MONEY_TEXT = re.compile(r"(\d+(?:\.\d+)?) RUB/(day|month|quarter|year)")
_LIST_MARKER = re.compile(r"^[ \t]*$")
_NOT_FIGURES = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|"
    r"\b\d{1,2}:\d{2}\b"
)


@dataclass(frozen=True)
class Source:
    """One piece of a turn's data: a tool's result or a part of the context pack."""

    tool: str
    label: str
    summary: str
    data: Any  # plain JSON data

    @functools.cached_property
    def values(self) -> tuple[float, ...]:
        return (*numbers_in_data(self.data), *_derived(self.data))


@dataclass(frozen=True)
class Checked:
    """An answer after the check: its text (marked) and what the final frame carries."""

    content: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    @property
    def cited(self) -> int:
        return sum(len(citation["figures"]) for citation in self.citations)


def tool_source(*, tool: str, label: str, summary: str, data: Any) -> Source:
    return Source(tool=tool, label=label, summary=summary, data=data)


def pack_sources(system_prompt: str) -> list[Source]:
    """The context pack's parts, read back from the data block of the system prompt."""
    start = system_prompt.find(DATA_OPEN)
    end = system_prompt.rfind(DATA_CLOSE)
    if start < 0 or end < start:
        return []
    try:
        pack = json.loads(system_prompt[start + len(DATA_OPEN) : end])
    except ValueError:
        return []
    if not isinstance(pack, dict):
        return []
    return [
        Source(
            tool=f"{CONTEXT_TOOL}:{key}",
            label=CONTEXT_LABEL,
            summary=_clip(f"{PACK_PARTS.get(key, key)}: {json.dumps(part, ensure_ascii=False)}"),
            data=part,
        )
        for key, part in pack.items()
        if key not in PACK_SKIPPED
    ]


# What the vision model read from a screenshot earlier in the session (chat.image_memory
# writes it into the history as READING_NOTE): figures quoted from it are the image's.
SCREENSHOT_TOOL = "screenshot"
SCREENSHOT_LABEL = "Скриншот"
_READING = re.compile(
    re.escape(READING_NOTE)
    .replace(re.escape("{position}"), r"(?P<position>\d+)")
    .replace(re.escape("{image_id}"), r"[0-9a-f-]{36}")
    .replace(re.escape("{reading}"), r"(?P<reading>[^\]]*)")
)


def reading_sources(messages: Sequence[dict[str, Any]]) -> list[Source]:
    """The screenshots' readings in the conversation's user messages, one source each."""
    return [
        Source(
            tool=SCREENSHOT_TOOL,
            label=SCREENSHOT_LABEL,
            summary=_clip(f"Изображение {match['position']}: {match['reading']}"),
            data=match["reading"],
        )
        for message in messages
        if message.get("role") == "user" and isinstance(message.get("content"), str)
        for match in _READING.finditer(message["content"])
    ]


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


# --- derived figures --------------------------------------------------------------------------
def _money(value: Any) -> tuple[float, str] | None:
    if isinstance(value, dict) and value.get("period") in PER_MONTH:
        amount = value.get("amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            return float(amount), value["period"]
    if isinstance(value, str):
        found = _MONEY_TEXT.search(value)
        if found:
            return float(found.group(1)), found.group(2)
    return None


def _in_periods(amount: float, period: str) -> Iterator[float]:
    monthly = amount * PER_MONTH[period]
    yield from (monthly, monthly / 30, monthly * 3, monthly * 12)


def _item_amounts(item: Any) -> Iterator[tuple[float, str]]:
    found = _money(item)
    if found is not None:
        yield found
    elif isinstance(item, dict):
        yield from filter(None, (_money(value) for value in item.values()))


def _derived(data: Any) -> Iterator[float]:
    """Each money amount in the other periods, and the sums of a breakdown's parts."""
    found = _money(data)
    if found is not None:
        yield from _in_periods(*found)
        return
    if isinstance(data, dict):
        for value in data.values():
            yield from _derived(value)
    elif isinstance(data, list):
        sums: dict[str, float] = {}
        for item in data:
            yield from _derived(item)
            if isinstance(item, dict) and PART_KEY in item:
                for amount, period in _item_amounts(item):
                    sums[period] = sums.get(period, 0.0) + amount
        for period, total in sums.items():
            yield from _in_periods(total, period)


# --- the check --------------------------------------------------------------------------------
def _checked_figures(text: str, given: str) -> list[Figure]:
    """The figures of `text` that are to be traced (see the module's docstring)."""
    masked = {i for m in _NOT_FIGURES.finditer(text) for i in range(m.start(), m.end())}
    known = [figure.value for figure in figures_in_text(given)]
    kept = []
    for figure in figures_in_text(text):
        line_start = text.rfind("\n", 0, figure.start) + 1
        if _LIST_MARKER.match(text[line_start : figure.start]) and text[
            figure.end : figure.end + 2
        ] in (". ", ") "):
            continue
        if figure.start in masked:
            continue
        if figure.kind == KIND_COUNT and figure.value.is_integer() and figure.value <= SMALL_COUNT:
            continue
        if any(figure.matches(value) for value in known):
            continue
        kept.append(figure)
    return kept


def _error(figure: Figure, source: Source) -> float | None:
    """How far the closest value of `source` is from the figure, if any matches."""
    candidates = [figure]
    if figure.kind == "percent":
        # A share the data gives as a fraction (0.85), written as a percentage (85 %).
        share = replace(figure, value=figure.value / 100, step=figure.step / 100)
        candidates.append(share)
    errors = [
        abs(abs(candidate.value) - abs(value)) / max(abs(value), 1e-9)
        for candidate in candidates
        for value in source.values
        if candidate.matches(value)
    ]
    return min(errors, default=None)


def _best_source(figure: Figure, sources: Sequence[Source]) -> int | None:
    best: tuple[float, int] | None = None
    for index, source in enumerate(sources):
        error = _error(figure, source)
        if error is not None and (best is None or error < best[0]):
            best = (error, index)
    return best[1] if best is not None else None


def figures_check(
    *, text: str, sources: Sequence[Source], given: str = "", mark: bool = True
) -> Checked:
    """Cite each figure of `text` to its source; mark those matching none (unless `mark`
    is off: a text the service wrote itself from the same data)."""
    # Ties go to the first source: the tools' results before the pack's parts.
    sources = sorted(sources, key=lambda source: source.tool.startswith(f"{CONTEXT_TOOL}:"))
    citations: dict[int, dict[str, Any]] = {}
    unverified: list[Figure] = []
    for figure in _checked_figures(text, given):
        index = _best_source(figure, sources)
        if index is None:
            unverified.append(figure)
            continue
        if index not in citations:
            source = sources[index]
            citations[index] = {
                "n": len(citations) + 1,
                "tool": html_neutralise(source.tool),
                "label": html_neutralise(source.label),
                "summary": html_neutralise(source.summary),
                "figures": [],
            }
        citations[index]["figures"].append(figure.text)
    content = text
    if mark:
        for figure in reversed(unverified):
            content = content[: figure.end] + UNVERIFIED_MARK + content[figure.end :]
    return Checked(
        content=content,
        citations=list(citations.values()),
        unverified=[figure.text for figure in unverified] if mark else [],
    )
