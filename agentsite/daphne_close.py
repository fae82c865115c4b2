"""daphne drops the `reason` of an ASGI `websocket.close` (django/daphne#374, open since 2021).

Channels sends it (`close(code=4401, reason="Token expired")`), the ASGI spec has had the
field since 2.3, and autobahn, which daphne speaks WebSocket through, puts it in the close
frame when asked. daphne 4.2 passes the code only, so a browser saw `4401` and an empty
`CloseEvent.reason`. Installed by agentsite.asgi; under another server it does nothing.
"""

from __future__ import annotations

from typing import Any


def daphne_close_reason_install() -> None:
    """Make daphne's WebSocket protocol send the close reason the application gave."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    original = WebSocketProtocol.handle_reply
    if getattr(original, "passes_close_reason", False):
        return

    def handle_reply(self: Any, message: dict[str, Any]) -> None:
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

    handle_reply.passes_close_reason = True
    WebSocketProtocol.handle_reply = handle_reply
