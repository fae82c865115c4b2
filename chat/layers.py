"""The chat's channel layers (CHANNEL_LAYERS picks one): Channels' own two, with what the
chat needs of a layer that only reaches sockets in other processes.

  publish      an event to a group, in the background and in order, tagged with this
               process's id (each process skips its own events coming back)
  group_join   group_add / group_discard that never fail a socket
  group_leave
  receive      (Redis) kept alive through read errors
  reply        (Redis) an event to one channel, at once
  local_deliver (Redis) an event to a channel of this process, without Redis
  shared       whether other processes share the layer (False for the in-memory one)

This process's own sockets get their frames directly (chat.fanout), so the layer only ever
carries frames to other processes. When Redis fails (unreachable, its connection pool
exhausted under load, a read timing out) this process's sockets are served all the same: a
question is answered and stored, never dropped with a 1011.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PROCESS_ID = uuid.uuid4().hex

# Past PUBLISH_BACKLOG_MAX events waiting for a group (Redis slow or down), new deltas are
# dropped; every other frame still waits its turn.
PUBLISH_BACKLOG_MAX = 500
# Frames a tab can do without: the final `assistant` frame repeats their text.
SKIPPABLE_ALONE = frozenset({"assistant_delta"})
# A failing receive is tried again after this pause, doubled up to the maximum.
LAYER_RETRY_FIRST_S = 0.1
LAYER_RETRY_MAX_S = 5.0
# A group operation (join, leave, publish) waits at most this long for Redis.
LAYER_CALL_TIMEOUT_S = 5.0


def skippable(event: dict[str, Any]) -> bool:
    return event.get("frame", {}).get("type") in SKIPPABLE_ALONE


class ChatInMemoryChannelLayer(InMemoryChannelLayer):
    """The embedded default: one process, so there is no one to publish to."""

    # The answers running in this process are all there are (chat.owners asks no one).
    shared = False

    def publish(self, group: str, event: dict[str, Any]) -> None:
        return None

    async def group_join(self, group: str, channel: str) -> None:
        await self.group_add(group, channel)

    async def group_leave(self, group: str, channel: str) -> None:
        await self.group_discard(group, channel)


class RedisFanOut:
    """What the chat adds to a Redis channel layer (a mixin, so a test can put a Redis
    layer that misbehaves underneath)."""

    # Other processes may run a session's answer (chat.owners asks them).
    shared = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # group → the events waiting to be published to it, oldest first; one task per
        # group publishes them (_publish_waiting).
        self._publishing: dict[str, deque[dict[str, Any]]] = {}
        self._publish_tasks: set[asyncio.Task] = set()

    def publish(self, group: str, event: dict[str, Any]) -> None:
        """Published in the background, in order: a Redis round trip is not worth a
        millisecond of this process's own sockets (the question and `typing` go before the
        model call)."""
        waiting = self._publishing.get(group)
        if waiting is None:
            self._publishing[group] = deque([event])
            task = asyncio.create_task(self._publish_waiting(group))
            self._publish_tasks.add(task)
            task.add_done_callback(self._publish_tasks.discard)
        elif len(waiting) < PUBLISH_BACKLOG_MAX or not skippable(event):
            waiting.append(event)

    async def _publish_waiting(self, group: str) -> None:
        waiting = self._publishing[group]
        try:
            while waiting:
                event = {**waiting.popleft(), "origin": PROCESS_ID}
                await self._guarded("group_send", group, self.group_send(group, event))
        finally:
            del self._publishing[group]

    async def group_join(self, group: str, channel: str) -> None:
        await self._guarded("group_add", group, self.group_add(group, channel))

    async def group_leave(self, group: str, channel: str) -> None:
        await self._guarded("group_discard", group, self.group_discard(group, channel))

    async def reply(self, channel: str, event: dict[str, Any]) -> None:
        """An event to one channel, at once (an answer to what that channel asked)."""
        await self._guarded("send", channel, self.send(channel, {**event, "origin": PROCESS_ID}))

    def local_deliver(self, channel: str, event: dict[str, Any]) -> None:
        """`event` to this process's receiver of `channel` (one of this process's channels),
        without Redis: straight into the receive buffer the layer's receive reads."""
        self.receive_buffer[channel].put_nowait(event)

    async def _guarded(self, operation: str, group: str, call: Any) -> None:
        """A Redis that hangs is given up on after LAYER_CALL_TIMEOUT_S, well before the
        reads' own timeout, which must outwait the layer's blocking receive."""
        try:
            async with asyncio.timeout(LAYER_CALL_TIMEOUT_S):
                await call
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning(
                "chat channel layer %s failed: %s",
                operation,
                type(exc).__name__,
                extra={"group": group},
            )

    async def receive(self, channel: str) -> dict[str, Any]:
        """Channels ends a socket with 1011 on any error of its layer receive: a Redis read
        timing out once closed a socket mid-conversation (the chat capacity benchmark,
        session 8). Here the receive is tried again after a growing pause, while this
        process's own frames still reach the socket directly; only what other processes
        send meanwhile is missed."""
        pause = LAYER_RETRY_FIRST_S
        while True:
            try:
                return await super().receive(channel)
            except (RedisError, OSError, TimeoutError) as exc:
                log = logger.warning if pause == LAYER_RETRY_FIRST_S else logger.debug
                log(
                    "chat channel layer receive failed: %s; trying again in %.1f s",
                    type(exc).__name__,
                    pause,
                    extra={"channel": channel},
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, LAYER_RETRY_MAX_S)


class ChatRedisChannelLayer(RedisFanOut, RedisChannelLayer):
    """The layer of several worker processes."""
