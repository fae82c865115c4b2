from __future__ import annotations

import pytest
from django.test import Client


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
    assert set(checks) == {"database", "channel_layer", "llm"}
    assert checks["database"]["ok"] and checks["channel_layer"]["ok"]
    assert all(c["latency_ms"] >= 0 for c in checks.values())
    assert checks["llm"]["detail"]["offline"] is True
