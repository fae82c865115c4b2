"""Number grounding: every figure a model writes must come from the facts.

Text numbers are normalised (thousands separators, decimal comma) and compared with every
number in the facts, numbers inside the facts' strings (names, SKUs, IPs) and a few derived
figures, with a tolerance that covers rounding to whole rubles or one decimal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

# A number that stands on its own: not glued to letters ("IPv4", "K8s", "c3-c2-m4" stay out).
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?(?![\w])",
)


def numbers_in_text(text: str) -> list[float]:
    found = []
    for match in _NUMBER.finditer(text):
        whole = re.sub(r"[ ,\u00a0\u202f]", "", match.group(1))
        fraction = match.group(2)
        found.append(float(f"{whole}.{fraction}" if fraction else whole))
    return found


def _walk(value: Any) -> Iterator[float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        yield from numbers_in_text(value)
        # Names such as "gitdisk-1740816592565" or SKUs hold digit runs glued to letters.
        yield from (float(d) for d in re.findall(r"\d+", value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def allowed_numbers(facts: dict) -> set[float]:
    base = set(_walk(facts))
    derived = set()
    savings = facts.get("savings_monthly") or 0
    current = facts.get("current_monthly") or 0
    target = facts.get("target_monthly") or 0
    if savings:
        derived |= {savings * 12, savings * 3, savings / 30}
        if current:
            # Percent saved, and the price of the smaller configuration (rightsizing).
            derived |= {savings / current * 100, current - savings}
    if current:
        derived |= {current * 12, current / 30}
    if target:
        derived |= {target * 12, target / 30}
    if facts.get("age_days"):
        derived.add(facts["age_days"] / 365)
    return base | derived


def ungrounded_numbers(text: str, allowed: Iterable[float]) -> list[float]:
    """Numbers in `text` that match nothing allowed, within rounding tolerance."""
    allowed = list(allowed)
    return [
        n
        for n in numbers_in_text(text)
        if not any(abs(n - a) <= max(0.51, abs(a) * 0.005) for a in allowed)
    ]
