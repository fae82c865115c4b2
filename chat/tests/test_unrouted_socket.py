"""A handshake to a path no chat route takes is closed with 4404, never a 500 and a traceback."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator

from chat.not_found import unrouted_app
from ops.tests.asgi_http import asgi_request_async

pytestmark = pytest.mark.django_db(transaction=True)

UNROUTED = [
    "/",
    "/v1/chat/ws/",
    "/v1/chat/analytics/",
    "/v1/chat/rec/abc",
    "/v1/chat/rec/",
    "/v1/chat/rec/12/",
    "/v1/chat/rec/-1",
    "/v1/chat/rec/²",
    "/v1/chat/rec/12345678901",
    "/v1/health",
    "/v1/chat/wsx",
    "/%00",
    "/v1/chat/" + "a" * 5000,
]


async def handshake(path: str, query: str = "") -> dict:
    from agentsite.asgi import application

    communicator = WebsocketCommunicator(application, path + (f"?{query}" if query else ""))
    connected, _ = await communicator.connect(timeout=5)
    assert connected, "the handshake is accepted, then closed with a code"
    closed = await communicator.receive_output(timeout=5)
    await communicator.disconnect()
    return closed


@pytest.mark.parametrize("path", UNROUTED)
async def test_an_unknown_path_is_closed_with_4404_and_a_reason(path, caplog):
    caplog.set_level(logging.INFO)
    closed = await handshake(path, "token=whatever")
    assert closed == {
        "type": "websocket.close",
        "code": 4404,
        "reason": "Unknown chat endpoint",
    }
    assert not any(record.exc_info for record in caplog.records)
    assert all(record.levelno < logging.ERROR for record in caplog.records)
    # The query string (a token) is never logged.
    assert "whatever" not in caplog.text


async def test_the_real_routes_still_answer_after_unknown_ones(alice):
    from chat.flask_tokens import chat_token_mint_for_tests
    from chat.tests.wsclient import ChatClient

    await handshake("/v1/chat/ws/")
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    client = ChatClient(f"/v1/chat/analytics?token={token}")
    assert (await client.connect())["type"] == "system"
    await client.close()
    assert (await asgi_request_async("GET", "/v1/health")).status == 200


async def _run(scope: dict, incoming: list[dict]) -> list[dict]:
    sent: list[dict] = []
    queue = list(incoming)

    async def receive() -> dict:
        return queue.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    await unrouted_app(scope, receive, send)
    return sent


async def test_an_http_scope_gets_a_json_404_in_the_service_shape():
    sent = await _run({"type": "http", "path": "/nowhere"}, [])
    assert sent[0]["status"] == 404
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    body = sent[1]["body"].decode()
    assert '"code": "not_found"' in body and "Traceback" not in body


async def test_a_lifespan_scope_starts_and_stops_cleanly():
    sent = await _run(
        {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_an_unknown_scope_type_is_ignored_without_an_error(caplog):
    assert await _run({"type": "webtransport"}, []) == []
    assert not any(record.exc_info for record in caplog.records)
