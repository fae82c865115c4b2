"""A reconnecting socket and a `history` frame get the stored messages once each."""

from __future__ import annotations

import pytest

from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


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
