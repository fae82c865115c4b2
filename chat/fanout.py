"""A session's sockets: every frame of a session reaches all of them, this process's
directly and other processes' through the channel layer (chat.layers).

Frames reach this process's sockets by a direct call: a streamed answer is tens of frames a
second per socket, and the channel layer's per-message dispatch was the largest cost of
streaming. The session's group still carries frames to the sockets of other processes
(Redis layer); each process skips its own frames coming back that way.

Which other processes hold a socket of a session is learnt from presence events: a process
says so in the session's group when its first socket of the session opens and when its last
one closes; the processes already there answer the first. Deltas go to the group only while
some other process is known: they were most of what each answer published, and a session's
tabs are almost always in one process. Every other frame (the question, typing, tool events,
the final answer with the whole text, errors) always goes, so a tab whose process is not
known yet loses at most some deltas, as a tab opened mid-answer always did.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from channels.layers import get_channel_layer

from chat.layers import PROCESS_ID, skippable
from core import metrics

logger = logging.getLogger(__name__)


def group_name(session_id: str) -> str:
    return f"chat.{session_id}"


class Socket(Protocol):
    channel_name: str

    async def deliver(self, frame: dict[str, Any]) -> None: ...


class SessionSockets:
    def __init__(self) -> None:
        # This process's sockets per session. Changed on the event loop only.
        self.local: dict[str, set[Socket]] = {}
        # Session id → the other processes known to hold a socket of it (Redis layer only).
        self.remote: dict[str, set[str]] = {}

    def count(self) -> int:
        """The chat sockets open in this process: accepted, authenticated, serving a
        session. Read it on the event loop."""
        return sum(len(sockets) for sockets in self.local.values())

    async def join(self, *, session_id: str, socket: Socket) -> None:
        await get_channel_layer().group_join(group_name(session_id), socket.channel_name)
        sockets = self.local.setdefault(session_id, set())
        if socket not in sockets:
            metrics.websockets_open.inc()
        sockets.add(socket)
        if len(sockets) == 1:
            self._presence_say(session_id, present=True, ask=True)

    async def leave(self, *, session_id: str, socket: Socket) -> bool:
        """Returns True when it was the session's last socket in this process."""
        sockets = self.local.get(session_id, set())
        if socket in sockets:
            metrics.websockets_open.dec()
        sockets.discard(socket)
        last = not sockets
        if last:
            self.local.pop(session_id, None)
            # Presence news is heard through local sockets only, so the set would go
            # stale: an answer still running here sends other processes' tabs its frames
            # but no more deltas (the final frame has the whole text).
            self.remote.pop(session_id, None)
            self._presence_say(session_id, present=False)
        await get_channel_layer().group_leave(group_name(session_id), socket.channel_name)
        return last

    async def broadcast(
        self, session_id: str, frame: dict[str, Any], *, skip_channel: str | None = None
    ) -> None:
        """Every socket of the session: this process's directly, the others' via the group."""
        for socket in list(self.local.get(session_id, ())):
            if socket.channel_name != skip_channel:
                await socket.deliver(frame)
        event = {"type": "chat.frame", "frame": frame, "skip": skip_channel}
        if not skippable(event) or self.remote.get(session_id):
            get_channel_layer().publish(group_name(session_id), event)

    def to_other_processes(self, session_id: str, event: dict[str, Any]) -> None:
        get_channel_layer().publish(group_name(session_id), event)

    # --- what other processes send ----------------------------------------------------------
    @staticmethod
    def own(event: dict[str, Any]) -> bool:
        """An event this process sent, back through the group (or one without a sender)."""
        return event.get("origin") in (None, PROCESS_ID)

    async def frame_heard(self, *, socket: Socket, event: dict[str, Any]) -> None:
        """A frame from another process's answer (this process's came directly)."""
        if event.get("origin") == PROCESS_ID or event.get("skip") == socket.channel_name:
            return
        await socket.deliver(event["frame"])

    def presence_heard(self, *, session_id: str, socket: Socket, event: dict[str, Any]) -> None:
        """Another process opened its first socket of this session, or closed its last."""
        sockets = self.local.get(session_id)
        if self.own(event) or not sockets:
            return
        known = self.remote.setdefault(session_id, set())
        if event.get("present"):
            known.add(event["origin"])
        else:
            known.discard(event["origin"])
        # Every local socket of the session gets the event: one of them answers.
        if event.get("ask") and socket is next(iter(sockets)):
            self._presence_say(session_id, present=True)

    def listener_add(self, session_id: str, origin: str) -> None:
        """Another process asked for the answer running here (chat.owners): it holds a
        socket of the session, though no socket here heard its presence."""
        self.remote.setdefault(session_id, set()).add(origin)

    def listeners_forget(self, session_id: str) -> None:
        """The answer running here has ended: without a socket here to hear presence news,
        the set would go stale (as in `leave`)."""
        if session_id not in self.local:
            self.remote.pop(session_id, None)

    def _presence_say(self, session_id: str, *, present: bool, ask: bool = False) -> None:
        """Tell the session's other processes that this one holds a socket of it (or no
        longer does); `ask`: those holding one answer, so this process knows them too."""
        self.to_other_processes(
            session_id, {"type": "chat.presence", "present": present, "ask": ask}
        )


SESSIONS = SessionSockets()
