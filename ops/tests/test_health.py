from __future__ import annotations

import pytest
from django.test import Client

from core import shutdown
from core.db_router import databases_separate

SERVICE_TOKEN = "readiness-token-of-thirty-two-chars"


@pytest.fixture
def token_client(settings) -> Client:
    """The checks' details are for the service token (ops/tests/test_readiness_details.py)."""
    settings.AGENT_SERVICE_TOKEN = SERVICE_TOKEN
    return Client(headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})


def test_health_reports_status_service_and_version_only():
    body = Client().get("/v1/health").json()
    assert body["status"] == "healthy"
    assert body["service"] == "infrazen-agent"
    assert body["version"]
    # Liveness for anyone: nothing about the environment or the configuration.
    assert set(body) == {"status", "service", "version"}


@pytest.mark.django_db
def test_readiness_runs_each_check_and_reports_its_latency(token_client):
    response = token_client.get("/v1/readiness")
    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json()["checks"]}
    # The agent's own database is checked too when it is apart (core.db_router).
    databases = {"database", "agent_database"} if databases_separate() else {"database"}
    assert set(checks) == {"serving", "channel_layer", "llm", *databases}
    assert checks["serving"]["ok"] and checks["serving"]["detail"] == {"shutting_down": False}
    assert all(checks[name]["ok"] for name in databases) and checks["channel_layer"]["ok"]
    assert all(c["latency_ms"] >= 0 for c in checks.values())
    assert checks["llm"]["detail"]["offline"] is True


@pytest.mark.django_db
def test_readiness_is_503_once_a_deploy_stops_the_process_and_health_stays_200(token_client):
    """A load balancer sends new work elsewhere while running answers finish here."""
    shutdown.shutdown_begin()
    try:
        response = token_client.get("/v1/readiness")
        health = Client().get("/v1/health")
    finally:
        shutdown._SHUTTING_DOWN.clear()
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    serving = next(c for c in response.json()["checks"] if c["name"] == "serving")
    assert serving["ok"] is False and serving["detail"] == {"shutting_down": True}
    assert health.status_code == 200
