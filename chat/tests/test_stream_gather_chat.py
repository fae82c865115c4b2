"""Under load (CHAT_STREAM_GATHER_FROM answers running in the process) an answer's model
stream is read once per delta frame: the user gets the same text, in fewer frames."""

from __future__ import annotations

import pytest

from chat import model_loop
from chat.running import ANSWERS
from chat.tests.socket_helpers import analytics_path
from chat.tests.wsclient import ChatClient, answers_settled
from conftest import make_user
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = ("Расходы выросли из-за сервера office. " * 8).strip()


@pytest.fixture
def running(monkeypatch):
    """Answers running in this process, as many as a test says."""

    def set_to(n: int) -> None:
        monkeypatch.setattr(ANSWERS, "count", lambda: n)

    return set_to


def test_gathered_only_from_the_threshold(settings, running):
    settings.CHAT_STREAM_GATHER_FROM = 8
    settings.CHAT_DELTA_FLUSH_MS = 100
    running(7)
    assert model_loop._gather_s() == 0.0
    running(8)
    assert model_loop._gather_s() == 0.1
    settings.CHAT_STREAM_GATHER_FROM = 0
    assert model_loop._gather_s() == 0.0


async def test_a_gathered_answer_streams_the_whole_text(fake_llm, settings, running):
    from channels.db import database_sync_to_async

    settings.CHAT_STREAM_GATHER_FROM = 1
    running(1)
    anna = await database_sync_to_async(make_user)("anna@example.com")
    fake_llm.enqueue(Reply.answer("разогрев"), Reply.answer(TEXT, tokens_per_s=100))
    client = ChatClient(analytics_path(anna, days=30))
    await client.connect()
    await client.ask("Привет")
    await client.until("assistant")  # the first answer puts the model client on its wire

    await client.ask("Почему выросли расходы?")
    frames = await client.until("assistant")
    await answers_settled()
    await client.close()

    deltas = [frame["content"] for frame in frames if frame["type"] == "assistant_delta"]
    assert "".join(deltas) == frames[-1]["content"] == TEXT
    assert 2 <= len(deltas) <= 12  # 48 words in ~0.5 s: a frame per 100 ms, the first at once
