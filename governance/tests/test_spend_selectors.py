"""The day's model spend per user and model, by Moscow day: each user sees only their own."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from governance.selectors import moscow_day_bounds, spend_per_user_model
from llm.models import LLMCall

pytestmark = pytest.mark.django_db

ALICE, BOB = 8101, 8102
DAY = date(2026, 12, 7)


def _call(user_id: int, at: datetime, *, model: str = "text/primary", usd: str = "0.01", **f):
    return LLMCall.objects.create(
        purpose="chat_recommendation",
        provider="openai_compatible",
        model_requested=f.pop("requested", model),
        model_answered=model,
        outcome="ok",
        prompt_tokens=100,
        completion_tokens=20,
        total_tokens=120,
        cost_usd=Decimal(usd),
        user_id=user_id,
        created_at=at,
    )


def test_the_moscow_day_is_21_00_to_21_00_utc():
    assert moscow_day_bounds(DAY) == (datetime(2026, 12, 6, 21, 0), datetime(2026, 12, 7, 21, 0))


def test_a_users_day_is_summed_per_model_and_bob_never_sees_alices():
    _call(ALICE, datetime(2026, 12, 6, 21, 0))  # 00:00 Moscow: the 7th
    _call(ALICE, datetime(2026, 12, 7, 12, 0))
    _call(ALICE, datetime(2026, 12, 7, 13, 0), model="text/demo", usd="0.001")
    _call(ALICE, datetime(2026, 12, 7, 14, 0), model="", requested="text/backup", usd="0")
    _call(ALICE, datetime(2026, 12, 7, 21, 0))  # 00:00 Moscow: the 8th
    _call(ALICE, datetime(2026, 12, 6, 20, 59))  # 23:59 Moscow: the 6th
    _call(BOB, datetime(2026, 12, 7, 12, 0), usd="0.5")

    alices = spend_per_user_model(day=DAY, user_id=ALICE)
    assert [(s.model, s.calls) for s in alices] == [
        ("text/backup", 1),
        ("text/demo", 1),
        ("text/primary", 2),
    ]
    primary = alices[-1]
    assert (primary.prompt_tokens, primary.completion_tokens) == (200, 40)
    assert primary.cost_usd == Decimal("0.02") and primary.user_id == ALICE
    assert {s.user_id for s in spend_per_user_model(day=DAY, user_id=BOB)} == {BOB}
    assert [s.cost_usd for s in spend_per_user_model(day=DAY, user_id=BOB)] == [Decimal("0.5")]
    assert {s.user_id for s in spend_per_user_model(day=DAY)} == {ALICE, BOB}
