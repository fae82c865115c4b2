"""Connecting: refusals with a code and reason, POST /v1/chat/start and its /v1/chat/ws session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat.flask_tokens import chat_token_mint_for_tests, unsigned_token_for_tests
from chat.tests.socket_helpers import ANSWER, rec_path, session_of
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatSession, InfraZenUser
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


async def _refusal(path: str, **kwargs) -> dict:
    client = ChatClient(path, **kwargs)
    assert await client.connect() is None
    return client.closed


async def test_refused_connections_are_closed_with_a_code_and_reason(alice, bob, rec, bob_rec):
    expired = chat_token_mint_for_tests(
        user_id=alice.pk, recommendation_id=rec.pk, expires_in=timedelta(hours=-1)
    )
    wrong_secret = chat_token_mint_for_tests(
        user_id=alice.pk, recommendation_id=rec.pk, secret="not-the-secret-at-all-000000000000"
    )
    unsigned = unsigned_token_for_tests(
        {
            "user_id": alice.pk,
            "scenario": "recommendation",
            "recommendation_id": rec.pk,
            "exp": 4_102_444_800,
        }
    )
    analytics = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    other_rec = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk + 1000)
    bobs = chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec.pk)
    missing = chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec.pk + 999_999)
    rec_token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    cases = [
        (f"/v1/chat/rec/{rec.pk}", 4401, "Authentication required"),
        (f"/v1/chat/rec/{rec.pk}?token={expired}", 4401, "Token expired"),
        (f"/v1/chat/rec/{rec.pk}?token={wrong_secret}", 4401, "Invalid token"),
        (f"/v1/chat/rec/{rec.pk}?token={unsigned}", 4401, "Invalid token"),
        (
            f"/v1/chat/rec/{rec.pk}?token={analytics}",
            4403,
            "Unsupported scenario for this endpoint",
        ),
        (f"/v1/chat/rec/{rec.pk}?token={other_rec}", 4403, "Recommendation ID mismatch"),
        (f"/v1/chat/rec/{rec.pk}?token={bobs}", 4404, "Recommendation not found"),
        (f"/v1/chat/rec/{rec.pk + 999_999}?token={missing}", 4404, "Recommendation not found"),
        (f"/v1/chat/analytics?token={rec_token}", 4403, "Unsupported scenario for this endpoint"),
    ]
    for path, code, reason in cases:
        closed = await _refusal(path)
        assert (closed["code"], closed.get("reason")) == (code, reason), path
    assert not await ChatSession.objects.aexists()


async def test_a_deactivated_user_is_refused(alice, rec):
    path = rec_path(alice, rec)
    await InfraZenUser.objects.filter(pk=alice.pk).aupdate(is_active=False)
    closed = await _refusal(path)
    assert closed["code"] == 4403


async def test_a_foreign_origin_is_refused(alice, rec, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://app.infrazen.ru"]
    closed = await _refusal(rec_path(alice, rec), origin="https://evil.example")
    assert closed["code"] == 4403 and closed["reason"] == "Origin not allowed"
    client = ChatClient(rec_path(alice, rec), origin="https://app.infrazen.ru")
    assert (await client.connect())["type"] == "system"
    await client.close()


@pytest.fixture
def api(client):
    def post(token: str | None, body: dict | None = None, **headers: str):
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.post(
            "/v1/chat/start", data=body or {}, content_type="application/json", **headers
        )

    return post


def test_chat_start_creates_then_reuses_the_session(alice, rec, api):
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    created = api(token, {"scope": "recommendation", "recommendation_id": rec.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "created" and body["scope"] == "recommendation"
    assert body["ws_url"] == f"/v1/chat/ws?session={body['session_id']}"
    reused = api(token)
    assert reused.status_code == 200 and reused.json()["session_id"] == body["session_id"]


def test_chat_start_refusals(alice, bob, rec, api):
    assert api(None).status_code == 401
    assert api("garbage").status_code == 401
    bobs = chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec.pk)
    refused = api(bobs)
    assert refused.status_code == 404 and refused.json()["error"] == "Recommendation not found"
    analytics = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    assert (
        api(analytics, {"scope": "recommendation", "recommendation_id": rec.pk}).status_code == 403
    )
    assert api(analytics, {"scope": "nope"}).status_code == 400


def test_chat_start_may_be_called_from_the_infrazen_page_only(alice, rec, api, client, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["http://localhost:5001"]
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    allowed = api(token, HTTP_ORIGIN="http://localhost:5001")
    assert allowed["Access-Control-Allow-Origin"] == "http://localhost:5001"
    assert "Origin" in allowed["Vary"]
    assert "Access-Control-Allow-Origin" not in api(token, HTTP_ORIGIN="https://evil.example")
    # It sends Authorization: the browser asks first.
    preflight = client.options(
        "/v1/chat/start",
        HTTP_ORIGIN="http://localhost:5001",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]


async def test_session_endpoint_serves_a_started_session(alice, bob, rec, fake_llm):
    _, session = await session_of(alice, rec)
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(f"/v1/chat/ws?session={session.pk}&token={token}")
    system = await client.connect()
    assert system["session_id"] == session.pk
    await client.ask("Вопрос")
    assert (await client.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    await client.close()

    bobs = chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec.pk)
    closed = await _refusal(f"/v1/chat/ws?session={session.pk}&token={bobs}")
    assert closed["code"] == 4404 and closed["reason"] == "Session not found"
    closed = await _refusal(f"/v1/chat/ws?session=nope&token={token}")
    assert closed["code"] == 4404
