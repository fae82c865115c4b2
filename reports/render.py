"""The report as HTML: one self-contained page safe to `document.write` into InfraZen.

Every data string is escaped by the template engine; figures come only from facts, each a
link to its row in the sources section. No script, nothing from another origin: inline CSS
and system fonts, so the page and its PDF look the same offline.

InfraZen stores the page in `generated_reports.content_html`, a MySQL TEXT column of at most
65,535 bytes, and a longer page makes its insert fail. So the page is kept within
REPORT_HTML_MAX_BYTES: when it would be longer, its tables list fewer rows (each says how
many more there are), down to what fits; the snapshot and every total stay complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from reports.charts import groups_svg, trend_svg
from reports.facts import Fact
from reports.narrative import REFERENCE, Narrative
from reports.snapshot import ReportSnapshot


def figure_html(fact: Fact) -> SafeString:
    return format_html('<a href="#src-{}">{}</a>', fact.id, fact.display())


def plain(text: str, facts: dict[str, Fact]) -> str:
    """`text` with each `{fact id}` replaced by the fact's value, as plain text."""
    return REFERENCE.sub(lambda m: facts[m.group(1)].display() if m.group(1) in facts else "", text)


def cited(text: str, facts: dict[str, Fact]) -> SafeString:
    """`text` escaped, with each `{fact id}` replaced by the fact's value and link."""
    parts, last = [], 0
    for match in REFERENCE.finditer(text):
        parts.append(escape(text[last : match.start()]))
        fact = facts.get(match.group(1))
        parts.append(figure_html(fact) if fact else escape(match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped or built by format_html


@dataclass(frozen=True)
class Limits:
    rows: int  # per recommendations table
    top: int  # top resources per group
    groups: int  # groups per breakdown


# From the whole snapshot down to what always fits.
LEVELS = (
    Limits(rows=50, top=5, groups=8),
    Limits(rows=25, top=5, groups=8),
    Limits(rows=12, top=3, groups=6),
    Limits(rows=6, top=2, groups=5),
    Limits(rows=3, top=1, groups=3),
)
_LINKED = re.compile(r'href="#src-([^"]+)"')


def trimmed(snapshot: ReportSnapshot, limits: Limits) -> ReportSnapshot:
    """The snapshot with its lists cut to `limits`; the `more` counts say what was cut."""
    savings = snapshot.savings.model_copy(deep=True)
    for group in savings.migrations:
        group.more += max(0, len(group.items) - limits.rows)
        group.items = group.items[: limits.rows]
    savings.cleanup_more += max(0, len(savings.cleanup) - limits.rows)
    savings.cleanup = savings.cleanup[: limits.rows]
    savings.rightsizing_more += max(0, len(savings.rightsizing) - limits.rows)
    savings.rightsizing = savings.rightsizing[: limits.rows]

    def groups(items):
        return [g.model_copy(update={"top": g.top[: limits.top]}) for g in items[: limits.groups]]

    return snapshot.model_copy(
        update={
            "savings": savings,
            "by_provider": groups(snapshot.by_provider),
            "by_service": groups(snapshot.by_service),
            "by_type": groups(snapshot.by_type),
            "by_business": groups(snapshot.by_business),
        }
    )


def report_html(
    *, snapshot: ReportSnapshot, narrative: Narrative, pdf_url: str | None = None
) -> str:
    charts = _charts(snapshot)
    budget = settings.REPORT_HTML_MAX_BYTES
    for limits in LEVELS:
        page = _page(trimmed(snapshot, limits), narrative, pdf_url=pdf_url, charts=charts)
        if len(page.encode()) <= budget:
            break
    return page


def _page(snapshot: ReportSnapshot, narrative: Narrative, *, pdf_url, charts) -> str:
    facts = snapshot.facts
    context = {
        "s": snapshot,
        "facts": facts,
        "pdf_url": pdf_url,
        "summary": cited(narrative.executive_summary, facts),
        "highlights": [
            (cited(item.title, facts), cited(item.detail, facts)) for item in narrative.highlights
        ],
        "risks": [cited(text, facts) for text in narrative.risks],
        "next_steps": [cited(text, facts) for text in narrative.next_steps],
        "generated_at": _moscow(snapshot.generated_at),
        "notes_cited": [q for quotes in snapshot.quotes.values() for q in quotes],
        "charts": charts,
    }
    body = render_to_string("reports/body.html", context)
    # Anchors for the figures the page shows: a hidden row's figure needs none.
    context["sources"] = _sources(snapshot, shown=set(_LINKED.findall(body)))
    context["body"] = mark_safe(body)  # noqa: S308 - rendered above by the autoescaping engine
    return render_to_string("reports/report.html", context)


def _sources(snapshot: ReportSnapshot, *, shown: set[str]) -> list[tuple[object, list[Fact]]]:
    """Each source with the shown facts counted from it (their anchors sit in its row)."""
    grouped: dict[str, list[Fact]] = {key: [] for key in snapshot.sources}
    for fact in snapshot.facts.values():
        if fact.id in shown:
            grouped[fact.source].append(fact)
    return [(snapshot.sources[key], facts) for key, facts in grouped.items()]


def _moscow(moment: str) -> str:
    """The snapshot's UTC time as a Russian reader reads it: Moscow time."""
    local = datetime.fromisoformat(moment).astimezone(ZoneInfo("Europe/Moscow"))
    return f"{local:%d.%m.%Y %H:%M} МСК"


def _charts(snapshot: ReportSnapshot) -> dict[str, SafeString | None]:
    facts = snapshot.facts
    expected = {row.peak_date: float(facts[row.expected].value) for row in snapshot.anomalies}
    drawn = {
        "trend": trend_svg(snapshot.trend, expected=expected),
        "services": groups_svg(snapshot.by_service, facts, name="services"),
    }
    # matplotlib's own SVG: it escapes every label it writes, and holds no script or link.
    return {name: mark_safe(svg) if svg else None for name, svg in drawn.items()}  # noqa: S308
