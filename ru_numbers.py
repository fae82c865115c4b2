"""Figures as they are written in Russian text, and the numbers held in data: one reader for
both fact-locks (the recommendation texts' `recommendations_ai.grounding` and the chat's
`chat.citations`).

A figure is a number standing on its own ("12 345,67", "1,709", "8,5", "92.0"), with an
optional scale word ("1,2 тыс.", "3 млн") and unit ("₽", "₽/мес", "%", "GB", "дней").
Thousands separators are spaces (ordinary, no-break, narrow) or commas followed by three
digits; a comma or dot followed by other digit counts is the decimal mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# A number that stands on its own: not glued to letters ("IPv4", "K8s", "c3-c2-m4" stay out).
NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?(?![\w])",
)
_SEPARATORS = re.compile(r"[ ,\u00a0\u202f]")
_SPACE = r"[ \u00a0\u202f]?"
_SCALE = re.compile(_SPACE + r"(тыс|млн|млрд)(?:\.|\b)", re.IGNORECASE)
SCALES = {"тыс": 1e3, "млн": 1e6, "млрд": 1e9}
# Units by kind; the money units take a period after a slash ("₽/мес").
_UNITS = (
    ("money", r"(?:₽|руб(?:\.|л[а-я]*)?|RUB)(?:/[а-яa-z]+)?"),
    ("percent", r"(?:%|процент[а-я]*)"),
    ("size", r"(?:GB|ГБ|Гб|гигабайт[а-я]*|TB|ТБ)"),
    ("days", r"(?:дн(?:я|ей|\.)|день|сут(?:ок|ки)?)"),
)
_UNIT = re.compile(
    _SPACE + "(?:" + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _UNITS) + r")(?!\w)",
    re.IGNORECASE,
)
KIND_COUNT = "count"


@dataclass(frozen=True)
class Figure:
    """One figure in a text: where it is, what it says and how precisely it says it."""

    text: str  # as written, scale and unit included: "1,2 тыс. ₽/мес"
    start: int
    end: int  # past the unit, when there is one
    number: float  # the digits alone: 1.2
    value: float  # with the scale: 1200.0
    # The place of the last digit that carries meaning, scaled: 0.1 for "8,5", 100 for
    # "1,2 тыс.", 1000 for "12 000" (trailing zeros may be rounding, to two digits at most).
    step: float
    kind: str  # money, percent, size, days, count

    def matches(self, source: float) -> bool:
        """`source` rounded or cut to this figure's last digit gives it (sign aside):
        12 345,67 is "12 346", "12 345", "12,3 тыс." or "12 000", never "12 400"."""
        value, source = abs(self.value), abs(source)
        slack = 1e-9 * max(1.0, source)  # float noise of derived values
        return value - self.step / 2 - slack <= source < value + self.step + slack


def _step(whole: str, fraction: str | None, scale: float) -> float:
    if fraction:
        return 10 ** -len(fraction) * scale
    zeros = len(whole) - len(whole.rstrip("0"))
    return 10 ** max(0, min(zeros, len(whole) - 2)) * scale


def figures_in_text(text: str) -> list[Figure]:
    found = []
    for match in NUMBER.finditer(text):
        whole = _SEPARATORS.sub("", match.group(1))
        fraction = match.group(2)
        number = float(f"{whole}.{fraction}" if fraction else whole)
        end, scale = match.end(), 1.0
        scaled = _SCALE.match(text, end)
        if scaled:
            end, scale = scaled.end(), SCALES[scaled.group(1).lower()]
        unit = _UNIT.match(text, end)
        kind = KIND_COUNT
        if unit:
            end, kind = unit.end(), unit.lastgroup or KIND_COUNT
        found.append(
            Figure(
                text=text[match.start() : end],
                start=match.start(),
                end=end,
                number=number,
                value=number * scale,
                step=_step(whole, fraction, scale),
                kind=kind,
            )
        )
    return found


def numbers_in_text(text: str) -> list[float]:
    """The numbers as written, without their scale words or units."""
    return [figure.number for figure in figures_in_text(text)]


def numbers_in_data(value: Any) -> Iterator[float]:
    """Every number in plain data: numbers, numbers written in its strings, and digit runs
    glued into names and SKUs ("gitdisk-1740816592565")."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        yield from numbers_in_text(value)
        yield from (float(d) for d in re.findall(r"\d+", value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers_in_data(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from numbers_in_data(item)
