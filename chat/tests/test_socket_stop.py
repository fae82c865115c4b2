"""A `stop` frame, and a question while an answer runs (`busy`)."""

from __future__ import annotations

import asyncio

import pytest

from chat.services import STOPPED_MARKER
from chat.tests.socket_helpers import rec_path, stored_async
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatSession
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = pytest.mark.django_db(transaction=True)


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
    rows = await stored_async(str((await ChatSession.objects.aget()).pk))
    assert rows[0] == ("user", "Расскажи подробно")
    assert rows[1] == ("assistant", final["content"])
    assert [c.outcome async for c in LLMCall.objects.all()] == [LLMCall.Outcome.CANCELLED]
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
    roles = [role for role, _ in await stored_async(str((await ChatSession.objects.aget()).pk))]
    assert roles == ["user", "assistant"]
    await client.close()
