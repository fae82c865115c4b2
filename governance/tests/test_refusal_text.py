"""The Russian of a refusal: how long until the limit resets, in words that agree."""

from __future__ import annotations

import pytest

from governance.refusals import wait_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 секунду"),
        (2, "2 секунды"),
        (40, "40 секунд"),
        (60, "1 мин"),
        (61, "2 мин"),
        (1200, "20 мин"),
        (3600, "1 ч"),
        (12_000, "3 ч 20 мин"),
        (86_399, "24 ч"),
    ],
)
def test_the_wait_is_said_in_hours_and_minutes_rounded_up(seconds, text):
    assert wait_text(seconds) == text
