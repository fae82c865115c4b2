"""A WebSocket flood stopped in daphne's protocol, before a frame costs the application.

The chat's own limits (chat.limits) see a frame only after daphne has queued it for the
consumer, and daphne's queue has no bound: a client sending `history` frames as fast as it
could made the worker spend three quarters of its time parsing frames the consumer would
refuse, grew the queue by hundreds of MB, and slowed every other user's answers 3–12×
(bench/replay_flood.py). Here each connection gets a token bucket far looser than the chat's
(WS_PROTOCOL_FRAMES_PER_S, burst WS_PROTOCOL_FRAMES_BURST): a person never meets it. A frame
past it is dropped before it is queued; a connection that keeps sending past it
(WS_PROTOCOL_FLOOD_DROPS dropped within 10 s) is closed with 4429 "Too many frames", and
whatever it still sends is ignored.

Installed by agentsite.asgi; does nothing (with a warning) if daphne's protocol has changed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from ops.token_bucket import TokenBucket

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_FRAMES = 4429
REASON_TOO_MANY_FRAMES = "Too many frames"
FLOOD_WINDOW_S = 10.0


class _FloodGuard:
    def __init__(self, now: float) -> None:
        self.frames = TokenBucket(
            capacity=settings.WS_PROTOCOL_FRAMES_BURST,
            per_s=settings.WS_PROTOCOL_FRAMES_PER_S,
            now=now,
        )
        drops = settings.WS_PROTOCOL_FLOOD_DROPS
        self.drops = TokenBucket(capacity=drops, per_s=drops / FLOOD_WINDOW_S, now=now)
        self.dropped = 0
        self.closed = False

    def admit(self, now: float) -> bool | None:
        """True: pass the frame on; False: drop it; None: drop it and close the socket."""
        if self.closed:
            return False
        if self.frames.take(now):
            return True
        self.dropped += 1
        if self.drops.take(now):
            return False
        self.closed = True
        return None


def daphne_flood_install() -> bool:
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return False
    if not callable(getattr(WebSocketProtocol, "onMessage", None)):
        logger.warning("daphne's WebSocketProtocol has no onMessage: flood guard not installed")
        return False
    if getattr(WebSocketProtocol, "_flood_guarded", False):
        return True
    original = WebSocketProtocol.onMessage

    def onMessage(self: Any, payload: bytes, isBinary: bool) -> None:
        now = time.monotonic()
        guard = self.__dict__.get("_flood_guard")
        if guard is None:
            guard = self.__dict__["_flood_guard"] = _FloodGuard(now)
        verdict = guard.admit(now)
        if verdict:
            original(self, payload, isBinary)
        elif verdict is None:
            logger.warning(
                "websocket closed for flooding",
                extra={"remote_addr": getattr(self, "client_addr", None), "dropped": guard.dropped},
            )
            self.sendClose(code=CLOSE_TOO_MANY_FRAMES, reason=REASON_TOO_MANY_FRAMES)

    WebSocketProtocol.onMessage = onMessage
    WebSocketProtocol._flood_guarded = True
    return True
