"""Readiness against the real servers `make test` starts: Redis channel layer, MariaDB."""

from __future__ import annotations

import asyncio
import os

import pytest
from django.db import connections
from django.test import Client

from core.db_router import agent_alias, databases_separate

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


def test_readiness_reaches_the_agents_own_database_when_it_is_apart():
    checks = _checks()
    if not databases_separate():
        assert "agent_database" not in checks
        return
    agent = checks["agent_database"]
    assert (agent["ok"], agent["required"]) == (True, True)
    assert agent["detail"] == {"vendor": connections[agent_alias()].vendor}


async def test_readiness_stays_ready_while_a_chat_socket_listens_on_the_same_layer():
    """A worker with an open chat socket has a receive() running on its event loop; the
    readiness round trip must share that loop, not fail with 'two event loops'."""
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from ops.readiness import readiness_checks

    layer = get_channel_layer()
    # A consumer's channel, as channels names it.
    listening_on = await layer.new_channel()
    listening = asyncio.ensure_future(layer.receive(listening_on))
    try:
        await asyncio.sleep(0.05)
        checks = {c["name"]: c for c in await sync_to_async(readiness_checks)()}
        assert checks["channel_layer"]["ok"] is True, checks["channel_layer"]
        # The socket's own messages still reach it.
        await layer.send(listening_on, {"type": "chat.ping"})
        assert (await asyncio.wait_for(listening, timeout=2))["type"] == "chat.ping"
    finally:
        listening.cancel()
