"""Frames the socket cannot take, and what every frame costs on its way in."""

from __future__ import annotations

import pytest

from chat.tests.socket_helpers import ANSWER, rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


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
