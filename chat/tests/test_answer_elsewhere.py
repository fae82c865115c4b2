"""A tab that reconnects mid-answer to a process that does not run the answer (chat.owners):
it asks the session's owner group, and gets the answer live when its process replies, or the
stored checkpoint, marked interrupted, when no process does (a killed worker).

Several processes are simulated in this one by a layer that carries groups in memory the way
Redis carries them between processes (SharedInMemoryLayer), or by real Redis. The browser
test with two real workers is chat/tests/browser/test_widget.py."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer

from chat import owners
from chat.fanout import SESSIONS, group_name
from chat.layers import RedisFanOut
from chat.services import RESTART_MARKER, STOPPED_MARKER
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled, types
from infrazen.clock import utc_now
from infrazen.models import ChatMessage, ChatSession
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)

CHECKPOINT = "Первая часть ответа" + RESTART_MARKER
SHARED_LAYER = "chat.tests.test_answer_elsewhere.SharedInMemoryLayer"


class SharedInMemoryLayer(RedisFanOut, InMemoryChannelLayer):
    """What the chat adds to the Redis layer, over groups kept in this process: publish,
    ask and reply go through groups as between two workers."""

    def local_deliver(self, channel: str, event: dict) -> None:
        # The in-memory layer has no receive buffer of Redis's: its own send is local.
        asyncio.get_running_loop().create_task(self.send(channel, event))


def _layer_use(settings, backend: str = SHARED_LAYER) -> None:
    config = {"hosts": [settings.REDIS_URL]} if "Redis" in backend else {}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend, "CONFIG": config}}


async def _turn_stored(alice, rec, *, content: str = CHECKPOINT, age_s: float = 0) -> tuple:
    """A session whose last turn is a question and an answer's row holding `content` with no
    tokens (a checkpoint), as another worker streaming it (or killed) leaves it."""
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    await client.close()
    session = await ChatSession.objects.aget(pk=system["session_id"])
    created = utc_now() - timedelta(seconds=age_s)
    question = await ChatMessage.objects.acreate(
        session=session, role="user", content="Расскажи подробно", created_at=created
    )
    answer = await ChatMessage.objects.acreate(
        session=session, role="assistant", content=content, tokens=None, created_at=created
    )
    return session.pk, question.pk, answer.pk


async def test_a_reconnect_gets_an_answer_another_process_streams_live_not_its_checkpoint(
    alice, rec, settings
):
    _layer_use(settings)
    session_id, question_id, answer_id = await _turn_stored(alice, rec)
    layer = get_channel_layer()
    # The answer's process, played by the test: a channel in the session's owner group.
    owner = await layer.new_channel()
    await layer.group_add(owners.owner_group(session_id), owner)

    tab = ChatClient(rec_path(alice, rec, after=question_id))
    connecting = asyncio.create_task(tab.connect())
    ask = await asyncio.wait_for(layer.receive(owner), timeout=5)
    assert ask["type"] == owners.EVENT_ASK and ask["origin"]
    # While the replay waits, the answer goes on: its frames wait for the replay.
    delta = {"type": "assistant_delta", "message_id": answer_id, "content": " и вторая"}
    live = {"type": "chat.frame", "frame": delta, "origin": "worker-a"}
    await layer.group_send(group_name(session_id), live)
    await asyncio.sleep(0.05)
    await layer.send(ask["reply_to"], {"type": owners.EVENT_HERE, "answer_id": answer_id})

    system = await connecting
    assert system["type"] == "system" and system["last_message_id"] == question_id
    typing = await tab.receive()
    assert (typing["type"], typing["message_id"]) == ("typing", answer_id)
    assert await tab.receive() == delta
    # The answer runs: a question from this tab is refused as on the answer's own worker.
    await tab.ask("Ещё вопрос")
    refused = await tab.receive()
    assert (refused["type"], refused["code"]) == ("error", "busy")
    final = {"type": "assistant", "message_id": answer_id, "content": "Весь ответ"}
    final["status"] = "done"
    await layer.group_send(group_name(session_id), {**live, "frame": final})
    assert await tab.receive() == final
    assert "assistant" not in types(tab.frames[:-1])
    await tab.close()


async def test_a_checkpoint_no_process_answers_for_is_replayed_as_interrupted_at_once(
    alice, rec, settings
):
    _layer_use(settings)
    session_id, question_id, answer_id = await _turn_stored(alice, rec)
    layer = get_channel_layer()
    # A killed worker's listener: still in the group, never reading.
    await layer.group_add(owners.owner_group(session_id), await layer.new_channel())

    started = time.monotonic()
    tab = ChatClient(rec_path(alice, rec, after=question_id))
    await tab.connect()
    replayed = await tab.receive()
    assert time.monotonic() - started < owners.ASK_TIMEOUT_S + 1.0
    assert (replayed["type"], replayed["message_id"]) == ("assistant", answer_id)
    assert replayed["content"] == CHECKPOINT and "status" not in replayed
    assert await tab.nothing()
    await tab.close()


async def test_a_checkpoint_whose_answer_ended_while_asking_is_replayed_as_stored_now(
    alice, rec, settings, monkeypatch
):
    _layer_use(settings)
    _, question_id, answer_id = await _turn_stored(alice, rec)

    async def ended_meanwhile(*, session_id: str, answer_id: int) -> bool:
        await ChatMessage.objects.filter(pk=answer_id).aupdate(content="Весь ответ", tokens=12)
        return False

    monkeypatch.setattr("chat.connection.running_elsewhere", ended_meanwhile)
    tab = ChatClient(rec_path(alice, rec, after=question_id))
    system = await tab.connect()
    assert system["last_message_id"] == answer_id
    assert (await tab.receive())["content"] == "Весь ответ"
    await tab.close()


async def test_only_a_young_checkpoint_may_be_streamed_elsewhere(alice, rec, settings):
    settings.CHAT_ANSWER_DEADLINE_S = 90.0
    young = await _turn_stored(alice, rec)
    old = await _turn_stored(alice, rec, age_s=90 + owners.ASK_AGE_MARGIN_S + 5)
    final = await _turn_stored(alice, rec, content="Ответ" + RESTART_MARKER)
    await ChatMessage.objects.filter(pk=final[2]).aupdate(tokens=40)
    rows = {m.pk: m async for m in ChatMessage.objects.all()}
    assert owners.may_run_elsewhere(rows[young[2]])
    # Older than any answer runs, stored with its tokens (a drained answer's final row),
    # a question.
    assert not owners.may_run_elsewhere(rows[old[2]])
    assert not owners.may_run_elsewhere(rows[final[2]])
    assert not owners.may_run_elsewhere(rows[young[1]])


async def test_one_process_asks_no_one(alice, rec, settings):
    _layer_use(settings, "chat.layers.ChatInMemoryChannelLayer")
    session_id, _, answer_id = await _turn_stored(alice, rec)
    started = time.monotonic()
    assert not await owners.running_elsewhere(session_id=session_id, answer_id=answer_id)
    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize(
    "backend",
    [SHARED_LAYER, pytest.param("chat.layers.ChatRedisChannelLayer", marks=pytest.mark.redis)],
)
async def test_the_answers_process_says_it_runs_it_and_sends_its_deltas_to_the_asker(
    alice, rec, fake_llm, settings, backend
):
    _layer_use(settings, backend)
    layer = get_channel_layer()
    fake_llm.enqueue(Reply.answer("слово " * 60, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    session_id = system["session_id"]
    await client.ask("Расскажи подробно")
    answer_id = (await client.until("assistant_delta"))[-1]["message_id"]
    # Its tab is gone: no socket here hears another process's presence.
    await client.close()
    assert session_id not in SESSIONS.remote
    watcher = await layer.new_channel()
    await layer.group_add(group_name(session_id), watcher)

    assert await owners.running_elsewhere(session_id=session_id, answer_id=answer_id)
    assert SESSIONS.remote[session_id]
    heard = await asyncio.wait_for(layer.receive(watcher), timeout=5)
    assert heard["frame"]["type"] == "assistant_delta"
    # Another answer's id is not this one.
    assert not await owners.running_elsewhere(session_id=session_id, answer_id=answer_id + 1)

    await answers_settled()
    await asyncio.sleep(0.05)
    assert session_id not in SESSIONS.remote
    assert not await owners.running_elsewhere(session_id=session_id, answer_id=answer_id)
    await layer.group_discard(group_name(session_id), watcher)


async def test_a_stop_from_another_process_reaches_an_answer_no_socket_here_hears(
    alice, rec, fake_llm, settings
):
    _layer_use(settings)
    layer = get_channel_layer()
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Расскажи подробно")
    answer_id = (await client.until("assistant_delta"))[-1]["message_id"]
    session_id = (await ChatMessage.objects.aget(pk=answer_id)).session_id
    # Its tab went to another worker, and pressed Stop there.
    await client.close()
    started = time.monotonic()
    stop = {"type": owners.EVENT_STOP, "origin": "worker-b"}
    await layer.group_send(owners.owner_group(session_id), stop)
    await answers_settled(timeout=3)
    assert time.monotonic() - started < 2
    assert (await ChatMessage.objects.aget(pk=answer_id)).content.endswith(STOPPED_MARKER)
