"""A WebSocket flood stopped in daphne's protocol, before a frame costs the application.

The chat's own limits (chat.limits) see a frame only after daphne has queued it for the
consumer, and daphne's queue has no bound: a client sending `history` frames as fast as it
could made the worker spend three quarters of its time parsing frames the consumer would
refuse, grew the queue by hundreds of MB, and slowed every other user's answers 3–12×
(bench/replay_flood.py). Here each connection gets a token bucket far looser than the chat's
(WS_PROTOCOL_FRAMES_PER_S, burst WS_PROTOCOL_FRAMES_BURST): a person never meets it. A frame
past it is dropped before it is queued; a connection that keeps sending past it
(WS_PROTOCOL_FLOOD_DROPS dropped within 10 s) is sent a 4429 "Too many frames" close, the
server stops reading from it (a flooder does not wait for the close handshake, and every
frame read is a frame parsed), and its TCP connection is dropped a second later.

The application may still try to send on such a socket (a replay it had started): daphne
then raised autobahn's "Attempt to send on a closed protocol" into the application, which
logged it as an error with a traceback. A send to a socket that is closing or closed is
dropped instead: there is no one to deliver it to.

Installed by agentsite.asgi; does nothing (with a warning) if daphne's protocol has changed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from ops.daphne import method_wrap
from ops.token_bucket import TokenBucket

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_FRAMES = 4429
REASON_TOO_MANY_FRAMES = "Too many frames"
FLOOD_WINDOW_S = 10.0
# After the 4429 close frame, time for it to leave before the connection is dropped.
DROP_AFTER_S = 1.0


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


def _close_and_drop(protocol: Any) -> None:
    from twisted.internet import reactor

    protocol.sendClose(code=CLOSE_TOO_MANY_FRAMES, reason=REASON_TOO_MANY_FRAMES)
    transport = getattr(protocol, "transport", None)
    if transport is not None:
        transport.pauseProducing()
        reactor.callLater(DROP_AFTER_S, transport.abortConnection)


def daphne_flood_install() -> bool:
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return False
    if not callable(getattr(WebSocketProtocol, "onMessage", None)):
        logger.warning("daphne's WebSocketProtocol has no onMessage: flood guard not installed")
        return False
    method_wrap(WebSocketProtocol, "onMessage", _on_message)
    method_wrap(WebSocketProtocol, "handle_reply", _handle_reply)
    return True


def _on_message(original: Any, self: Any, payload: bytes, isBinary: bool) -> None:
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
        _close_and_drop(self)


def _handle_reply(original: Any, self: Any, message: dict[str, Any]) -> None:
    if message.get("type") == "websocket.send" and self.state in (
        self.STATE_CLOSING,
        self.STATE_CLOSED,
    ):
        logger.debug("send to a closed websocket dropped")
        return
    original(self, message)
