"""While an answer streams, its row holds what was streamed so far, marked interrupted
(chat.turns.Checkpoints): a worker killed mid-answer leaves that for the replay. The kill
itself is chat/tests/browser/test_worker_kill.py."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from chat import turns
from chat.running import ANSWERS
from chat.selectors import PENDING_MARKER, chat_history, chat_history_for_model
from chat.services import RESTART_MARKER, STOPPED_MARKER
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatMessage, ChatSession
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "слово " * 400
MARK = RESTART_MARKER.strip()


async def _content(message_id: int) -> str:
    return (await ChatMessage.objects.aget(pk=message_id)).content


async def _checkpoint_longer_than(message_id: int, chars: int, timeout: float = 5.0) -> str:
    """The row's content once a checkpoint holding more than `chars` of text has landed."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        content = await _content(message_id)
        if content.endswith(MARK) and len(content) - len(MARK) > chars:
            return content
        await asyncio.sleep(0.05)
    raise AssertionError(f"no checkpoint past {chars} chars: {content[:80]!r}")


def _replay_and_history(session_id: str) -> tuple[list[tuple[str, str]], list[dict]]:
    session = ChatSession(pk=session_id)
    replay = [(m.role, m.content) for m in chat_history(session=session)]
    return replay, chat_history_for_model(session=session, token_budget=10_000)


async def test_a_slow_answer_is_checkpointed_and_a_replay_shows_it_as_interrupted(
    alice, rec, fake_llm, settings
):
    settings.CHAT_CHECKPOINT_S = 0.2
    fake_llm.enqueue(Reply.answer(LONG, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    await client.ask("Расскажи подробно")
    answer_id = (await client.until("assistant_delta"))[-1]["message_id"]

    first = await _checkpoint_longer_than(answer_id, 0)
    streamed = first.removesuffix(MARK).rstrip()
    assert streamed.startswith("слово") and LONG.startswith(streamed)
    assert first == f"{streamed}{RESTART_MARKER}"
    # What a worker killed now would leave: a normal answer, marked interrupted.
    replay, history = await database_sync_to_async(_replay_and_history)(system["session_id"])
    assert replay == [("user", "Расскажи подробно"), ("assistant", first)]
    assert history == [
        {"role": "user", "content": "Расскажи подробно"},
        {"role": "assistant", "content": first},
    ]
    # Later ones hold more.
    later = await _checkpoint_longer_than(answer_id, len(streamed))
    assert LONG.startswith(later.removesuffix(MARK).rstrip())

    # A stop ends it as before, its final write replacing the checkpoint.
    await client.send({"type": "stop"})
    final = (await client.until("assistant"))[-1]
    assert final["status"] == "stopped" and final["content"].endswith(STOPPED_MARKER.strip())
    await answers_settled()
    assert await _content(answer_id) == final["content"]
    # No checkpoint comes after it.
    await asyncio.sleep(0.6)
    assert await _content(answer_id) == final["content"]
    await client.close()


async def test_a_tab_opened_mid_answer_gets_it_live_not_its_checkpoint(
    alice, rec, fake_llm, settings
):
    settings.CHAT_CHECKPOINT_S = 0.2
    fake_llm.enqueue(Reply.answer("слово " * 60, tokens_per_s=40))
    asking = ChatClient(rec_path(alice, rec))
    await asking.connect()
    await asking.ask("Расскажи подробно")
    answer_id = (await asking.until("assistant_delta"))[-1]["message_id"]
    await _checkpoint_longer_than(answer_id, 0)

    other = ChatClient(rec_path(alice, rec))
    await other.connect()
    frames = await other.until("assistant")
    # The question from the replay, then the running answer's frames: no interrupted copy.
    assert [f["content"] for f in frames if f["type"] == "user"] == ["Расскажи подробно"]
    answers = [f for f in frames if f["type"] == "assistant"]
    assert len(answers) == 1 and answers[0]["status"] == "done"
    assert MARK not in answers[0]["content"]
    await answers_settled()
    for client in (asking, other):
        await client.close()


async def test_a_checkpoint_in_flight_when_the_answer_ends_is_written_before_the_answer(
    alice, rec, fake_llm, settings, monkeypatch
):
    """The final write waits for a checkpoint still on its way to the database, so the
    checkpoint can never overwrite the finished answer."""
    settings.CHAT_CHECKPOINT_S = 0.1
    writing, release = asyncio.Event(), asyncio.Event()
    writes: list[str] = []
    checkpoint, db_sync_to_async, store = (
        turns.chat_answer_checkpoint,
        turns.db_sync_to_async,
        turns.answer_store,
    )

    def held_checkpoint(**kwargs) -> None:
        checkpoint(**kwargs)
        writes.append("checkpoint")

    async def held(**kwargs) -> None:
        # Held before it reaches the database thread: the final write could overtake it.
        writing.set()
        await release.wait()
        await db_sync_to_async(held_checkpoint)(**kwargs)

    def patched(function):
        return held if function is checkpoint else db_sync_to_async(function)

    def final_store(**kwargs) -> None:
        store(**kwargs)
        writes.append("final")

    monkeypatch.setattr(turns, "db_sync_to_async", patched)
    monkeypatch.setattr(turns, "answer_store", final_store)
    text = "слово " * 20
    fake_llm.enqueue(Reply.answer(text, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Вопрос")
    await asyncio.wait_for(writing.wait(), 5)
    got = await client.until("assistant_delta")
    while "".join(f["content"] for f in got if f["type"] == "assistant_delta") != text:
        got.append(await client.receive())
    # The whole answer has streamed; its final frame waits for the checkpoint.
    assert await client.nothing(timeout=0.3)
    assert writes == []
    release.set()
    final = (await client.until("assistant"))[-1]
    await answers_settled()

    assert final["status"] == "done" and final["content"] == text.strip()
    assert writes == ["checkpoint", "final"]
    assert await _content(final["message_id"]) == text.strip()
    await asyncio.sleep(0.4)
    assert writes == ["checkpoint", "final"]
    assert await _content(final["message_id"]) == text.strip()
    await client.close()


async def test_a_quick_answer_writes_no_checkpoint(alice, rec, fake_llm, monkeypatch):
    called = []
    monkeypatch.setattr(turns, "chat_answer_checkpoint", lambda **kwargs: called.append(kwargs))
    fake_llm.enqueue(Reply.answer("Короткий ответ."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Вопрос")
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    assert final["content"] == "Короткий ответ." and called == []
    await client.close()


async def test_before_any_text_the_placeholder_stays_out_of_the_replay(
    alice, rec, fake_llm, settings
):
    settings.CHAT_CHECKPOINT_S = 0.1
    fake_llm.enqueue(Reply.answer("Ответ после паузы.", ttfb_s=0.8))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    await client.ask("Вопрос")
    answer_id = (await client.until("typing"))[-1]["message_id"]
    await asyncio.sleep(0.5)
    assert await _content(answer_id) == PENDING_MARKER
    replay, history = await database_sync_to_async(_replay_and_history)(system["session_id"])
    assert replay == [("user", "Вопрос")]
    assert history == [{"role": "user", "content": "Вопрос"}]
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    assert await _content(answer_id) == final["content"] == "Ответ после паузы."
    await client.close()


async def test_a_shutdown_stores_everything_streamed_over_the_last_checkpoint(
    alice, rec, fake_llm, settings, shutdown_flag_reset
):
    settings.CHAT_CHECKPOINT_S = 0.2
    fake_llm.enqueue(Reply.answer(LONG, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Расскажи подробно")
    answer_id = (await client.until("assistant_delta"))[-1]["message_id"]
    checkpointed = await _checkpoint_longer_than(answer_id, 0)

    assert await ANSWERS.drain(grace_s=0.5) == (0, 1)
    final = (await client.until("assistant"))[-1]
    assert final["status"] == "failed" and final["content"].endswith(MARK)
    # The final frame holds all that streamed (the last deltas may not have gone out yet).
    stored = final["content"].removesuffix(RESTART_MARKER)
    sent = "".join(f["content"] for f in client.frames if f["type"] == "assistant_delta")
    assert LONG.startswith(stored) and stored.startswith(sent.strip())
    assert stored.startswith(checkpointed.removesuffix(RESTART_MARKER))
    assert len(stored) > len(checkpointed.removesuffix(RESTART_MARKER))
    assert await _content(answer_id) == final["content"]
    await client.close()
