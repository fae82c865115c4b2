"""What answers a connection no chat route matches: `/`, `/v1/chat/ws/` (a trailing slash),
`/v1/chat/rec/abc`, and any scope that is not a WebSocket.

Channels' URLRouter raises ValueError("No route found") for such a path, which daphne turned
into an HTTP 500 and a logged traceback for every scanner's handshake, no credentials needed.
This application, routed last, accepts the handshake and closes it at once with 4404 and a
reason, as the chat routes close a refused connection, so a client can tell a wrong URL from
a broken server. It reads nothing and holds nothing: a flood of them costs a log line each.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chat import texts
from ops.errors import error_body

logger = logging.getLogger(__name__)

CLOSE_UNKNOWN_ENDPOINT = 4404
REASON_UNKNOWN_ENDPOINT = "Unknown chat endpoint"
HTTP_NOT_FOUND_MESSAGE = texts.HTTP_NOT_FOUND_TEXT
# Enough of the path to recognise it in a log line; the query string (tokens) is never logged.
LOGGED_PATH_CHARS = 200

Receive = Any
Send = Any


async def unrouted_app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """An ASGI application for any scope type: WebSocket 4404, HTTP 404, lifespan no-op."""
    kind = scope.get("type")
    if kind == "websocket":
        await _websocket_refuse(scope, receive, send)
    elif kind == "http":
        await _http_not_found(scope, send)
    elif kind == "lifespan":
        await _lifespan(receive, send)
    else:
        logger.warning("connection of unknown scope type %r ignored", str(kind)[:40])


async def _websocket_refuse(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    path = str(scope.get("path", ""))[:LOGGED_PATH_CHARS]
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            logger.info("chat socket to an unknown path refused", extra={"path": path})
            await send({"type": "websocket.accept"})
            await send(
                {
                    "type": "websocket.close",
                    "code": CLOSE_UNKNOWN_ENDPOINT,
                    "reason": REASON_UNKNOWN_ENDPOINT,
                }
            )
        elif message["type"] == "websocket.disconnect":
            # Waiting for the client's side of the close, as every chat consumer does.
            return


async def _http_not_found(scope: dict[str, Any], send: Send) -> None:
    body = json.dumps(error_body(HTTP_NOT_FOUND_MESSAGE, "not_found"), ensure_ascii=False)
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
