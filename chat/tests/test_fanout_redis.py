"""A session's tabs in several processes: frames, presence and stop through the Redis layer
(chat.fanout, chat.layers)."""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer
from redis.exceptions import TimeoutError as RedisTimeoutError

from chat.layers import ChatRedisChannelLayer, RedisFanOut
from chat.tests.socket_helpers import ANSWER, rec_path, stored_async
from chat.tests.wsclient import ChatClient, answers_settled, types
from infrazen.models import ChatSession
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_layer_use(
    settings, *, backend: str = "chat.layers.ChatRedisChannelLayer", host=None
) -> None:
    """The test Redis as the channel layer, through `backend` (a variant of the real one)."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": backend, "CONFIG": {"hosts": [host or settings.REDIS_URL]}}
    }


@pytest.mark.redis
async def test_two_tabs_share_the_stream_through_redis(alice, rec, fake_llm, settings):
    _redis_layer_use(settings)
    fake_llm.enqueue(Reply.answer(ANSWER))
    first, second = ChatClient(rec_path(alice, rec)), ChatClient(rec_path(alice, rec))
    await first.connect()
    await second.connect()
    await first.ask("Вопрос")
    got_second = await second.until("assistant")
    assert (await first.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    assert got_second[0]["content"] == "Вопрос" and got_second[-1]["content"] == ANSWER
    # Stop from the second tab reaches the answer through the group as well.
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    await first.ask("Длинный ответ")
    await second.until("assistant_delta")
    await second.send({"type": "stop"})
    assert (await first.until("assistant"))[-1]["status"] == "stopped"
    await answers_settled()
    await second.until("assistant")

    # A frame of an answer running in another process arrives through the Redis group;
    # this process's own frames, which it delivered directly, are not delivered twice.
    from channels.layers import get_channel_layer

    from chat.fanout import group_name
    from chat.layers import PROCESS_ID

    layer = get_channel_layer()
    group = group_name((await ChatSession.objects.aget()).pk)
    frame = {"type": "assistant_delta", "message_id": 1, "content": "из другого процесса"}
    await layer.group_send(group, {"type": "chat.frame", "frame": frame, "origin": PROCESS_ID})
    assert await first.nothing(0.3)
    await layer.group_send(group, {"type": "chat.frame", "frame": frame, "origin": "other"})
    assert await first.receive() == frame and await second.receive() == frame
    await first.close()
    await second.close()


async def _published(layer, channel: str, *, quiet_s: float = 0.3) -> list[dict]:
    """What a watcher in the session's group got until it was quiet for `quiet_s`."""
    events = []
    while True:
        try:
            async with asyncio.timeout(quiet_s):
                events.append(await layer.receive(channel))
        except TimeoutError:
            return events


def _frame_types(events: list[dict]) -> list[str]:
    return [event["frame"]["type"] for event in events if event["type"] == "chat.frame"]


@pytest.mark.redis
async def test_deltas_go_to_redis_only_while_another_process_holds_a_socket(
    alice, rec, fake_llm, settings
):
    from channels.layers import get_channel_layer

    from chat.fanout import SESSIONS, group_name
    from chat.layers import PROCESS_ID

    _redis_layer_use(settings)
    layer = get_channel_layer()
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    group = group_name(system["session_id"])
    # A watcher standing in for another process's socket, silent for now.
    watcher = await layer.new_channel()
    await layer.group_add(group, watcher)

    # Alone: the answer's frames go to the group, but not its deltas.
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert "assistant_delta" in types(got)
    alone = _frame_types(await _published(layer, watcher))
    assert alone == ["user", "typing", "assistant"]

    # Another process says it holds a socket: this one answers, and now sends deltas too.
    await layer.group_send(
        group, {"type": "chat.presence", "present": True, "ask": True, "origin": "other"}
    )
    said = [event for event in await _published(layer, watcher) if event["origin"] == PROCESS_ID]
    assert [(event["type"], event["present"], event["ask"]) for event in said] == [
        ("chat.presence", True, False)
    ]
    assert SESSIONS.remote[system["session_id"]] == {"other"}
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Ещё вопрос")
    got = await client.until("assistant")
    await answers_settled()
    shared = _frame_types(await _published(layer, watcher))
    assert shared.count("assistant_delta") == types(got).count("assistant_delta") > 0

    # Its last socket closed: deltas stay here again.
    await layer.group_send(group, {"type": "chat.presence", "present": False, "origin": "other"})
    await _published(layer, watcher)
    fake_llm.enqueue(Reply.answer("слово " * 30, tokens_per_s=200))
    await client.ask("Третий вопрос")
    await client.until("assistant")
    await answers_settled()
    assert "assistant_delta" not in _frame_types(await _published(layer, watcher))

    # This process's last socket closing says so to the others.
    await client.close()
    gone = await _published(layer, watcher)
    assert [(event["type"], event["present"]) for event in gone] == [("chat.presence", False)]
    assert system["session_id"] not in SESSIONS.remote


class GatedRedisLayer(ChatRedisChannelLayer):
    """The real Redis layer, whose group_send waits while `closed` (a slow Redis)."""

    gate: asyncio.Event | None = None

    async def group_send(self, group, message):
        if GatedRedisLayer.gate is not None:
            await GatedRedisLayer.gate.wait()
        await super().group_send(group, message)


@pytest.mark.redis
async def test_a_slow_redis_delays_no_local_frame_and_keeps_the_order(
    alice, rec, fake_llm, settings, monkeypatch
):
    from channels.layers import get_channel_layer

    from chat import fanout, layers

    _redis_layer_use(settings, backend=f"{__name__}.GatedRedisLayer")
    monkeypatch.setattr(GatedRedisLayer, "gate", asyncio.Event())
    monkeypatch.setattr(layers, "PUBLISH_BACKLOG_MAX", 3)
    layer = get_channel_layer()
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    session_id = system["session_id"]
    watcher = await layer.new_channel()
    await layer.group_add(fanout.group_name(session_id), watcher)
    fanout.SESSIONS.remote[session_id] = {"other"}  # as if a tab were open in another process

    # Redis hangs: this process's socket gets the whole answer all the same.
    fake_llm.enqueue(Reply.answer("слово " * 60, tokens_per_s=100))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert got[-1]["status"] == "done" and types(got).count("assistant_delta") > 4

    # Redis is back: the other processes get every frame but the deltas past the backlog,
    # in the order they were sent.
    GatedRedisLayer.gate.set()
    published = _frame_types(await _published(layer, watcher))
    # (The asking InfraZen-style socket is not sent its own question; other tabs are.)
    expected = ["user", *(kind for kind in types(got) if kind != "assistant_delta")]
    assert [kind for kind in published if kind != "assistant_delta"] == expected
    assert 0 < published.count("assistant_delta") < types(got).count("assistant_delta")
    assert published.index("assistant") == len(published) - 1
    await client.close()


@pytest.mark.redis
async def test_a_failing_channel_layer_loses_no_question_and_no_answer(
    alice, rec, fake_llm, settings
):
    # A pool of one Redis connection, held by the socket's receive loop: every group
    # operation fails at once with MaxConnectionsError, as 200 sessions did with the
    # default pool of 100 (bench/README.md). The socket is served from this process.
    _redis_layer_use(settings, host={"address": settings.REDIS_URL, "max_connections": 1})
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    await client.send({"type": "message", "content": "Вопрос", "client_id": "c-1"})
    got = await client.until("assistant")
    await answers_settled()

    assert got[0]["type"] == "user" and got[-1]["content"] == ANSWER
    assert got[-1]["status"] == "done"
    session = await ChatSession.objects.aget()
    assert await stored_async(session.pk) == [("user", "Вопрос"), ("assistant", ANSWER)]
    await client.close()


class HungJoinRedisLayer(ChatRedisChannelLayer):
    """The real Redis layer, whose group_add never returns (a Redis that hangs)."""

    async def group_add(self, group, channel):
        await asyncio.Event().wait()


@pytest.mark.redis
async def test_a_hung_redis_delays_a_socket_by_the_call_timeout_only(
    alice, rec, fake_llm, settings, monkeypatch
):
    from chat import layers

    _redis_layer_use(settings, backend=f"{__name__}.HungJoinRedisLayer")
    monkeypatch.setattr(layers, "LAYER_CALL_TIMEOUT_S", 0.2)
    client = ChatClient(rec_path(alice, rec))
    async with asyncio.timeout(3):
        system = await client.connect()
    assert system["type"] == "system"
    fake_llm.enqueue(Reply.answer(ANSWER))
    await client.ask("Вопрос")
    assert (await client.until("assistant"))[-1]["content"] == ANSWER
    await answers_settled()
    await client.close()


class FlakyReceiveRedisLayer(RedisChannelLayer):
    """The real Redis layer, whose receive first fails `failures` times as a read timing out."""

    failures = 0
    calls = 0

    async def receive(self, channel):
        FlakyReceiveRedisLayer.calls += 1
        if FlakyReceiveRedisLayer.failures > 0:
            FlakyReceiveRedisLayer.failures -= 1
            raise RedisTimeoutError("Timeout reading from 127.0.0.1:6379")
        return await super().receive(channel)


class FlakyReceiveChatLayer(RedisFanOut, FlakyReceiveRedisLayer):
    """The chat's Redis layer over one whose reads fail."""


@pytest.mark.redis
async def test_a_failing_layer_receive_keeps_the_socket_and_the_frames_of_other_processes(
    alice, rec, fake_llm, settings, monkeypatch
):
    from channels.layers import get_channel_layer

    from chat import fanout, layers

    # The project's own Redis settings: a read outwaits channels_redis' blocking receive,
    # which redis-py 8's default socket timeout (5 s, the same) cut short under load.
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
    _redis_layer_use(settings, backend=f"{__name__}.FlakyReceiveChatLayer", host=host)
    monkeypatch.setattr(layers, "LAYER_RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(FlakyReceiveRedisLayer, "failures", 3)
    monkeypatch.setattr(FlakyReceiveRedisLayer, "calls", 0)
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    async with asyncio.timeout(5):
        while FlakyReceiveRedisLayer.calls < 4:
            await asyncio.sleep(0.01)

    # The socket outlived three failed receives: a frame from another process still arrives,
    frame = {"type": "assistant_delta", "message_id": 1, "content": "из другого процесса"}
    group = fanout.group_name(system["session_id"])
    await get_channel_layer().group_send(
        group, {"type": "chat.frame", "frame": frame, "origin": "other"}
    )
    assert await client.receive() == frame
    # and its own questions are answered and stored.
    fake_llm.enqueue(Reply.answer(ANSWER))
    await client.ask("Вопрос")
    got = await client.until("assistant")
    await answers_settled()
    assert got[-1]["content"] == ANSWER and got[-1]["status"] == "done"
    assert await stored_async(system["session_id"]) == [("user", "Вопрос"), ("assistant", ANSWER)]
    await client.close()
