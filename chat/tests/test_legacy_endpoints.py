"""InfraZen's old agent endpoints outside the chat itself (contract §4.2): the open-socket count
answers as before; the unauthenticated echo socket of the app's /agent-test page is gone, and
the page is told so by a close code rather than by silence."""

from __future__ import annotations

from datetime import datetime

import pytest

from chat.flask_tokens import chat_token_mint_for_tests
from chat.tests.wsclient import ChatClient
from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider
from ops.tests.asgi_http import AsgiResponse

pytestmark = pytest.mark.django_db(transaction=True)

# What InfraZen's /agent-test page opens (app/templates/agent_test.html), from the app's origin.
AGENT_TEST_PAGE_PATH = "/v1/chat/ws?session=test_1733560000000"
AGENT_TEST_PAGE_ORIGIN = "http://127.0.0.1:5001"


async def request(method: str) -> AsgiResponse:
    """Through the real application, waited for to the end (see wsclient.health_status)."""
    from channels.testing import HttpCommunicator

    from agentsite.asgi import application

    communicator = HttpCommunicator(
        application, method, "/v1/chat/connections", headers=[(b"host", b"127.0.0.1")]
    )
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)
    return AsgiResponse(
        status=response["status"],
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response["headers"]},
        body=response.get("body", b""),
    )


async def connections() -> dict:
    response = await request("GET")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.fixture
def rec_path(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    rec = make_recommendation(make_resource(yandex, "old-backup", status="STOPPED"))
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    return f"/v1/chat/rec/{rec.pk}?token={token}"


@pytest.fixture
def analytics_path(alice):
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics", time_range_days=30)
    return f"/v1/chat/analytics?token={token}"


async def test_it_answers_the_old_shape_without_authentication():
    body = await connections()

    assert set(body) == {"active_connections", "timestamp"}
    assert body["active_connections"] == 0
    # Naive UTC, as the old agent's datetime.utcnow().isoformat() and the chat frames.
    stamp = datetime.fromisoformat(body["timestamp"])
    assert stamp.tzinfo is None
    assert abs((datetime.utcnow() - stamp).total_seconds()) < 60


async def test_it_counts_the_open_chat_sockets_as_they_open_and_close(rec_path, analytics_path):
    first, second, same_session = (
        ChatClient(rec_path),
        ChatClient(analytics_path),
        ChatClient(rec_path),
    )
    await first.connect()
    assert (await connections())["active_connections"] == 1
    await second.connect()
    await same_session.connect()
    # Two tabs of one session are two sockets.
    assert (await connections())["active_connections"] == 3

    await first.close()
    assert (await connections())["active_connections"] == 2
    await second.close()
    await same_session.close()
    assert (await connections())["active_connections"] == 0


async def test_a_refused_socket_is_not_counted(rec_path):
    open_one = ChatClient(rec_path)
    await open_one.connect()
    refused = ChatClient("/v1/chat/analytics?token=not-a-token")
    assert await refused.connect() is None

    assert (await connections())["active_connections"] == 1
    await open_one.close()


async def test_it_answers_only_get_and_head():
    head, post = await request("HEAD"), await request("POST")

    assert head.status == 200
    assert post.status == 405
    assert post.headers["allow"] == "GET, HEAD"
    assert post.json()["code"] == "method_not_allowed"


async def test_the_agent_test_pages_echo_socket_is_closed_with_4401_and_echoes_nothing():
    """The page opens /v1/chat/ws with a made-up session and no token and expects an echo.
    Since POST /v1/chat/start that path serves a real session to its token's owner only; the
    page sees its socket open, then closed with 4401 and the reason (README: "The legacy echo
    socket")."""
    page = ChatClient(AGENT_TEST_PAGE_PATH, origin=AGENT_TEST_PAGE_ORIGIN)

    assert await page.connect() is None
    assert page.closed == {
        "type": "websocket.close",
        "code": 4401,
        "reason": "Authentication required",
    }
    assert page.frames == []
    assert (await connections())["active_connections"] == 0
