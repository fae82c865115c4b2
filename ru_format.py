"""Money, numbers, Russian plural forms and sentence case, written the way InfraZen texts show them.

Amounts are whole rubles with comma thousands separators ("14,119"), as in the product
description's examples; the UI and the LLM prompts use the same form. Decimals are written with
a dot and one digit at most ("3.2", "3"). Every text of the service (recommendation texts,
reports, the offline chat, limits) takes these from here.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Period = Literal["month", "day", "year"]

PERIOD_SUFFIXES: dict[str, str] = {
    "month": "₽/мес",
    "day": "₽/день",
    "year": "₽/год",
    "quarter": "₽/квартал",
    "one_time": "₽",
}


def plural(n: float, one: str, few: str, many: str) -> str:
    """The form of a Russian noun that agrees with n: 1 день, 2 дня, 5 дней, 1,5 дня."""
    if n != int(n):
        # Fractions take the genitive singular: "1,5 дня", "0,5 гигабайта".
        return few
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def counted(n: int, one: str, few: str, many: str) -> str:
    """The number with its noun in the agreeing form: "21 день", "3 шага"."""
    return f"{n} {plural(n, one, few, many)}"


def days(n: int) -> str:
    return counted(n, "день", "дня", "дней")


def short_number(value: float) -> str:
    """3.2 → "3.2", 3.0 → "3": percents and small sizes without a trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def capitalised(text: str) -> str:
    """The first letter upper-case, the rest as it is: a phrase that starts a sentence."""
    return text[:1].upper() + text[1:]


def rub_round(amount: float) -> int:
    """Whole rubles, half away from zero: 260.5 → 261 (round() would give 260)."""
    if not math.isfinite(amount):
        raise ValueError(f"not a money amount: {amount!r}")
    return int(Decimal(repr(float(amount))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rub(amount: float) -> str:
    return f"{rub_round(amount):,}"


def rub_period(amount: float, period: Period) -> str:
    return f"{rub(amount)} {PERIOD_SUFFIXES[period]}"
