"""Two fixes to how daphne closes a WebSocket, so a client always learns why it was closed.

1. daphne drops the `reason` of an ASGI `websocket.close` (django/daphne#374, open since
   2021). Channels sends it (`close(code=4401, reason="Token expired")`), the ASGI spec has
   had the field since 2.3, and autobahn, which daphne speaks WebSocket through, puts it in
   the close frame when asked. daphne 4.2 passes the code only, so a browser saw `4401` and
   an empty `CloseEvent.reason`.
2. The close handshake could be cut before the client read the close frame. After sending
   its close frame, autobahn waits `closeHandshakeTimeout` (1 s by default) for the client's
   reply and then aborts the TCP connection (an RST). It schedules that wait on txaio's
   batched timer, whose `call_later` rounds `now + delay` *down to a whole second*
   (txaio 26.6, `_BatchedTimer.call_later`): a 1 s wait started at 49.998 fires at 50.000.
   About one refused socket in 30 was reset 2-5 ms after its close frame left; a browser
   whose reply was still on its way reported 1006 with no code (seen with tcpdump: close
   frame, then RST, and the client's reply never sent). Waiting `CLOSE_HANDSHAKE_TIMEOUT_S`
   makes the real wait at least that less one second.

Installed by agentsite.asgi; under another server it does nothing.
"""

from __future__ import annotations

from typing import Any

from ops.daphne import method_wrap

# The rounding takes up to one second off; a client has at least 4 s to answer a close.
CLOSE_HANDSHAKE_TIMEOUT_S = 5


def daphne_close_install() -> None:
    """Make daphne send the close reason and wait for the client's answer to a close."""
    try:
        from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
    except ImportError:
        return
    _close_reason_install(WebSocketProtocol)
    _close_handshake_timeout_install(WebSocketFactory)


def _close_reason_install(protocol_class: Any) -> None:
    method_wrap(protocol_class, "handle_reply", _handle_reply)


def _handle_reply(original: Any, self: Any, message: dict[str, Any]) -> None:
    reason = message.get("reason")
    if (
        message.get("type") == "websocket.close"
        and isinstance(reason, str)
        and reason
        and self.state != self.STATE_CONNECTING
    ):
        # autobahn validates the code and cuts the reason to the frame's 123 bytes.
        self.sendClose(code=message.get("code") or 1000, reason=reason)
        return
    original(self, message)


def _close_handshake_timeout_install(factory_class: Any) -> None:
    method_wrap(factory_class, "__init__", _factory_init)


def _factory_init(original: Any, self: Any, *args: Any, **kwargs: Any) -> None:
    original(self, *args, **kwargs)
    # daphne's own setProtocolOptions call (Server.run) leaves this option alone.
    self.setProtocolOptions(closeHandshakeTimeout=CLOSE_HANDSHAKE_TIMEOUT_S)
