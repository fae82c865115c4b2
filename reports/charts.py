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

from reports.facts import Fact
from reports.snapshot import Group, TrendPoint

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
_IDS = re.compile(r'(\bid="|xlink:href="#|url\(#)')
BLUE, ORANGE, GREY = "#2563eb", "#f59e0b", "#9ca3af"


def _svg(figure, *, name: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    # The XML declaration and DOCTYPE cannot stand inside an HTML page, and every chart
    # numbers its elements from 1: ids get the chart's name, so a page holds each id once.
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    return _IDS.sub(lambda m: f"{m.group(1)}{name}-", svg)


def _figure(width: float, height: float):
    # Imported here: matplotlib takes half a second to load, and only reports draw.
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(_STYLE)
    return Figure(figsize=(width, height), dpi=72)


def _rub_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def trend_svg(points: list[TrendPoint], *, expected: dict[str, float]) -> str | None:
    """Daily cost over the period, anomalous days marked, their expected level beside them."""
    if len(points) < 2:
        return None
    figure = _figure(7.2, 2.4)
    axes = figure.subplots()
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
    names = [g.name if len(g.name) <= 40 else g.name[:39] + "…" for g in shown][::-1]
    values = [float(facts[g.monthly].value) for g in shown][::-1]
    axes.barh(range(len(shown)), values, color=BLUE, height=0.6)
    axes.set_yticks(range(len(shown)), labels=names)
    axes.set_xlabel("₽ в месяц")
    _rub_axis(axes.xaxis)
    return _svg(figure, name=name)
