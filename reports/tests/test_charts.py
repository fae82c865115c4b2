"""Charts: inline SVG with real text, the anomalies marked, names drawn as written."""

from __future__ import annotations

import re

from reports.breakdowns import Group, TrendPoint
from reports.charts import groups_svg, trend_svg
from reports.facts import FactBook


def test_the_trend_marks_anomalous_days_and_their_expected_level():
    points = [
        TrendPoint(day=f"2026-11-{d:02d}", daily=500.0, anomaly=d == 20) for d in range(1, 31)
    ]
    svg = trend_svg(points, expected={"2026-11-20": 480.0})
    assert svg.startswith("<svg") and "<script" not in svg
    assert "аномалия" in svg and "ожидалось" in svg and "#f59e0b" in svg
    assert 'id="trend-' in svg and 'id="figure_1"' not in svg


def test_a_single_day_draws_no_trend():
    assert trend_svg([TrendPoint(day="2026-11-01", daily=1.0)], expected={}) is None


def test_group_names_are_text_not_markup_or_math():
    book = FactBook()
    src = book.source("s", origin="o", what="w")
    name = "$x^2$ <script>alert(1)</script>"
    monthly = book.add("g.monthly", "g", 1200.0, "RUB", period="month", source=src)
    count = book.add("g.count", "g", 3, "count", source=src)
    svg = groups_svg(
        [Group(name=name, count=count, monthly=monthly, share=None)], book.facts, name="services"
    )
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "$x^2$" in svg


def test_compaction_keeps_labels_as_written_and_references_whole():
    points = [
        TrendPoint(day=f"2026-11-{d:02d}", daily=500.0 + d, anomaly=d == 20) for d in range(1, 31)
    ]
    svg = trend_svg(points, expected={"2026-11-20": 480.0})
    assert ">01.11<" in svg or ">05.11<" in svg
    assert "<metadata" not in svg and "\n" not in svg
    for ref in re.findall(r'(?:xlink:href="#|url\(#)([^")]+)', svg):
        assert f'id="{ref}"' in svg
