"""Readiness against the real servers `make test` starts: Redis channel layer, MariaDB."""

from __future__ import annotations

import os

import pytest
from django.test import Client

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


SERVICE_TOKEN = "readiness-token-of-thirty-two-chars"


@pytest.fixture(autouse=True)
def _service_token(settings):
    # The checks' details are for the service token only (test_readiness_details.py).
    settings.AGENT_SERVICE_TOKEN = SERVICE_TOKEN


def _checks() -> dict[str, dict]:
    response = Client(headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}).get("/v1/readiness")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready"
    return {c["name"]: c for c in response.json()["checks"]}


def test_readiness_round_trips_a_message_through_the_redis_channel_layer():
    channel_layer = _checks()["channel_layer"]
    assert channel_layer["ok"] is True
    assert channel_layer["detail"] == {"backend": "RedisChannelLayer"}


def test_readiness_reaches_the_configured_database():
    database = _checks()["database"]
    assert database["ok"] is True
    expected_vendor = (
        "mysql" if os.environ.get("DATABASE_URL", "").startswith("mysql") else "sqlite"
    )
    assert database["detail"] == {"vendor": expected_vendor}
