"""Which process streams a session's answer, for a tab that comes back on another one.

With several workers (the Redis layer) a tab whose socket dropped mid-answer may reconnect to
a worker that is not streaming the answer. The answer's row holds its last checkpoint, marked
interrupted (chat.turns.Checkpoints), which is what a worker killed mid-answer leaves behind;
replayed as stored, it would end the answer in the tab before the answer's final frame. So:

  listen  while an answer runs, a listener of its process sits in the session's owner group
          and answers every `ask` with the answer's id. The asking process holds a socket of
          the session now: the answer's deltas go to the session's group too (chat.fanout).
  ask     a replay whose newest row may be such a checkpoint asks that group. A reply within
          ASK_TIMEOUT_S: the answer runs, so the replay leaves its row out and says `typing`,
          and the socket gets the rest live, as on the answer's own worker. No reply: its
          worker is gone (or it has ended), and the row is replayed as it is stored.
  stop    a `stop` reaches the answer's process through the same group, also when no socket
          of the session is left there to hear it in the session's group.

A killed worker's listener dies with it, so its answers read as interrupted at once, with no
key to expire. The socket's frames from the session's group wait while it is being replayed
(a consumer handles one message at a time), so nothing live goes out before the replay. On
the in-memory layer there is one process: its running answers (chat.running) are all there
are, and nothing is asked.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from chat.fanout import SESSIONS
from chat.layers import PROCESS_ID
from chat.running import ANSWERS
from chat.texts import RESTART_MARKER
from infrazen.clock import utc_now
from infrazen.models import ChatMessage

logger = logging.getLogger(__name__)

# How long a replay waits for the answer's process to say it runs it. A killed worker's
# answer is replayed as interrupted after this long.
ASK_TIMEOUT_S = 0.5
# An answer ends within CHAT_ANSWER_DEADLINE_S of its question; a checkpoint older than that
# and this margin is an interrupted answer for sure, and nobody is asked.
ASK_AGE_MARGIN_S = 60.0

EVENT_ASK = "chat.owner_ask"
EVENT_HERE = "chat.owner_here"
EVENT_STOP = "chat.stop"
# To the listener itself, from its own process, when its answer ends.
EVENT_DONE = "chat.owner_done"


def owner_group(session_id: str) -> str:
    return f"chat.{session_id}.owner"


def _shared(layer: Any) -> bool:
    return bool(getattr(layer, "shared", False))


# --- the answer's process -------------------------------------------------------------------
def answer_listen(*, session_id: str, answer_id: int, answer: asyncio.Task) -> None:
    """Answer other processes' asks about the session while `answer` runs."""
    layer = get_channel_layer()
    if not _shared(layer):
        return
    listening: dict[str, str] = {}
    listener = asyncio.create_task(
        _listen(layer, session_id=session_id, answer_id=answer_id, listening=listening)
    )
    answer.add_done_callback(lambda _: _listener_end(layer, listener, listening))


def _listener_end(layer: Any, listener: asyncio.Task, listening: dict[str, str]) -> None:
    """End the listener: told through its own channel once it receives on it, so it is never
    cancelled inside the Redis layer's receive (which shares one lock with every socket of
    the process and, cancelled there, could keep the listener pending for good)."""
    channel = listening.get("channel")
    if channel is None:
        listener.cancel()
    else:
        layer.local_deliver(channel, {"type": EVENT_DONE})


async def _listen(
    layer: Any, *, session_id: str, answer_id: int, listening: dict[str, str]
) -> None:
    channel = await layer.new_channel()
    group = owner_group(session_id)
    try:
        await layer.group_join(group, channel)
        listening["channel"] = channel
        while True:
            event = await layer.receive(channel)
            if event.get("type") == EVENT_DONE:
                return
            if event.get("type") == EVENT_STOP:
                # The session's sockets here heard it themselves (chat.consumers).
                if event.get("origin") != PROCESS_ID and session_id not in SESSIONS.local:
                    ANSWERS.stop(session_id)
            elif event.get("type") == EVENT_ASK and event.get("reply_to"):
                if event.get("origin"):
                    SESSIONS.listener_add(session_id, event["origin"])
                reply = {"type": EVENT_HERE, "answer_id": answer_id}
                await layer.reply(event["reply_to"], reply)
    finally:
        SESSIONS.listeners_forget(session_id)
        await layer.group_leave(group, channel)


def answer_stop_elsewhere(session_id: str) -> None:
    """A stop for the session's answer, to its process even when no socket there hears it
    (the tab that asked has reconnected to another process)."""
    layer = get_channel_layer()
    if _shared(layer):
        layer.publish(owner_group(session_id), {"type": EVENT_STOP})


# --- a replay in another process ------------------------------------------------------------
def may_run_elsewhere(message: ChatMessage) -> bool:
    """A row an answer may still be streaming: an answer's checkpoint (marked interrupted,
    without the tokens its final write stores), young enough for the answer to run."""
    if message.role != ChatMessage.ROLE_ASSISTANT or message.tokens is not None:
        return False
    if not message.content.endswith(RESTART_MARKER.strip()) or message.created_at is None:
        return False
    age = timedelta(seconds=settings.CHAT_ANSWER_DEADLINE_S + ASK_AGE_MARGIN_S)
    return utc_now() - message.created_at <= age


async def running_elsewhere(*, session_id: str, answer_id: int) -> bool:
    """Does another process run the answer `answer_id`? Asks its owner group and waits up to
    ASK_TIMEOUT_S for the reply."""
    layer = get_channel_layer()
    if not _shared(layer):
        return False
    channel = await layer.new_channel()
    layer.publish(owner_group(session_id), {"type": EVENT_ASK, "reply_to": channel})
    try:
        async with asyncio.timeout(ASK_TIMEOUT_S):
            while True:
                reply = await layer.receive(channel)
                if reply.get("type") == EVENT_HERE and reply.get("answer_id") == answer_id:
                    return True
    except TimeoutError:
        logger.info(
            "chat answer checkpoint: no process runs it",
            extra={"session_id": session_id, "message_id": answer_id},
        )
        return False
