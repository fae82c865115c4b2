"""The console's chat token (console/chat_token.py): InfraZen's `POST /api/chat/token`
contract for the signed-in account's InfraZen user, scoped as InfraZen scopes it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.auth import chat_connection_authorize, token_decode
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import InfraZenUser, OptimizationRecommendation

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/console/chat/token/"


@pytest.fixture
def seeded(settings):
    settings.CONSOLE_ENABLED = True
    settings.AI_TEXT_MODE = "template"
    demo_seed()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    bob = InfraZenUser.objects.get(email=BOB_EMAIL)
    recs = OptimizationRecommendation.objects.order_by("pk")
    return {
        "alice": alice,
        "alice_rec": recs.filter(resource__provider__user=alice).first(),
        "bob_rec": recs.filter(resource__provider__user=bob).first(),
    }


def _signed_in(email: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    account = User.objects.create_user(email, email=email, password="pw-for-tests")
    client.force_login(account)
    return client


def _post(client: Client, body, *, csrf: bool = True):
    headers = {}
    if csrf:
        client.get("/console/login/")  # any console page sets the CSRF cookie
        headers["X-CSRFToken"] = client.cookies["csrftoken"].value
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", headers=headers)


def test_a_recommendation_token_is_what_infrazen_mints_for_that_user(seeded):
    rec = seeded["alice_rec"]
    answer = _post(
        _signed_in(ALICE_EMAIL), {"scenario": "recommendation", "recommendation_id": str(rec.pk)}
    )

    assert answer.status_code == 200
    data = answer.json()
    assert data["scenario"] == "recommendation" and data["recommendation_id"] == rec.pk
    assert data["context"] is None and data["expires_in"] == 3600
    claims = token_decode(token=data["token"])
    assert claims.user_id == seeded["alice"].pk and claims.recommendation_id == rec.pk
    principal = chat_connection_authorize(
        token=data["token"], endpoint_scenario="recommendation", url_recommendation_id=rec.pk
    )
    assert principal.user_id == seeded["alice"].pk


def test_an_analytics_token_carries_its_time_range_and_filters(seeded):
    body = {"scenario": "analytics", "time_range_days": 7, "filters": {"provider": "beget"}}
    data = _post(_signed_in(ALICE_EMAIL), body).json()

    assert data["context"] == {"time_range_days": 7, "filters": {"provider": "beget"}}
    claims = token_decode(token=data["token"])
    assert claims.scenario == "analytics" and claims.context == data["context"]


def test_someone_elses_recommendation_is_a_404_like_a_missing_one(seeded):
    alice = _signed_in(ALICE_EMAIL)

    foreign = _post(
        alice, {"scenario": "recommendation", "recommendation_id": seeded["bob_rec"].pk}
    )
    missing = _post(alice, {"scenario": "recommendation", "recommendation_id": 2**31 - 1})
    huge = _post(alice, {"scenario": "recommendation", "recommendation_id": 10**30})

    assert foreign.status_code == missing.status_code == huge.status_code == 404
    assert foreign.json() == missing.json() == huge.json() == {"error": "Recommendation not found"}


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": "recommendation"},
        {"scenario": "recommendation", "recommendation_id": "abc"},
        {"scenario": "recommendation", "recommendation_id": True},
        {"scenario": "analytics", "time_range_days": 0},
        {"scenario": "analytics", "filters": ["x"]},
        {"scenario": "reports"},
        "[1, 2]",
        "{not json",
    ],
)
def test_bad_bodies_are_refused_with_infrazens_400(seeded, body):
    answer = _post(_signed_in(ALICE_EMAIL), body)

    assert answer.status_code == 400 and "error" in answer.json()


def test_it_needs_a_sign_in_and_the_pages_csrf_token(seeded):
    anonymous = Client(enforce_csrf_checks=True)
    body = {"scenario": "analytics"}
    assert anonymous.post(URL, body, content_type="application/json").status_code in (401, 403)
    assert _post(_signed_in(ALICE_EMAIL), body, csrf=False).status_code == 403
    assert Client().get(URL).status_code in (302, 405)


def test_an_account_without_an_infrazen_user_gets_nothing(seeded):
    answer = _post(_signed_in("nobody@example.com"), {"scenario": "analytics"})

    assert answer.status_code == 404 and "token" not in answer.json()
