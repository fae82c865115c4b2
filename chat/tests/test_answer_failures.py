"""A model or tool that fails: the answer ends, is stored, and the next question works."""

from __future__ import annotations

import json

import pytest

from chat import texts
from chat.models import ToolCallAudit
from chat.services import FAILED_MARKER
from chat.tests.socket_helpers import ANSWER, rec_path, stored_async
from chat.tests.wsclient import ChatClient, answers_settled, types
from infrazen.models import ChatSession
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


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
    rows = await stored_async(str((await ChatSession.objects.aget()).pk))
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
    audits = [a async for a in ToolCallAudit.objects.filter(round__gte=1).order_by("id")]
    assert [a.ok for a in audits] == [False, False, False] and all(a.error for a in audits)
    await client.close()
