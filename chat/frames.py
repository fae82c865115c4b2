"""The JSON frames of the chat WebSocket, both ways (contract §4.2, plus what new clients get).

Server → client. Every frame has `type`, `message_id` (the chat_messages id it belongs to, or
null) and `timestamp` (naive UTC ISO, no `Z`, as InfraZen sends):

  system           on connect: `content`, `session_id`, `scenario`, `last_message_id`
  user, assistant  history replay and live messages: `content`
  typing           an answer started (`message_id` is the answer's id)
  assistant_delta  a piece of the streamed answer: `content`
  tool_call        the model asked for a tool: `call_id`, `name`, `label`, `arguments`
  tool_result      `call_id`, `name`, `ok`, `summary`
  assistant        the final answer: `content`, `status` (done|stopped|failed|refused),
                   `reply_to`, `tokens`, `prompt_tokens`, `completion_tokens`, `cost_usd`,
                   `model`, `budget` (the user's day left: `rub_left`, `tokens_left`,
                   `resets_at`, Moscow ISO; null when unreadable)
                   `citations`: where its figures come from (chat.citations), one per
                   source in order of first use: [{`n`, `tool` (a tool's name, or
                   `context:<part>` for the context pack), `label`, `summary`, `figures`
                   (as written in `content`)}]; `unverified`: the figures that matched no
                   data, as written (each marked " (не проверено)" in `content`). Both []
                   for an answer without figures, a question refused before its answer
                   and the history replay.
  error            `code`, `message` (user-facing, never a traceback), `client_id` if known;
                   `quota_exceeded` adds `limit`, `resets_at` and `retry_after_s`

The InfraZen browser client renders system, user, assistant and typing and ignores the rest.

Client → server: `{"content": "..."}` (InfraZen); `{"type": "message", "content", "client_id"}`;
`{"type": "stop"}`; `{"type": "history", "after": <message_id>}`.

Message text in every frame built here is HTML-neutralised (chat.neutralise): a client that
renders it raw cannot be made to start a tag, one that escapes shows it as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chat import texts
from chat.neutralise import html_neutralise
from infrazen.clock import utc_now
from infrazen.models import ChatMessage

# Longest question we accept, in characters (the column holds 65,535 bytes).
CONTENT_MAX_CHARS = 8_000
# A frame bigger than this (UTF-8 bytes) is refused before it is parsed.
FRAME_MAX_BYTES = 64_000
CLIENT_ID_MAX_CHARS = 64
# chat_messages.id is a BIGINT: an `after` past it is no message id (and overflowed the query).
MESSAGE_ID_MAX = 2**63 - 1

ERROR_BAD_FRAME = "bad_frame"
ERROR_EMPTY = "empty_message"
ERROR_TOO_LONG = "message_too_long"
ERROR_BUSY = "busy"
ERROR_MODEL = "model_error"
ERROR_TIMEOUT = "model_timeout"
ERROR_INTERNAL = "internal_error"
ERROR_RESTART = "service_restart"
ERROR_FORBIDDEN = "forbidden"

KIND_MESSAGE = "message"
KIND_STOP = "stop"
KIND_HISTORY = "history"


class FrameError(Exception):
    """A client frame we cannot take: `code` and a message safe to show the user."""

    def __init__(self, code: str, message: str, *, client_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id


@dataclass(frozen=True)
class ClientFrame:
    kind: str
    content: str = ""
    client_id: str | None = None
    after: int | None = None


def timestamp() -> str:
    return utc_now().isoformat()


def frame(frame_type: str, *, message_id: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": frame_type, "message_id": message_id, "timestamp": timestamp(), **fields}


def message_frame(message: ChatMessage, **fields: Any) -> dict[str, Any]:
    """A stored message as the InfraZen client expects it in a history replay."""
    return {
        "type": message.role,
        "message_id": message.pk,
        # Rows stored before answers were neutralised, and questions, which are kept as typed.
        "content": html_neutralise(message.content),
        "timestamp": message.created_at.isoformat() if message.created_at else None,
        **fields,
    }


def error_frame(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return frame("error", code=code, message=message, **fields)


def _encodable(text: str) -> bool:
    """False for a lone surrogate (`"\\ud800"` in JSON): no database or socket takes it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _client_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FrameError(ERROR_BAD_FRAME, texts.CLIENT_ID_INVALID_TEXT)
    client_id = str(value)[:CLIENT_ID_MAX_CHARS]
    if not _encodable(client_id):
        raise FrameError(ERROR_BAD_FRAME, texts.CLIENT_ID_INVALID_TEXT)
    return client_id


AFTER_INVALID_TEXT = texts.AFTER_INVALID_TEXT


def _after(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MESSAGE_ID_MAX:
        raise FrameError(ERROR_BAD_FRAME, AFTER_INVALID_TEXT)
    return value


def _utf8_length_over(text: str, limit: int) -> bool:
    # Encoding is skipped when even four bytes per character stay within the limit.
    return len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8")) > limit)


def frame_parse(text: str | None, data: bytes | None = None) -> ClientFrame:
    """One client frame, validated; anything else is a FrameError (the connection stays open)."""
    if text is None:
        if data is None:
            raise FrameError(ERROR_BAD_FRAME, texts.FRAME_EMPTY_TEXT)
        if len(data) > FRAME_MAX_BYTES:
            raise FrameError(ERROR_TOO_LONG, texts.FRAME_TOO_LONG_TEXT)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError(ERROR_BAD_FRAME, texts.FRAME_NOT_UTF8_TEXT) from None
    elif _utf8_length_over(text, FRAME_MAX_BYTES):
        raise FrameError(ERROR_TOO_LONG, texts.FRAME_TOO_LONG_TEXT)
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: a few thousand nested brackets fit in a frame. ValueError also
        # covers an integer with more digits than Python converts (4,300).
        raise FrameError(ERROR_BAD_FRAME, texts.FRAME_NOT_OBJECT_TEXT) from None
    if not isinstance(payload, dict):
        raise FrameError(ERROR_BAD_FRAME, texts.FRAME_NOT_OBJECT_TEXT)

    kind = payload.get("type", KIND_MESSAGE)
    client_id = _client_id(payload.get("client_id"))
    if kind == KIND_STOP:
        return ClientFrame(kind=KIND_STOP, client_id=client_id)
    if kind == KIND_HISTORY:
        return ClientFrame(kind=KIND_HISTORY, after=_after(payload.get("after", 0)))
    if kind != KIND_MESSAGE:
        raise FrameError(ERROR_BAD_FRAME, texts.FRAME_KIND_UNKNOWN_TEXT, client_id=client_id)

    content = payload.get("content")
    if content is None or (isinstance(content, str) and not content.strip()):
        raise FrameError(ERROR_EMPTY, texts.MESSAGE_EMPTY_TEXT, client_id=client_id)
    if not isinstance(content, str) or not _encodable(content):
        raise FrameError(ERROR_BAD_FRAME, texts.CONTENT_NOT_TEXT, client_id=client_id)
    if len(content) > CONTENT_MAX_CHARS:
        raise FrameError(
            ERROR_TOO_LONG,
            texts.CONTENT_TOO_LONG_TEXT.format(limit=CONTENT_MAX_CHARS),
            client_id=client_id,
        )
    return ClientFrame(kind=KIND_MESSAGE, content=content.strip(), client_id=client_id)
