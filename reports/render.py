"""The report as HTML: one self-contained page safe to `document.write` into InfraZen.

Every data string is escaped by the template engine; figures come only from facts, each a
link to its row in the sources section. No script, nothing from another origin: inline CSS
and system fonts, so the page and its PDF look the same offline.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from reports.charts import groups_svg, trend_svg
from reports.facts import Fact
from reports.narrative import REFERENCE, Narrative
from reports.snapshot import ReportSnapshot


def figure_html(fact: Fact) -> SafeString:
    return format_html('<a class="fig" href="#src-{}">{}</a>', fact.id, fact.display())


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


def report_html(
    *, snapshot: ReportSnapshot, narrative: Narrative, pdf_url: str | None = None
) -> str:
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
        "sources": _sources(snapshot),
        "notes_cited": [q for quotes in snapshot.quotes.values() for q in quotes],
        "charts": _charts(snapshot),
    }
    return render_to_string("reports/report.html", context)


def _sources(snapshot: ReportSnapshot) -> list[tuple[object, list[Fact]]]:
    """Each source with the facts counted from it (their anchors sit in its row)."""
    grouped: dict[str, list[Fact]] = {}
    for fact in snapshot.facts.values():
        grouped.setdefault(fact.source, []).append(fact)
    return [(snapshot.sources[key], facts) for key, facts in grouped.items()]


def _charts(snapshot: ReportSnapshot) -> dict[str, SafeString | None]:
    facts = snapshot.facts
    expected = {row.peak_date: float(facts[row.expected].value) for row in snapshot.anomalies}
    drawn = {
        "trend": trend_svg(snapshot.trend, expected=expected),
        "providers": groups_svg(snapshot.by_provider, facts, name="providers"),
        "services": groups_svg(snapshot.by_service, facts, name="services"),
    }
    # matplotlib's own SVG: it escapes every label it writes, and holds no script or link.
    return {name: mark_safe(svg) if svg else None for name, svg in drawn.items()}  # noqa: S308
