"""Figures of a report as facts: id, value, unit, period and where each one came from.

A report is data first: the snapshot holds every figure once, as a `Fact` naming its
`Source` (which table or tool, what was counted, with which filters, as of when). The HTML,
the PDF and the narrative only refer to facts by id, so a figure shown is always one the
data holds, and each one links to its source.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel

from ru_format import PERIOD_SUFFIXES, days, rub, short_number

Unit = Literal["RUB", "count", "percent", "days", "date"]
Period = Literal["day", "month", "year", "one_time"]

FACT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


class Source(BaseModel):
    id: str
    origin: str  # "инструмент get_analytics_overview", "таблица resources"
    what: str  # what was counted, in Russian
    filters: str | None = None
    as_of: str | None = None


class Fact(BaseModel):
    id: str
    label: str
    value: float | int | str
    unit: Unit
    period: Period | None = None
    source: str  # a Source id

    def display(self) -> str:
        """The value as a reader sees it: "12,345 ₽/мес", "42", "12.5 %", "3 дня"."""
        if self.unit == "RUB":
            return f"{rub(float(self.value))} {PERIOD_SUFFIXES[self.period or 'one_time']}"
        if self.unit == "percent":
            return f"{short_number(float(self.value))} %"
        if self.unit == "days":
            return days(int(self.value))
        if self.unit == "count":
            return f"{int(self.value):,}"
        return str(self.value)


class FactBook:
    """Collects the facts and sources of one report; ids are unique and stable."""

    def __init__(self) -> None:
        self.facts: dict[str, Fact] = {}
        self.sources: dict[str, Source] = {}

    def source(
        self,
        source_id: str,
        *,
        origin: str,
        what: str,
        filters: str | None = None,
        as_of: str | None = None,
    ) -> str:
        self.sources.setdefault(
            source_id,
            Source(id=source_id, origin=origin, what=what, filters=filters, as_of=as_of),
        )
        return source_id

    def add(
        self,
        fact_id: str,
        label: str,
        value: float | int | str | None,
        unit: Unit,
        *,
        source: str,
        period: Period | None = None,
    ) -> str | None:
        """Record a fact; None (nothing recorded) for a value the data does not hold."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return None
        if not FACT_ID.match(fact_id) or fact_id in self.facts:
            raise ValueError(f"fact id {fact_id!r} is malformed or used twice")
        if source not in self.sources:
            raise ValueError(f"fact {fact_id!r} names an unknown source {source!r}")
        if unit == "RUB":
            value = round(float(value), 2)
        self.facts[fact_id] = Fact(
            id=fact_id, label=label, value=value, unit=unit, period=period, source=source
        )
        return fact_id
