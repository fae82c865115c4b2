"""Number grounding: every figure a model writes must come from the facts.

Text numbers are read by `ru_numbers` (thousands separators, decimal comma) and compared with every
number in the facts, numbers inside the facts' strings (names, SKUs, IPs) and a few derived
figures, with a tolerance that covers rounding to whole rubles or one decimal.
"""

from __future__ import annotations

from collections.abc import Iterable

from ru_numbers import numbers_in_data, numbers_in_text

__all__ = ["allowed_numbers", "numbers_in_text", "ungrounded_numbers"]


def allowed_numbers(facts: dict) -> set[float]:
    base = set(numbers_in_data(facts))
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
