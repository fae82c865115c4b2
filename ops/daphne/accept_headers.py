"""Response headers on a WebSocket handshake: daphne drops the `headers` of an ASGI
`websocket.accept` (the spec has had them since ASGI 2.1; Channels sends them).

autobahn, which daphne speaks WebSocket through, takes `(subprotocol, headers)` as the answer
of its onConnect; daphne answers the subprotocol only. The chat uses them for the demo
visitor's cookie (chat.visitors).
"""

from __future__ import annotations

from typing import Any

from ops.daphne import method_wrap


def _handle_reply(original: Any, self: Any, message: dict[str, Any]) -> None:
    headers = message.get("headers")
    if (
        message.get("type") == "websocket.accept"
        and headers
        and self.state == self.STATE_CONNECTING
    ):
        decoded: dict[str, str] = {}
        for name, value in headers:
            decoded[bytes(name).decode("latin-1")] = bytes(value).decode("latin-1")
        self.handshake_deferred.callback((message.get("subprotocol"), decoded))
        del self.handshake_deferred
        return
    original(self, message)


def daphne_accept_headers_install() -> None:
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    method_wrap(WebSocketProtocol, "handle_reply", _handle_reply)
