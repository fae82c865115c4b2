"""`/v1/readiness`: ready or not for anyone, the checks' details only for the service token or
a staff user logged in to the admin (they name the LLM provider, models, host and database)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from core import shutdown
from core.db_router import databases_separate

pytestmark = pytest.mark.django_db

SERVICE_TOKEN = "readiness-token-of-thirty-two-chars"


@pytest.fixture(autouse=True)
def _service_token(settings):
    settings.AGENT_SERVICE_TOKEN = SERVICE_TOKEN
    # A configured model, so the details would carry a provider, models and a host.
    settings.LLM_PROVIDER = "openai_compatible"
    settings.LLM_BASE_URL = "http://llm.internal.example:8080/v1"
    settings.LLM_API_KEY = "key"


@pytest.fixture
def draining():
    shutdown.shutdown_begin()
    yield
    shutdown._SHUTTING_DOWN.clear()


def _revealing(body: bytes) -> list[str]:
    text = body.decode()
    return [s for s in ("llm.internal.example", "gpt-4o", "sqlite", "openai") if s in text]


def test_an_anonymous_caller_gets_the_status_only():
    response = Client().get("/v1/readiness")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert _revealing(response.content) == []


def test_an_anonymous_caller_still_sees_503_while_the_process_drains(draining):
    response = Client().get("/v1/readiness")

    assert response.status_code == 503
    assert response.json() == {"status": "not_ready"}


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token-but-long-enough-to-be-plausible",
        f"Basic {SERVICE_TOKEN}",
        "Bearer",
        f"Bearer {SERVICE_TOKEN}x",
    ],
)
def test_a_wrong_token_looks_like_no_token(authorization):
    response = Client(headers={"Authorization": authorization}).get("/v1/readiness")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_no_token_configured_means_no_token_opens_the_details(settings):
    settings.AGENT_SERVICE_TOKEN = ""
    response = Client(headers={"Authorization": "Bearer "}).get("/v1/readiness")

    assert response.json() == {"status": "ready"}


def test_the_service_token_gets_every_check():
    client = Client(headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    response = client.get("/v1/readiness")

    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json()["checks"]}
    # The agent's own database is checked too when it is apart (core.db_router).
    agent = {"agent_database"} if databases_separate() else set()
    assert set(checks) == {"serving", "database", "channel_layer", "llm", *agent}
    # What the anonymous answers above were checked not to contain.
    assert checks["llm"]["detail"]["base_url_host"] == "llm.internal.example"
    assert set(_revealing(response.content)) >= {"llm.internal.example", "gpt-4o", "openai"}


def test_the_service_token_gets_the_failing_check_of_a_503(draining):
    client = Client(headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    response = client.get("/v1/readiness")

    assert response.status_code == 503
    serving = next(c for c in response.json()["checks"] if c["name"] == "serving")
    assert serving["ok"] is False


def test_a_staff_user_logged_in_to_the_admin_gets_every_check(admin_client):
    response = admin_client.get("/v1/readiness")

    assert response.status_code == 200
    assert {c["name"] for c in response.json()["checks"]} >= {"database", "llm"}


def test_a_logged_in_user_who_is_not_staff_gets_the_status_only():
    client = Client()
    client.force_login(User.objects.create_user("clerk", password="pw-not-used"))
    response = client.get("/v1/readiness")

    assert response.json() == {"status": "ready"}


def test_an_inactive_staff_user_gets_the_status_only():
    client = Client()
    client.force_login(User.objects.create_user("gone", is_staff=True, is_active=False))
    response = client.get("/v1/readiness")

    assert response.json() == {"status": "ready"}
