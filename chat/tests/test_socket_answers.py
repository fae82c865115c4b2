"""A question over the socket gets its answer, end to end (real ASGI router, real engine,
the fake model over HTTP): the InfraZen client, a new client, every tab, the model's
request, offline."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from chat import engine, turns
from chat.models import ToolCallAudit
from chat.tests.image_helpers import READING, answer_requests, is_reading
from chat.tests.socket_helpers import ANSWER, analytics_path, rec_path, session_of, stored_async
from chat.tests.wsclient import ChatClient, answers_settled, types
from conftest import make_recommendation, make_resource
from infrazen.models import ChatMessage, ChatSession, CloudProvider
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = pytest.mark.django_db(transaction=True)


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
    fake_llm.enqueue(Reply.answer("Расходы за 7 дней стабильны."))
    client = ChatClient(analytics_path(alice, days=7))
    system = await client.connect()
    assert system["scenario"] == "analytics"
    await client.ask("Как меняются расходы?")
    final = (await client.until("assistant"))[-1]
    assert final["content"] == "Расходы за 7 дней стабильны."
    await answers_settled()
    await client.close()
    session = await ChatSession.objects.aget(pk=system["session_id"])
    assert json.loads(session.context) == {"time_range_days": 7}
    assert session.recommendation_id is None and session.message_count == 2


async def test_new_client_gets_deltas_tool_events_and_accounting(alice, rec, fake_llm):
    fake_llm.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}]),
        Reply.answer(ANSWER, tokens_per_s=100),  # paced: a read per token or so
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

    audit = await ToolCallAudit.objects.filter(round__gte=1).aget()
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
    fake_llm.route(Reply.answer(READING), when=is_reading)
    fake_llm.enqueue(Reply.answer("На скриншоте счёт за месяц."), Reply.answer("Понял."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    # Exactly what the InfraZen client sends after an upload.
    await client.ask(f"[image:{image.pk}] что на скриншоте?")
    assert (await client.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    request = answer_requests(fake_llm)[0]
    assert request["model"] == "vision/primary"
    parts = request["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "что на скриншоте?"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    # Stored as sent: the refs stay in the transcript.
    rows = await stored_async((await ChatSession.objects.aget()).pk)
    assert rows[0] == ("user", f"[image:{image.pk}] что на скриншоте?")

    # An unknown image: the model is told, so it can tell the user.
    await client.ask(f"[image:{uuid.uuid4()}] а это?")
    await client.until("assistant")
    await answers_settled()
    last = answer_requests(fake_llm)[1]["messages"][-1]
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


async def test_an_answer_is_stored_even_when_no_frame_can_be_delivered(alice, rec, fake_llm):
    principal, session = await session_of(alice, rec)

    async def channel_layer_down(frame):
        raise ConnectionError("redis is down")

    fake_llm.enqueue(Reply.answer(ANSWER))
    turn = await turns.turn_begin(principal=principal, session=session, question="Вопрос")
    assert await engine.answer_start(turn=turn, broadcast=channel_layer_down) == "done"
    assert await stored_async(session.pk) == [("user", "Вопрос"), ("assistant", ANSWER)]


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
    from demo_data.personas import INJECTION_NAME

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
