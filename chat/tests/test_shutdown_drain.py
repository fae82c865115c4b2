"""A shutdown (a deploy): running answers finish or are interrupted and stored (chat.running)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from chat import turns
from chat.running import ANSWERS
from chat.services import RESTART_MARKER
from chat.tests.socket_helpers import rec_path, stored_async
from chat.tests.wsclient import ChatClient
from infrazen.models import ChatSession
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


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
    rows = await stored_async(str((await ChatSession.objects.aget()).pk))
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
    rows = await stored_async(str((await ChatSession.objects.aget()).pk))
    assert rows == [("user", "Расскажи подробно"), ("assistant", final["content"])]
    assert not ANSWERS.any()
    await client.close()


async def test_a_shutdown_waits_for_an_answer_that_is_beingstored_async(
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
    rows = await stored_async(str((await ChatSession.objects.aget()).pk))
    assert rows == [("user", "Вопрос"), ("assistant", "Короткий ответ.")]
    await client.close()


async def test_a_shutdown_with_nothing_running_returns_at_once(shutdown_flag_reset):
    started = time.monotonic()
    assert await ANSWERS.drain(grace_s=30) == (0, 0)
    assert time.monotonic() - started < 1
