"""What daphne's HTTP and WebSocket layers (Twisted, autobahn) do with hostile input, before
our application sees it, made to answer clearly and to cost little.

1. Twisted parses every `multipart/form-data` and urlencoded POST body into `request.args`
   before daphne sees the request (daphne never reads them): a second full parse of every
   upload, and a body with a missing or wrong boundary got an empty `400 Bad Request` from
   Twisted itself, which the client could not tell from a broken server. Off: Django parses
   the body once and answers in the service's error shape.
2. A request line or header block over 16 KiB (a chat token in the query string) got that
   same empty 400 and a dropped connection. The limit is `REQUEST_HEAD_MAX_BYTES` now, so a
   long token reaches the chat, which refuses it with a close code and a reason; past it, and
   for every other request Twisted refuses itself (malformed chunking, too many headers), the
   answer is a JSON body in the service's shape.
3. A body is refused with 413 once it passes `REQUEST_BODY_MAX_BYTES` (declared or streamed):
   daphne spooled any body whole, to memory and then to a temporary file, before the
   application could look at its size.
4. A WebSocket message over autobahn's size limit dropped the TCP connection (`failByDrop`),
   which a browser reports as 1006 with no reason. Now autobahn closes with 1009 and a reason,
   and the limit is `WS_MESSAGE_MAX_BYTES`: the chat refuses frames over 64 KB itself with an
   `error` frame and keeps the socket; only a frame too big to be worth buffering closes it.

Installed by agentsite.asgi; under another server it does nothing. Each patch checks the
Twisted or autobahn attribute it relies on and leaves the server as it is (with a warning)
when an upgrade has removed it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ops.daphne import method_wrap

logger = logging.getLogger(__name__)

REQUEST_HEAD_MAX_BYTES = 64 * 1024
# The largest legitimate body is an upload (CHAT_UPLOAD_MAX_MB, 5 MB by default) with its
# multipart framing; nginx in front has its own, smaller limit.
REQUEST_BODY_MAX_BYTES = 16 * 1024 * 1024
WS_MESSAGE_MAX_BYTES = 256 * 1024

BAD_REQUEST_MESSAGE = "Некорректный HTTP-запрос"
TOO_LARGE_MESSAGE = "Тело запроса слишком большое"


def _response_bytes(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps(
        {"error": message, "code": code, "detail": message}, ensure_ascii=False
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    return head + body


BAD_REQUEST_RESPONSE = _response_bytes(400, "Bad Request", "bad_request", BAD_REQUEST_MESSAGE)
TOO_LARGE_RESPONSE = _response_bytes(413, "Payload Too Large", "too_large", TOO_LARGE_MESSAGE)


def daphne_hardening_install() -> list[str]:
    """Apply the patches; the names of those applied (all three on the pinned daphne)."""
    try:
        from autobahn.twisted.websocket import WebSocketServerFactory
        from daphne.http_protocol import HTTPFactory, WebRequest
        from twisted.web import http
    except ImportError:
        return []
    installed = []
    for name, install in (
        ("request", lambda: _request_install(WebRequest)),
        ("channel", lambda: _channel_install(HTTPFactory, http.HTTPChannel)),
        ("websocket", lambda: _websocket_install(WebSocketServerFactory)),
    ):
        if install():
            installed.append(name)
        else:
            logger.warning("daphne hardening: %s patch not applied (server version changed?)", name)
    return installed


def _request_install(request_class: Any) -> bool:
    if not hasattr(request_class, "gotLength") or not hasattr(request_class, "handleContentChunk"):
        return False
    method_wrap(request_class, "__init__", _request_init)
    method_wrap(request_class, "gotLength", _got_length)
    method_wrap(request_class, "handleContentChunk", _handle_content_chunk)
    return True


def _request_init(original: Any, self: Any, *args: Any, **kwargs: Any) -> None:
    original(self, *args, **kwargs)
    # Read by twisted.web.http.Request.requestReceived: no pre-parse of form bodies.
    self._parsePOSTFormSubmission = False
    self._body_received = 0


def _got_length(original: Any, self: Any, length: int | None) -> None:
    if length is not None and length > REQUEST_BODY_MAX_BYTES:
        _refuse(self.channel, TOO_LARGE_RESPONSE, "declared body too large")
        return
    original(self, length)


def _handle_content_chunk(original: Any, self: Any, data: bytes) -> None:
    self._body_received = getattr(self, "_body_received", 0) + len(data)
    if self._body_received > REQUEST_BODY_MAX_BYTES:
        _refuse(self.channel, TOO_LARGE_RESPONSE, "streamed body too large")
        return
    if getattr(self, "content", None) is not None:
        original(self, data)


def _refuse(channel: Any, response: bytes, why: str) -> None:
    if channel is None or getattr(channel, "_refused", False):
        return
    channel._refused = True
    logger.warning("http request refused by the server: %s", why)
    transport = getattr(channel, "transport", None)
    if transport is not None:
        transport.write(response)
    channel.loseConnection()


def _channel_install(factory_class: Any, channel_class: Any) -> bool:
    if not hasattr(channel_class, "_respondToBadRequestAndDisconnect"):
        return False
    if not getattr(channel_class._respondToBadRequestAndDisconnect, "hardened", False):

        def _respondToBadRequestAndDisconnect(self: Any) -> None:
            _refuse(self, BAD_REQUEST_RESPONSE, "malformed request head or body framing")

        _respondToBadRequestAndDisconnect.hardened = True
        channel_class._respondToBadRequestAndDisconnect = _respondToBadRequestAndDisconnect
        # LineReceiver's default closes the connection without a word.
        channel_class.lineLengthExceeded = lambda self, line: _refuse(
            self, BAD_REQUEST_RESPONSE, "request line or header too long"
        )

    method_wrap(factory_class, "buildProtocol", _build_protocol)
    return True


def _build_protocol(original: Any, self: Any, addr: Any) -> Any:
    protocol = original(self, addr)
    # Twisted wraps the HTTP/1.1 channel in a protocol that may switch to HTTP/2.
    channel = getattr(protocol, "_channel", protocol)
    if channel is not None:
        channel.MAX_LENGTH = REQUEST_HEAD_MAX_BYTES
        channel.totalHeadersSize = REQUEST_HEAD_MAX_BYTES
    return protocol


def _websocket_install(factory_class: Any) -> bool:
    method_wrap(factory_class, "setProtocolOptions", _set_protocol_options)
    return True


def _set_protocol_options(original: Any, self: Any, *args: Any, **options: Any) -> None:
    # daphne's Server.run passes its CLI's 1 MiB for both sizes; nothing asks for more.
    for key in ("maxMessagePayloadSize", "maxFramePayloadSize"):
        if key in options:
            asked = options[key] or WS_MESSAGE_MAX_BYTES
            options[key] = min(asked, WS_MESSAGE_MAX_BYTES)
    options["failByDrop"] = False
    original(self, *args, **options)
