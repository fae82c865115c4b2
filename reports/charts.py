"""The report's charts as inline SVG, drawn by matplotlib from the snapshot's data.

Vectors with real text (`svg.fonttype: none`), so the PDF keeps them sharp and searchable;
no script, no external reference, and math text off, so a resource or service name with a
`$` in it is drawn as written. matplotlib escapes every label it writes into the SVG. The
Figure API (not pyplot) keeps no global state, so renders on several threads do not mix.
"""

from __future__ import annotations

import io
import re
from datetime import date

from reports.breakdowns import Group, TrendPoint
from reports.facts import Fact

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "infrazen-report",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.titlesize": 9,
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>|<!--.*?-->", re.DOTALL)
_ID = re.compile(r' id="([^"]+)"')
_REFERENCE = re.compile(r'(?:xlink:href="#|url\(#)([^")]+)')
_ATTRIBUTE = re.compile(r'="[^"]*"')
_NUMBER = re.compile(r"(-?\d+\.\d{2,})")
_BLANKS = re.compile(r">\s+<|\s*\n\s*")
_NO_ROTATION = re.compile(r' transform="rotate\(-?0 [^"]*\)"')
BLUE, ORANGE, GREY = "#2563eb", "#f59e0b", "#9ca3af"


def _svg(figure, *, name: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return svg_compact(buffer.getvalue(), name=name)


def svg_compact(svg: str, *, name: str) -> str:
    """matplotlib's SVG made fit for a page that must stay small (InfraZen stores reports in
    a 64 KB column): no prologue, metadata or comments (an XML declaration cannot stand in
    HTML), ids only where something refers to them, prefixed with the chart's name so a
    page holds each id once, coordinates to a tenth of a point, no layout whitespace."""
    svg = _NO_ROTATION.sub("", _METADATA.sub("", _PROLOGUE.sub("", svg, count=1)))
    referenced = set(_REFERENCE.findall(svg))
    svg = _ID.sub(lambda m: f' id="{name}-{m.group(1)}"' if m.group(1) in referenced else "", svg)
    svg = _REFERENCE.sub(lambda m: m.group(0).replace(m.group(1), f"{name}-{m.group(1)}"), svg)
    # Numbers in attributes only: a label such as "01.11" is text and stays as written.
    svg = _ATTRIBUTE.sub(
        lambda a: _NUMBER.sub(lambda m: f"{float(m.group(1)):.1f}", a.group(0)), svg
    )
    return _BLANKS.sub(lambda m: "><" if m.group(0).startswith(">") else " ", svg)


def _figure(width: float, height: float):
    # Imported here: matplotlib takes half a second to load, and only reports draw.
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(_STYLE)
    # No background fill: the page's own shows through, and the SVG is shorter.
    return Figure(figsize=(width, height), dpi=72, facecolor="none")


def _rub_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def trend_svg(points: list[TrendPoint], *, expected: dict[str, float]) -> str | None:
    """Daily cost over the period, anomalous days marked, their expected level beside them."""
    if len(points) < 2:
        return None
    figure = _figure(7.2, 2.4)
    axes = figure.subplots()
    axes.set_facecolor("none")
    days = [date.fromisoformat(p.day) for p in points]
    axes.plot(days, [p.daily for p in points], color=BLUE, linewidth=1.5)
    flagged = [(d, p.daily) for d, p in zip(days, points, strict=True) if p.anomaly]
    if flagged:
        axes.scatter(*zip(*flagged, strict=True), color=ORANGE, zorder=3, s=18, label="аномалия")
    baseline = [(date.fromisoformat(day), value) for day, value in expected.items()]
    if baseline:
        axes.scatter(*zip(*baseline, strict=True), color=GREY, marker="_", s=120, label="ожидалось")
    if flagged or baseline:
        axes.legend(frameon=False, loc="upper left")
    axes.set_ylabel("₽ в день")
    _rub_axis(axes.yaxis)
    axes.set_ylim(bottom=0)
    figure.autofmt_xdate(rotation=0, ha="center")
    axes.xaxis.set_major_formatter(_day_month())
    return _svg(figure, name="trend")


def _day_month():
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d.%m")


def groups_svg(
    groups: list[Group], facts: dict[str, Fact], *, name: str, limit: int = 8
) -> str | None:
    """Monthly cost per group (provider, service), largest on top."""
    shown = [g for g in groups[:limit] if g.monthly in facts]
    if not shown:
        return None
    figure = _figure(7.2, 0.35 * len(shown) + 0.6)
    axes = figure.subplots()
    axes.set_facecolor("none")
    names = [g.name if len(g.name) <= 40 else g.name[:39] + "…" for g in shown][::-1]
    values = [float(facts[g.monthly].value) for g in shown][::-1]
    axes.barh(range(len(shown)), values, color=BLUE, height=0.6)
    axes.set_yticks(range(len(shown)), labels=names)
    axes.set_xlabel("₽ в месяц")
    _rub_axis(axes.xaxis)
    return _svg(figure, name=name)
