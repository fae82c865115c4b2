from __future__ import annotations

import pytest
from django.test import Client

from ops import shutdown


def test_health_reports_service_version_and_environment():
    body = Client().get("/v1/health").json()
    assert body["status"] == "healthy"
    assert body["service"] == "infrazen-agent"
    assert body["environment"] == "dev"
    assert body["version"]


@pytest.mark.django_db
def test_readiness_runs_each_check_and_reports_its_latency():
    response = Client().get("/v1/readiness")
    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json()["checks"]}
    assert set(checks) == {"serving", "database", "channel_layer", "llm"}
    assert checks["serving"]["ok"] and checks["serving"]["detail"] == {"shutting_down": False}
    assert checks["database"]["ok"] and checks["channel_layer"]["ok"]
    assert all(c["latency_ms"] >= 0 for c in checks.values())
    assert checks["llm"]["detail"]["offline"] is True


@pytest.mark.django_db
def test_readiness_is_503_once_a_deploy_stops_the_process_and_health_stays_200():
    """A load balancer sends new work elsewhere while running answers finish here."""
    shutdown.shutdown_begin()
    try:
        response = Client().get("/v1/readiness")
        health = Client().get("/v1/health")
    finally:
        shutdown._SHUTTING_DOWN.clear()
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    serving = next(c for c in response.json()["checks"] if c["name"] == "serving")
    assert serving["ok"] is False and serving["detail"] == {"shutting_down": True}
    assert health.status_code == 200
