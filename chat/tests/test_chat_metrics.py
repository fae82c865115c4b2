"""What the chat counts into core.metrics: open sockets, answers by scenario and status, and the
time from an answer's start to its first streamed text."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from chat.tests.socket_helpers import ANSWER, rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_socket_and_its_answer_are_counted(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer(ANSWER))
    sockets = _sample("infrazen_agent_websockets_open")
    done = _sample("infrazen_agent_chat_answers_total", scenario="recommendation", status="done")
    deltas = _sample("infrazen_agent_chat_first_delta_seconds_count", scenario="recommendation")

    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    assert _sample("infrazen_agent_websockets_open") == sockets + 1
    await client.ask("Что это за рекомендация?")
    await client.until("assistant")
    await answers_settled()
    await client.close()

    assert _sample("infrazen_agent_websockets_open") == sockets
    assert (
        _sample("infrazen_agent_chat_answers_total", scenario="recommendation", status="done")
        == done + 1
    )
    assert (
        _sample("infrazen_agent_chat_first_delta_seconds_count", scenario="recommendation")
        == deltas + 1
    )
