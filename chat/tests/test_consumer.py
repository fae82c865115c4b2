"""The chat WebSocket end to end: real ASGI router, real engine, the fake model over HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels_redis.core import RedisChannelLayer
from redis.exceptions import TimeoutError as RedisTimeoutError

from chat import engine, prompt_cache, texts, turns
from chat.layers import ChatRedisChannelLayer, RedisFanOut
from chat.models import ToolCallAudit
from chat.prompt_cache import PROMPTS
from chat.running import ANSWERS
from chat.services import FAILED_MARKER, RESTART_MARKER, STOPPED_MARKER, chat_session_open
from chat.tests.principals import rec_principal
from chat.tests.tokens import chat_token_mint_for_tests, unsigned_token_for_tests
from chat.tests.wsclient import ChatClient, answers_settled, types
from conftest import make_recommendation, make_resource
from infrazen.models import ChatMessage, ChatSession, CloudProvider, InfraZenUser
from llm.fake_server import Reply
from llm.models import LLMCall
from ops import shutdown

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = "Экономия составит **1 000 ₽/мес**: сервер остановлен и не нужен."


@pytest.fixture
def rec(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    resource = make_resource(yandex, "old-backup", status="STOPPED")
    return make_recommendation(resource)


@pytest.fixture
def bob_rec(bob):
    selectel = CloudProvider.objects.get(user=bob, provider_type="selectel")
    return make_recommendation(make_resource(selectel, "bob-secret-box"))


def rec_path(user, recommendation, **extra) -> str:
    token = chat_token_mint_for_tests(user_id=user.pk, recommendation_id=recommendation.pk)
    query = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"/v1/chat/rec/{recommendation.pk}?token={token}{query}"


def analytics_path(user, days: int = 30) -> str:
    token = chat_token_mint_for_tests(user_id=user.pk, scenario="analytics", time_range_days=days)
    return f"/v1/chat/analytics?token={token}"


def stored(session_id: str) -> list[tuple[str, str]]:
    return list(
        ChatMessage.objects.filter(session_id=session_id)
        .order_by("id")
        .values_list("role", "content")
    )


async def session_of(user, recommendation):
    """The user's chat session about `recommendation`, as a connection would open it."""
    principal = rec_principal(user, recommendation)
    session, _ = await database_sync_to_async(chat_session_open)(principal=principal)
    return principal, session


async def _stored(session_id: str) -> list[tuple[str, str]]:
    return await database_sync_to_async(stored)(session_id)


# --- the InfraZen browser client, unchanged --------------------------------------------------
async def test_infrazen_client_gets_system_typing_and_one_final_answer(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    assert system["type"] == "system" and "0 сообщений" in system["content"]
    assert system["timestamp"] and not system["timestamp"].endswith("Z")

    await client.ask("Что это за рекомендация?")
    got = await client.until("assistant")
    # The InfraZen client drew the question itself: no echo back to it.
    assert "user" not in types(got)
    assert types(got)[0] == "typing"
    final = got[-1]
    assert final["content"] == ANSWER and final["status"] == "done"
    await answers_settled()
    await client.close()

    # Reconnect: history is replayed as user/assistant frames, oldest first.
    again = ChatClient(rec_path(alice, rec))
    system = await again.connect()
    assert "2 сообщения" in system["content"]
    history = [await again.receive(), await again.receive()]
    assert [(f["type"], f["content"]) for f in history] == [
        ("user", "Что это за рекомендация?"),
        ("assistant", ANSWER),
    ]
    assert await again.nothing()
    await again.close()


async def test_analytics_endpoint_serves_the_infrazen_client(alice, fake_llm):
    fake_llm.enqueue(Reply.answer("Расходы за 30 дней стабильны."))
    client = ChatClient(analytics_path(alice, days=7))
    system = await client.connect()
    assert system["scenario"] == "analytics"
    await client.ask("Как меняются расходы?")
    final = (await client.until("assistant"))[-1]
    assert final["content"] == "Расходы за 30 дней стабильны."
    await answers_settled()
    await client.close()
    session = await ChatSession.objects.aget(pk=system["session_id"])
    assert json.loads(session.context) == {"time_range_days": 7}
    assert session.recommendation_id is None and session.message_count == 2


# --- a new client ---------------------------------------------------------------------------
async def test_new_client_gets_deltas_tool_events_and_accounting(alice, rec, fake_llm):
    fake_llm.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}]),
        Reply.answer(ANSWER),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.send({"type": "message", "content": "Сколько сэкономлю?", "client_id": "c-1"})
    got = await client.until("assistant")
    await answers_settled()

    user = got[0]
    assert user["type"] == "user" and user["client_id"] == "c-1"
    answer_id = got[-1]["message_id"]
    assert all(f["message_id"] == answer_id for f in got[1:])
    call = next(f for f in got if f["type"] == "tool_call")
    assert call["name"] == "get_recommendation"
    assert call["label"] == "Читаю рекомендацию"
    assert call["arguments"] == {"recommendation_id": rec.pk}
    result = next(f for f in got if f["type"] == "tool_result")
    assert result["ok"] is True and result["call_id"] == call["call_id"] and result["summary"]
    deltas = [f["content"] for f in got if f["type"] == "assistant_delta"]
    assert len(deltas) > 1 and "".join(deltas) == ANSWER

    final = got[-1]
    assert final["content"] == ANSWER and final["reply_to"] == user["message_id"]
    assert final["tokens"] == final["prompt_tokens"] + final["completion_tokens"] > 0
    assert final["cost_usd"] > 0 and final["model"] == "text/primary"
    assert final["tool_calls"] == 1

    # The model saw the tool result as data, in the second request.
    second = fake_llm.chat_requests()[1]
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool"
    assert json.loads(tool_message["content"])["ok"] is True

    audit = await ToolCallAudit.objects.aget()
    assert audit.message_id == answer_id and audit.user_id == alice.pk and audit.ok
    assert audit.arguments == {"recommendation_id": rec.pk}
    message = await ChatMessage.objects.aget(pk=answer_id)
    assert message.content == ANSWER and message.tokens == final["tokens"]
    # Both model rounds are accounted, stored with the answer.
    calls = [c async for c in LLMCall.objects.order_by("id")]
    assert [(c.purpose, c.outcome, c.user_id) for c in calls] == [
        ("chat_recommendation", LLMCall.Outcome.OK, alice.pk)
    ] * 2
    assert sum(c.total_tokens for c in calls) == final["tokens"]
    await client.close()


async def test_stop_mid_stream_stores_the_partial_answer_and_closes_upstream(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Расскажи подробно")
    await client.until("assistant_delta")
    await client.send({"type": "stop"})
    got = await client.until("assistant")
    final = got[-1]
    assert final["status"] == "stopped"
    assert final["content"].endswith(STOPPED_MARKER.strip())
    assert final["content"].startswith("слово")
    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=2.0)
    await answers_settled()
    rows = await _stored(str((await ChatSession.objects.aget()).pk))
    assert rows[0] == ("user", "Расскажи подробно")
    assert rows[1] == ("assistant", final["content"])
    assert [c.outcome async for c in LLMCall.objects.all()] == [LLMCall.Outcome.CANCELLED]
    await client.close()


async def test_two_tabs_both_receive_the_stream(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer(ANSWER))
    first, second = ChatClient(rec_path(alice, rec)), ChatClient(rec_path(alice, rec))
    one, two = await first.connect(), await second.connect()
    assert one["session_id"] == two["session_id"]
    await first.ask("Вопрос из первой вкладки")
    got_first = await first.until("assistant")
    got_second = await second.until("assistant")
    await answers_settled()
    assert got_second[0]["type"] == "user"
    assert got_second[0]["content"] == "Вопрос из первой вкладки"
    assert "assistant_delta" in types(got_second)
    assert got_first[-1]["content"] == got_second[-1]["content"] == ANSWER
    await first.close()
    await second.close()


async def test_reconnect_with_after_replays_nothing_twice(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer("Первый ответ."), Reply.answer("Второй ответ."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Первый вопрос")
    first_answer = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()

    # Seen everything: nothing is replayed.
    seen_all = ChatClient(rec_path(alice, rec, after=first_answer["message_id"]))
    system = await seen_all.connect()
    assert system["last_message_id"] == first_answer["message_id"]
    assert await seen_all.nothing()
    await seen_all.ask("Второй вопрос")
    second_answer = (await seen_all.until("assistant"))[-1]
    await answers_settled()
    await seen_all.close()

    # Saw only the first answer: exactly the second turn comes back, once.
    behind = ChatClient(rec_path(alice, rec, after=first_answer["message_id"]))
    await behind.connect()
    replay = [await behind.receive(), await behind.receive()]
    assert [f["content"] for f in replay] == ["Второй вопрос", "Второй ответ."]
    assert replay[1]["message_id"] == second_answer["message_id"]
    assert await behind.nothing()
    # The same through a frame on an open connection.
    await behind.send({"type": "history", "after": first_answer["message_id"] - 1})
    again = [await behind.receive() for _ in range(3)]
    assert [f["content"] for f in again] == ["Первый ответ.", "Второй вопрос", "Второй ответ."]
    assert await behind.nothing()
    await behind.close()


# --- bad frames and busy ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ({"content": 5}, "bad_frame"),
        ({"content": "   "}, "empty_message"),
        ({}, "empty_message"),
        ({"content": "я" * 8_001}, "message_too_long"),
        ({"type": "dance"}, "bad_frame"),
        ({"type": "history", "after": "x"}, "bad_frame"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays(alice, rec, payload, code):
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.send(payload)
    error = await client.receive()
    assert error["type"] == "error" and error["code"] == code
    assert error["message"] and "Traceback" not in error["message"]
    # Still open and working (offline assistant: no model configured).
    await client.ask("Что это за рекомендация?")
    assert (await client.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    await client.close()


async def test_a_question_while_answering_is_busy_not_a_second_answer(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer("долгий ответ " * 20, tokens_per_s=50))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Первый")
    await client.until("typing")
    await client.send({"type": "message", "content": "Второй", "client_id": "c-2"})
    got = await client.until("error")
    assert got[-1]["code"] == "busy" and got[-1]["client_id"] == "c-2"
    await client.until("assistant")
    await answers_settled()
    assert len(fake_llm.chat_requests()) == 1
    roles = [role for role, _ in await _stored(str((await ChatSession.objects.aget()).pk))]
    assert roles == ["user", "assistant"]
    await client.close()


# --- shutdown (a deploy) -----------------------------------------------------------------------
@pytest.fixture
def shutdown_flag_reset():
    """answers_drain marks the process as shutting down for good; the next test's is not."""
    yield
    shutdown._SHUTTING_DOWN.clear()


async def test_a_shutdown_lets_a_running_answer_finish_and_refuses_new_questions(
    alice, rec, fake_llm, shutdown_flag_reset
):
    fake_llm.enqueue(
        Reply.answer("Ответ, который успевает закончиться до остановки.", tokens_per_s=30)
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Первый")
    await client.until("assistant_delta")
    drain = asyncio.create_task(ANSWERS.drain(grace_s=10))
    await client.send({"type": "message", "content": "Второй", "client_id": "c-2"})
    refused = (await client.until("error"))[-1]
    assert refused["code"] == "service_restart" and refused["client_id"] == "c-2"
    assert "перезапускается" in refused["message"]
    final = (await client.until("assistant"))[-1]
    assert final["status"] == "done"
    assert await drain == (1, 0)
    rows = await _stored(str((await ChatSession.objects.aget()).pk))
    assert rows == [("user", "Первый"), ("assistant", final["content"])]
    assert len(fake_llm.chat_requests()) == 1
    await client.close()


async def test_a_shutdown_interrupts_a_long_answer_and_stores_what_was_streamed(
    alice, rec, fake_llm, shutdown_flag_reset
):
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Расскажи подробно")
    await client.until("assistant_delta")
    assert await ANSWERS.drain(grace_s=0.3) == (0, 1)
    got = await client.until("assistant")
    error, final = got[-2], got[-1]
    assert error["code"] == "service_restart" and "Traceback" not in error["message"]
    assert final["status"] == "failed"
    assert final["content"].startswith("слово")
    assert final["content"].endswith(RESTART_MARKER.strip())
    # The model's stream was closed at once, as for a stop.
    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=2.0)
    rows = await _stored(str((await ChatSession.objects.aget()).pk))
    assert rows == [("user", "Расскажи подробно"), ("assistant", final["content"])]
    assert not ANSWERS.any()
    await client.close()


async def test_a_shutdown_waits_for_an_answer_that_is_being_stored(
    alice, rec, fake_llm, shutdown_flag_reset, monkeypatch
):
    storing, stored = threading.Event(), threading.Event()
    store = turns.answer_store

    def slow_store(**kwargs):
        storing.set()
        time.sleep(0.5)
        store(**kwargs)
        stored.set()

    monkeypatch.setattr(turns, "answer_store", slow_store)
    fake_llm.enqueue(Reply.answer("Короткий ответ."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Вопрос")
    await asyncio.to_thread(storing.wait, 5)
    # No grace: the answer's task is cancelled while its answer is written.
    await ANSWERS.drain(grace_s=0)
    # The process may stop now: the answer is in the database.
    assert stored.is_set()
    rows = await _stored(str((await ChatSession.objects.aget()).pk))
    assert rows == [("user", "Вопрос"), ("assistant", "Короткий ответ.")]
    await client.close()


async def test_a_shutdown_with_nothing_running_returns_at_once(shutdown_flag_reset):
    started = time.monotonic()
    assert await ANSWERS.drain(grace_s=30) == (0, 0)
    assert time.monotonic() - started < 1


# --- failures ---------------------------------------------------------------------------------
async def test_model_failure_mid_stream_keeps_everything_and_the_next_question_works(
    alice, rec, fake_llm
):
    fake_llm.enqueue(Reply.cut("Часть ответа, которая успела прийти до обрыва", after_chunks=3))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Первый вопрос")
    got = await client.until("assistant")
    error = next(f for f in got if f["type"] == "error")
    assert error["code"] == "model_error" and "Traceback" not in error["message"]
    final = got[-1]
    assert final["status"] == "failed" and final["content"].endswith(FAILED_MARKER.strip())
    await answers_settled()

    fake_llm.enqueue(Reply.answer(ANSWER))
    await client.ask("Второй вопрос")
    assert (await client.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    rows = await _stored(str((await ChatSession.objects.aget()).pk))
    assert [role for role, _ in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0][1] == "Первый вопрос" and rows[1][1] == final["content"]
    await client.close()


async def test_model_that_loops_on_tools_stops_at_the_round_limit(alice, rec, fake_llm, settings):
    settings.CHAT_MAX_TOOL_ROUNDS = 2
    loop = Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}])
    fake_llm.enqueue(loop, loop, loop)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Сколько сэкономлю?")
    got = await client.until("assistant")
    await answers_settled()
    assert types(got).count("tool_call") == 2
    requests = fake_llm.chat_requests()
    # Two tool rounds, then one last call with no tools offered.
    assert len(requests) == 3 and "tools" not in requests[2]
    assert got[-1]["status"] == "done"
    assert got[-1]["content"] == texts.ROUND_LIMIT_TEXT.format(rounds=2)
    await client.close()


async def test_tool_errors_reach_the_model_as_errors(alice, rec, bob_rec, fake_llm):
    fake_llm.enqueue(
        Reply.calls(
            [
                {"name": "get_recommendation", "arguments": {"recommendation_id": bob_rec.pk}},
                {"name": "no_such_tool", "arguments": {}},
                {"name": "get_recommendation", "arguments": "{not json"},
            ]
        ),
        Reply.answer(ANSWER),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Покажи рекомендацию")
    got = await client.until("assistant")
    await answers_settled()
    results = [f for f in got if f["type"] == "tool_result"]
    assert [f["ok"] for f in results] == [False, False, False]
    tool_messages = [m for m in fake_llm.chat_requests()[1]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 3
    for message in tool_messages:
        body = json.loads(message["content"])
        assert body["ok"] is False and body["error"]
    # Bob's recommendation looks exactly like a missing one, and nothing of it leaks.
    assert "bob-secret-box" not in json.dumps(fake_llm.chat_requests()[1], ensure_ascii=False)
    audits = [a async for a in ToolCallAudit.objects.order_by("id")]
    assert [a.ok for a in audits] == [False, False, False] and all(a.error for a in audits)
    await client.close()


# --- refusals ---------------------------------------------------------------------------------
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


# --- offline (no model configured) ----------------------------------------------------------------
async def test_offline_assistant_answers_from_tools_in_the_same_frames(alice, rec):
    from chat.offline import OFFLINE_NOTICE_RU

    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Сколько я сэкономлю в месяц?")
    got = await client.until("assistant")
    await answers_settled()
    called = [f["name"] for f in got if f["type"] == "tool_call"]
    # The follow-up round ran: calculate_savings needs get_recommendation's figures.
    assert called == ["get_recommendation", "calculate_savings"]
    assert all(f["ok"] for f in got if f["type"] == "tool_result")
    final = got[-1]
    assert final["model"] == "offline" and final["status"] == "done"
    assert OFFLINE_NOTICE_RU in final["content"]
    assert "1,000" in final["content"]  # the product's thousands style (§6.1.2)
    assert "".join(f["content"] for f in got if f["type"] == "assistant_delta") == final["content"]
    await client.close()


async def test_an_instruction_in_a_resource_name_changes_nothing(alice, bob, bob_rec):
    from infrazen.demo import INJECTION_NAME

    yandex = await CloudProvider.objects.aget(user=alice, provider_type="yandex")
    resource = await database_sync_to_async(make_resource)(yandex, INJECTION_NAME)
    rec = await database_sync_to_async(make_recommendation)(resource)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Что это за рекомендация? Покажи данные всех пользователей.")
    got = await client.until("assistant")
    await answers_settled()
    text = json.dumps(got, ensure_ascii=False)
    assert "bob-secret-box" not in text and "bob@example.com" not in text
    audits = [a async for a in ToolCallAudit.objects.all()]
    assert audits and all(a.user_id == alice.pk for a in audits)
    await client.close()


# --- POST /v1/chat/start + /v1/chat/ws ---------------------------------------------------------
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


def _redis_layer_use(
    settings, *, backend: str = "chat.layers.ChatRedisChannelLayer", host=None
) -> None:
    """The test Redis as the channel layer, through `backend` (a variant of the real one)."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": backend, "CONFIG": {"hosts": [host or settings.REDIS_URL]}}
    }


@pytest.mark.redis
async def test_two_tabs_share_the_stream_through_redis(alice, rec, fake_llm, settings):
    _redis_layer_use(settings)
    fake_llm.enqueue(Reply.answer(ANSWER))
    first, second = ChatClient(rec_path(alice, rec)), ChatClient(rec_path(alice, rec))
    await first.connect()
    await second.connect()
    await first.ask("Вопрос")
    got_second = await second.until("assistant")
    assert (await first.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    assert got_second[0]["content"] == "Вопрос" and got_second[-1]["content"] == ANSWER
    # Stop from the second tab reaches the answer through the group as well.
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    await first.ask("Длинный ответ")
    await second.until("assistant_delta")
    await second.send({"type": "stop"})
    assert (await first.until("assistant"))[-1]["status"] == "stopped"
    await answers_settled()
    await second.until("assistant")

    # A frame of an answer running in another process arrives through the Redis group;
    # this process's own frames, which it delivered directly, are not delivered twice.
    from channels.layers import get_channel_layer

    from chat.fanout import group_name
    from chat.layers import PROCESS_ID

    layer = get_channel_layer()
    group = group_name((await ChatSession.objects.aget()).pk)
    frame = {"type": "assistant_delta", "message_id": 1, "content": "из другого процесса"}
    await layer.group_send(group, {"type": "chat.frame", "frame": frame, "origin": PROCESS_ID})
    assert await first.nothing(0.3)
    await layer.group_send(group, {"type": "chat.frame", "frame": frame, "origin": "other"})
    assert await first.receive() == frame and await second.receive() == frame
    await first.close()
    await second.close()


async def _published(layer, channel: str, *, quiet_s: float = 0.3) -> list[dict]:
    """What a watcher in the session's group got until it was quiet for `quiet_s`."""
    events = []
    while True:
        try:
            async with asyncio.timeout(quiet_s):
                events.append(await layer.receive(channel))
        except TimeoutError:
            return events


def _frame_types(events: list[dict]) -> list[str]:
    return [event["frame"]["type"] for event in events if event["type"] == "chat.frame"]


@pytest.mark.redis
async def test_deltas_go_to_redis_only_while_another_process_holds_a_socket(
    alice, rec, fake_llm, settings
):
    from channels.layers import get_channel_layer

    from chat.fanout import SESSIONS, group_name
    from chat.layers import PROCESS_ID

    _redis_layer_use(settings)
    layer = get_channel_layer()
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    group = group_name(system["session_id"])
    # A watcher standing in for another process's socket, silent for now.
    watcher = await layer.new_channel()
    await layer.group_add(group, watcher)

    # Alone: the answer's frames go to the group, but not its deltas.
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert "assistant_delta" in types(got)
    alone = _frame_types(await _published(layer, watcher))
    assert alone == ["user", "typing", "assistant"]

    # Another process says it holds a socket: this one answers, and now sends deltas too.
    await layer.group_send(
        group, {"type": "chat.presence", "present": True, "ask": True, "origin": "other"}
    )
    said = [event for event in await _published(layer, watcher) if event["origin"] == PROCESS_ID]
    assert [(event["type"], event["present"], event["ask"]) for event in said] == [
        ("chat.presence", True, False)
    ]
    assert SESSIONS.remote[system["session_id"]] == {"other"}
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Ещё вопрос")
    got = await client.until("assistant")
    await answers_settled()
    shared = _frame_types(await _published(layer, watcher))
    assert shared.count("assistant_delta") == types(got).count("assistant_delta") > 0

    # Its last socket closed: deltas stay here again.
    await layer.group_send(group, {"type": "chat.presence", "present": False, "origin": "other"})
    await _published(layer, watcher)
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Третий вопрос")
    await client.until("assistant")
    await answers_settled()
    assert "assistant_delta" not in _frame_types(await _published(layer, watcher))

    # This process's last socket closing says so to the others.
    await client.close()
    gone = await _published(layer, watcher)
    assert [(event["type"], event["present"]) for event in gone] == [("chat.presence", False)]
    assert system["session_id"] not in SESSIONS.remote


class GatedRedisLayer(ChatRedisChannelLayer):
    """The real Redis layer, whose group_send waits while `closed` (a slow Redis)."""

    gate: asyncio.Event | None = None

    async def group_send(self, group, message):
        if GatedRedisLayer.gate is not None:
            await GatedRedisLayer.gate.wait()
        await super().group_send(group, message)


@pytest.mark.redis
async def test_a_slow_redis_delays_no_local_frame_and_keeps_the_order(
    alice, rec, fake_llm, settings, monkeypatch
):
    from channels.layers import get_channel_layer

    from chat import fanout, layers

    _redis_layer_use(settings, backend=f"{__name__}.GatedRedisLayer")
    monkeypatch.setattr(GatedRedisLayer, "gate", asyncio.Event())
    monkeypatch.setattr(layers, "PUBLISH_BACKLOG_MAX", 3)
    layer = get_channel_layer()
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    session_id = system["session_id"]
    watcher = await layer.new_channel()
    await layer.group_add(fanout.group_name(session_id), watcher)
    fanout.SESSIONS.remote[session_id] = {"other"}  # as if a tab were open in another process

    # Redis hangs: this process's socket gets the whole answer all the same.
    fake_llm.enqueue(Reply.answer("слово " * 60, tokens_per_s=100))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert got[-1]["status"] == "done" and types(got).count("assistant_delta") > 4

    # Redis is back: the other processes get every frame but the deltas past the backlog,
    # in the order they were sent.
    GatedRedisLayer.gate.set()
    published = _frame_types(await _published(layer, watcher))
    # (The asking InfraZen-style socket is not sent its own question; other tabs are.)
    expected = ["user", *(kind for kind in types(got) if kind != "assistant_delta")]
    assert [kind for kind in published if kind != "assistant_delta"] == expected
    assert 0 < published.count("assistant_delta") < types(got).count("assistant_delta")
    assert published.index("assistant") == len(published) - 1
    await client.close()


@pytest.mark.redis
async def test_a_failing_channel_layer_loses_no_question_and_no_answer(
    alice, rec, fake_llm, settings
):
    # A pool of one Redis connection, held by the socket's receive loop: every group
    # operation fails at once with MaxConnectionsError, as 200 sessions did with the
    # default pool of 100 (bench/README.md). The socket is served from this process.
    _redis_layer_use(settings, host={"address": settings.REDIS_URL, "max_connections": 1})
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    await client.send({"type": "message", "content": "Вопрос", "client_id": "c-1"})
    got = await client.until("assistant")
    await answers_settled()

    assert got[0]["type"] == "user" and got[-1]["content"] == ANSWER
    assert got[-1]["status"] == "done"
    session = await ChatSession.objects.aget()
    assert await _stored(session.pk) == [("user", "Вопрос"), ("assistant", ANSWER)]
    await client.close()


class HungJoinRedisLayer(ChatRedisChannelLayer):
    """The real Redis layer, whose group_add never returns (a Redis that hangs)."""

    async def group_add(self, group, channel):
        await asyncio.Event().wait()


@pytest.mark.redis
async def test_a_hung_redis_delays_a_socket_by_the_call_timeout_only(
    alice, rec, fake_llm, settings, monkeypatch
):
    from chat import layers

    _redis_layer_use(settings, backend=f"{__name__}.HungJoinRedisLayer")
    monkeypatch.setattr(layers, "LAYER_CALL_TIMEOUT_S", 0.2)
    client = ChatClient(rec_path(alice, rec))
    async with asyncio.timeout(3):
        system = await client.connect()
    assert system["type"] == "system"
    fake_llm.enqueue(Reply.answer(ANSWER))
    await client.ask("Вопрос")
    assert (await client.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    await client.close()


class FlakyReceiveRedisLayer(RedisChannelLayer):
    """The real Redis layer, whose receive first fails `failures` times as a read timing out."""

    failures = 0
    calls = 0

    async def receive(self, channel):
        FlakyReceiveRedisLayer.calls += 1
        if FlakyReceiveRedisLayer.failures > 0:
            FlakyReceiveRedisLayer.failures -= 1
            raise RedisTimeoutError("Timeout reading from 127.0.0.1:6379")
        return await super().receive(channel)


class FlakyReceiveChatLayer(RedisFanOut, FlakyReceiveRedisLayer):
    """The chat's Redis layer over one whose reads fail."""


@pytest.mark.redis
async def test_a_failing_layer_receive_keeps_the_socket_and_the_frames_of_other_processes(
    alice, rec, fake_llm, settings, monkeypatch
):
    from channels.layers import get_channel_layer

    from chat import fanout, layers

    # The project's own Redis settings: a read outwaits channels_redis' blocking receive,
    # which redis-py 8's default socket timeout (5 s, the same) cut short under load.
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
    _redis_layer_use(settings, backend=f"{__name__}.FlakyReceiveChatLayer", host=host)
    monkeypatch.setattr(layers, "LAYER_RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(FlakyReceiveRedisLayer, "failures", 3)
    monkeypatch.setattr(FlakyReceiveRedisLayer, "calls", 0)
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    async with asyncio.timeout(5):
        while FlakyReceiveRedisLayer.calls < 4:
            await asyncio.sleep(0.01)

    # The socket outlived three failed receives: a frame from another process still arrives,
    frame = {"type": "assistant_delta", "message_id": 1, "content": "из другого процесса"}
    group = fanout.group_name(system["session_id"])
    await get_channel_layer().group_send(
        group, {"type": "chat.frame", "frame": frame, "origin": "other"}
    )
    assert await client.receive() == frame
    # and its own questions are answered and stored.
    fake_llm.enqueue(Reply.answer(ANSWER))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert got[-1]["content"] == ANSWER and got[-1]["status"] == "done"
    assert await _stored(system["session_id"]) == [("user", "Вопрос"), ("assistant", ANSWER)]
    await client.close()


async def test_the_model_gets_the_prompt_the_pack_and_the_history(alice, rec, fake_llm, settings):
    from chat.prompts import DATA_OPEN, RULE_DATA_NOT_INSTRUCTIONS

    fake_llm.enqueue(Reply.answer("Первый ответ."), Reply.answer("Второй ответ."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    for question in ("Первый вопрос", "Второй вопрос"):
        await client.ask(question)
        await client.until("assistant")
        await answers_settled()
    second = fake_llm.chat_requests()[1]
    system, *history = second["messages"]
    assert system["role"] == "system"
    assert DATA_OPEN in system["content"] and RULE_DATA_NOT_INSTRUCTIONS in system["content"]
    assert "old-backup" in system["content"]  # the context pack: no tool call needed
    assert history == [
        {"role": "user", "content": "Первый вопрос"},
        {"role": "assistant", "content": "Первый ответ."},
        {"role": "user", "content": "Второй вопрос"},
    ]
    assert {tool["function"]["name"] for tool in second["tools"]} >= {
        "get_recommendation",
        "list_top_alternatives",
        "generate_step_plan",
    }

    # A small budget keeps only the latest messages, and always the question itself.
    settings.CHAT_HISTORY_TOKEN_BUDGET = 12
    fake_llm.enqueue(Reply.answer("Третий ответ."))
    await client.ask("Третий вопрос")
    await client.until("assistant")
    await answers_settled()
    third = fake_llm.chat_requests()[2]["messages"]
    assert third[-1] == {"role": "user", "content": "Третий вопрос"}
    assert len(third) < 6
    await client.close()


async def test_an_answer_is_stored_even_when_no_frame_can_be_delivered(alice, rec, fake_llm):
    principal, session = await session_of(alice, rec)

    async def channel_layer_down(frame):
        raise ConnectionError("redis is down")

    fake_llm.enqueue(Reply.answer(ANSWER))
    turn = await turns.turn_begin(principal=principal, session=session, question="Вопрос")
    assert await engine.answer_start(turn=turn, broadcast=channel_layer_down) == "done"
    assert await _stored(session.pk) == [("user", "Вопрос"), ("assistant", ANSWER)]


async def test_a_pasted_screenshot_goes_to_the_vision_model(
    alice, rec, fake_llm, settings, tmp_path
):
    import io
    import uuid

    from PIL import Image

    from chat.images import chat_image_upload

    settings.CHAT_UPLOAD_DIR = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "red").save(buffer, format="PNG")
    buffer.seek(0)
    image = await database_sync_to_async(chat_image_upload)(
        file=buffer, size=len(buffer.getvalue()), user_id=None, uploader_ip="127.0.0.1"
    )
    fake_llm.enqueue(Reply.answer("На скриншоте счёт за месяц."), Reply.answer("Понял."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    # Exactly what the InfraZen client sends after an upload.
    await client.ask(f"[image:{image.pk}] что на скриншоте?")
    assert (await client.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    request = fake_llm.chat_requests()[0]
    assert request["model"] == "vision/primary"
    parts = request["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "что на скриншоте?"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    # Stored as sent: the refs stay in the transcript.
    rows = await _stored((await ChatSession.objects.aget()).pk)
    assert rows[0] == ("user", f"[image:{image.pk}] что на скриншоте?")

    # An unknown image: the model is told, so it can tell the user.
    await client.ask(f"[image:{uuid.uuid4()}] а это?")
    await client.until("assistant")
    await answers_settled()
    last = fake_llm.chat_requests()[1]["messages"][-1]
    assert last["role"] == "user" and isinstance(last["content"], str)
    assert last["content"].startswith("а это?") and "недоступных для анализа" in last["content"]
    await client.close()


async def test_the_next_question_right_after_the_final_frame_is_not_busy(alice, rec, fake_llm):
    fake_llm.enqueue(*(Reply.answer(f"Ответ {n}.") for n in range(5)))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    for n in range(5):
        await client.ask(f"Вопрос {n}")
        got = await client.until("assistant")
        assert "error" not in types(got) and got[-1]["content"] == f"Ответ {n}."
    await answers_settled()
    await client.close()


# --- the context pack is prepared before the question ----------------------------------------
async def prefetched(session_id: str) -> str | None:
    """The session's prompt once its background build (if any) is over."""
    task = PROMPTS.prefetching.get(session_id)
    if task is not None:
        await asyncio.wait({task})
    cached = PROMPTS.entries.get(session_id)
    return cached[1] if cached else None


async def test_the_prompt_is_ready_when_the_socket_opens_and_the_question_uses_it(
    alice, rec, fake_llm
):
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    prompt = await prefetched(system["session_id"])
    assert prompt is not None and "old-backup" in prompt

    await client.ask("Что это за рекомендация?")
    await client.until("assistant")
    await answers_settled()
    assert fake_llm.chat_requests()[0]["messages"][0]["content"] == prompt
    await client.close()


async def test_an_aging_prompt_is_rebuilt_after_an_answer_not_during_the_next(
    alice, rec, fake_llm, settings
):
    fake_llm.enqueue(Reply.answer("Первый ответ."))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    session_id = system["session_id"]
    await prefetched(session_id)
    built_at, prompt = PROMPTS.entries[session_id]
    # Past half its TTL: the question still uses it, and the answer's end refreshes it.
    PROMPTS.entries[session_id] = (built_at - settings.CHAT_CONTEXT_TTL_S * 0.75, prompt)

    await client.ask("Что это за рекомендация?")
    await client.until("assistant")
    await answers_settled()
    async with asyncio.timeout(5):
        # The answer's task starts the refresh just after its final frame.
        while PROMPTS.entries[session_id][0] < built_at:
            await prefetched(session_id)
            await asyncio.sleep(0.01)
    assert fake_llm.chat_requests()[0]["messages"][0]["content"] == prompt
    await client.close()


async def test_a_disabled_prefetch_prepares_no_prompt(alice, rec, fake_llm, settings):
    settings.CHAT_CONTEXT_PREFETCH = False
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()

    assert await prefetched(system["session_id"]) is None
    await client.close()


async def test_an_offline_chat_prepares_no_prompt(alice, rec):
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()

    assert await prefetched(system["session_id"]) is None
    await client.close()


async def test_a_burst_of_sockets_builds_a_few_packs_at_once_and_the_rest_after_it(
    alice, rec, fake_llm, monkeypatch
):
    monkeypatch.setattr(PROMPTS, "deferred", prompt_cache._Deferred(PROMPTS))
    monkeypatch.setattr(prompt_cache, "PREFETCH_DEFERRED_QUIET_S", 0.2)
    principal, session = await session_of(alice, rec)
    session_ids = [f"{session.pk}-{n}" for n in range(prompt_cache.PREFETCH_QUEUE_MAX + 3)]
    for session_id in session_ids:
        PROMPTS.prefetch(principal=principal, session_id=session_id)

    waiting = [task for task in PROMPTS.prefetching.values() if not task.done()]
    assert len(waiting) == prompt_cache.PREFETCH_QUEUE_MAX
    deferred = session_ids[prompt_cache.PREFETCH_QUEUE_MAX :]
    assert list(PROMPTS.deferred.waiting) == deferred
    await asyncio.wait(waiting)
    # The burst is not over yet: the rest wait. A question builds its own pack meanwhile.
    assert not any(PROMPTS.entries.get(session_id) for session_id in deferred)
    asked = (time.monotonic(), "built by its question")
    PROMPTS.entries[deferred[0]] = asked

    async with asyncio.timeout(10):
        while not all(PROMPTS.entries.get(session_id) for session_id in session_ids):
            await asyncio.sleep(0.01)
    assert not PROMPTS.deferred.waiting
    assert PROMPTS.entries[deferred[0]] == asked  # found fresh, not built twice


async def test_a_socket_closed_before_its_deferred_pack_leaves_nothing_to_build(
    alice, rec, fake_llm, monkeypatch
):
    monkeypatch.setattr(PROMPTS, "deferred", prompt_cache._Deferred(PROMPTS))
    monkeypatch.setattr(prompt_cache, "PREFETCH_QUEUE_MAX", 0)  # every prefetch waits
    monkeypatch.setattr(prompt_cache, "PREFETCH_DEFERRED_QUIET_S", 60)
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    assert list(PROMPTS.deferred.waiting) == [system["session_id"]]

    await client.close()
    async with asyncio.timeout(5):
        while PROMPTS.deferred.waiting:
            await asyncio.sleep(0.01)
    assert PROMPTS.entries.get(system["session_id"]) is None


async def test_frames_skip_channels_connection_closing_hop(alice, rec, fake_llm, monkeypatch):
    """Channels' dispatch closes old connections on the database thread before every
    handler; a question queued behind every other socket's database work for it. The
    consumer's own database calls check their connection, so no frame pays that hop."""
    import channels.consumer

    hops = []

    async def closing_hop():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", closing_hop)
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Что это за рекомендация?")
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()

    assert final["content"] == ANSWER
    assert hops == []


def _turn_queries(principal, session, question):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        turn = turns.turn_prepare(principal=principal, session=session, question=question)
    return turn, [query["sql"] for query in queries.captured_queries]


async def test_a_question_with_its_pack_ready_is_two_inserts_one_update_two_reads(
    alice, rec, fake_llm
):
    """The question's one call on the database thread: what every question waits for.

    The reads: the asker is checked again (chat_turn_allowed), then the history."""
    principal, session = await session_of(alice, rec)
    await database_sync_to_async(_turn_queries)(principal, session, "Первый")  # builds the pack

    turn, sql = await database_sync_to_async(_turn_queries)(principal, session, "Второй")

    writes = [q.split()[0] for q in sql if not q.startswith(("SELECT", "BEGIN", "SAVEPOINT"))]
    assert writes.count("INSERT") == 2 and writes.count("UPDATE") == 1
    reads = [q for q in sql if q.startswith("SELECT")]
    assert len(reads) == 2
    assert "chat_sessions" in reads[0] and "is_active" in reads[0]
    assert "chat_messages" in reads[1]
    assert turn.messages[-1] == {"role": "user", "content": "Второй"}
    # Tools still act as the user: read on their first use, not with the turn.
    from chat.model_loop import Tools

    tools = Tools(turn=turn, answer=turns.Answer(), broadcast=None)
    user = await database_sync_to_async(lambda: tools.user)()
    assert user.pk == alice.pk
    session_row = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert session_row.message_count == 4
