"""The admin's spend view: Moscow days, totals equal to the rows, the CSV the same rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from governance.spend import spend_rows
from llm.models import LLMCall

pytestmark = pytest.mark.django_db


def _call(user_id: int, model: str, purpose: str, cost: str, at: datetime, tokens=(100, 20)):
    return LLMCall.objects.create(
        purpose=purpose,
        provider="openrouter",
        model_requested=model,
        model_answered=model,
        outcome="ok",
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        total_tokens=sum(tokens),
        cost_usd=Decimal(cost),
        user_id=user_id,
        created_at=at,
    )


@pytest.fixture
def calls(settings):
    settings.USD_RUB_RATE = 90.0
    # 20:59 UTC is still 23:59 of the 5th in Moscow; 21:00 UTC is already the 6th.
    _call(1, "openai/gpt-4o-mini", "chat_analytics", "0.01", datetime(2026, 12, 5, 20, 59))
    _call(1, "openai/gpt-4o-mini", "chat_analytics", "0.02", datetime(2026, 12, 5, 21, 0))
    _call(1, "openai/gpt-4o", "recommendation_text", "0.10", datetime(2026, 12, 6, 9, 0))
    _call(2, "openai/gpt-4o-mini", "chat_recommendation", "0.03", datetime(2026, 12, 6, 10, 0))
    _call(2, "openai/gpt-4o-mini", "chat_recommendation", "0.04", datetime(2026, 12, 6, 11, 0))


def test_rows_group_by_moscow_day_user_model_and_scenario(calls):
    rows = spend_rows(since=date(2026, 12, 5), until=date(2026, 12, 6))

    assert [(r.day.day, r.user_id, r.model, r.scenario, r.calls) for r in rows] == [
        (5, 1, "openai/gpt-4o-mini", "chat_analytics", 1),
        (6, 1, "openai/gpt-4o", "recommendation_text", 1),
        (6, 1, "openai/gpt-4o-mini", "chat_analytics", 1),
        (6, 2, "openai/gpt-4o-mini", "chat_recommendation", 2),
    ]
    assert rows[-1].cost_rub == Decimal("6.30")  # (0.03 + 0.04) USD × 90


def test_one_users_rows_hold_nothing_of_anothers(calls):
    rows = spend_rows(since=date(2026, 12, 5), until=date(2026, 12, 6), user_id=2)

    assert {r.user_id for r in rows} == {2}
    assert sum(r.calls for r in rows) == 2


def test_the_view_totals_equal_the_rows_and_the_csv_is_the_same_rows(client, calls):
    staff = User.objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(staff)
    url = reverse("admin:governance_spend_changelist")
    period = {"since": "2026-12-05", "until": "2026-12-06"}

    page = client.get(url, period)
    exported = client.get(url, {**period, "format": "csv"})

    assert page.status_code == 200
    html = page.content.decode()
    # 0.20 USD in all × 90 = 18.00 ₽
    assert '<strong id="spend-total">18,00 ₽</strong>' in html  # Russian decimal comma
    assert 'aria-label="₽ в день"' in html  # the chart: inline SVG, drawn by the server
    lines = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert exported["Content-Type"].startswith("text/csv")
    assert sum(Decimal(line["cost_rub"]) for line in lines) == Decimal("18.00")
    assert len(lines) == len(spend_rows(since=date(2026, 12, 5), until=date(2026, 12, 6)))
    assert sum(int(line["calls"]) for line in lines) == 5


def test_the_spend_view_is_for_staff_only(client, calls):
    assert client.get(reverse("admin:governance_spend_changelist")).status_code == 302
