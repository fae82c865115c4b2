"""The text endpoint under its owner's budget and the service's cap (issue 20): a refused
model call falls back to the template text, the sync never fails; a model text stores its
cost in roubles and settles the owner's day to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from governance.budgets import budget_status
from governance.policy import policy_for_id
from governance.tests.wiring import spend
from llm.fake_server import Reply
from recommendations_ai.models import TextGeneration
from recommendations_ai.tests.conftest import GOOD_DETAILED, GOOD_SHORT

URL = "/v1/generate/recommendation-text"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]
GOOD = {"short_description_html": GOOD_SHORT, "detailed_description_html": GOOD_DETAILED}


def _refusals(kind: str) -> float:
    sample = "infrazen_agent_quota_refusals_total"
    return REGISTRY.get_sample_value(sample, {"kind": kind}) or 0.0


def post(client, recommendation):
    body = {"recommendation_id": recommendation.pk}
    return client.post(URL, body, content_type="application/json")


def test_a_spent_owner_gets_the_template_text_and_the_sync_goes_on(
    service_client, office, alice, fake_llm
):
    spend(alice.pk, rub="150")
    refusals = _refusals("rub_per_day")
    response = post(service_client, office)
    assert response.status_code == 200
    assert _refusals("rub_per_day") == refusals + 1
    body = response.json()
    assert body["source"] == "template" and body["short_description_html"]
    assert fake_llm.chat_requests() == []
    generation = TextGeneration.objects.latest("id")
    assert generation.validation == "quota: rub_per_day"


def test_the_service_cap_gives_the_template_text(service_client, office, alice, fake_llm, settings):
    settings.AGENT_DAILY_CAP_RUB = 10.0
    spend(alice.pk, rub="10")
    settings.AGENT_ROLE_LIMITS["user"]["rub_per_day"] = 1000
    body = post(service_client, office).json()
    assert body["source"] == "template"
    assert TextGeneration.objects.latest("id").validation == "quota: service_rub_per_day"
    assert fake_llm.chat_requests() == []


def test_a_model_text_stores_its_roubles_and_settles_the_owners_day(
    service_client, office, alice, fake_llm
):
    fake_llm.enqueue(
        Reply.structured_output(GOOD, prompt_tokens=310, completion_tokens=90, cost=0.02)
    )
    body = post(service_client, office).json()
    assert body["source"] == "llm"
    generation = TextGeneration.objects.latest("id")
    assert generation.cost_rub == Decimal(2) and generation.cost_usd == Decimal("0.02")
    status = budget_status(policy=policy_for_id(user_id=alice.pk))
    assert (status.rub_used, status.tokens_used) == (Decimal(2), 400)


def test_a_failing_model_gives_the_reservation_back(service_client, office, alice, fake_llm):
    fake_llm.enqueue(*[Reply.error(400)] * 4)
    body = post(service_client, office).json()
    assert body["source"] == "template"
    status = budget_status(policy=policy_for_id(user_id=alice.pk))
    assert (status.rub_used, status.tokens_used) == (Decimal(0), 0)


def test_a_cached_text_reserves_nothing(service_client, office, alice, fake_llm):
    fake_llm.enqueue(
        Reply.structured_output(GOOD, prompt_tokens=310, completion_tokens=90, cost=0.02)
    )
    assert post(service_client, office).json()["source"] == "llm"
    spent = budget_status(policy=policy_for_id(user_id=alice.pk))
    assert post(service_client, office).json()["source"] == "cache"
    again = budget_status(policy=policy_for_id(user_id=alice.pk))
    assert (again.rub_used, again.tokens_used) == (spent.rub_used, spent.tokens_used)
