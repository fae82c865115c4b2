"""The JSON frames of the chat WebSocket, both ways (facts §3.5–§3.6, plus what new clients get).

Server → client. Every frame has `type`, `message_id` (the chat_messages id it belongs to, or
null) and `timestamp` (naive UTC ISO, no `Z`, as InfraZen sends):

  system           on connect: `content`, `session_id`, `scenario`, `last_message_id`
  user, assistant  history replay and live messages: `content`
  typing           an answer started (`message_id` is the answer's id)
  assistant_delta  a piece of the streamed answer: `content`
  tool_call        the model asked for a tool: `call_id`, `name`, `label`, `arguments`
  tool_result      `call_id`, `name`, `ok`, `summary`
  assistant        the final answer: `content`, `status` (done|stopped|failed), `reply_to`,
                   `tokens`, `prompt_tokens`, `completion_tokens`, `cost_usd`, `model`
  error            `code`, `message` (user-facing, never a traceback), `client_id` if known

The InfraZen browser client renders system, user, assistant and typing and ignores the rest.

Client → server: `{"content": "..."}` (InfraZen); `{"type": "message", "content", "client_id"}`;
`{"type": "stop"}`; `{"type": "history", "after": <message_id>}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infrazen.clock import utc_now
from infrazen.models import ChatMessage

# Longest question we accept, in characters (the column holds 65,535 bytes).
CONTENT_MAX_CHARS = 8_000
# A frame bigger than this is refused before it is parsed.
FRAME_MAX_BYTES = 64_000
CLIENT_ID_MAX_CHARS = 64

ERROR_BAD_FRAME = "bad_frame"
ERROR_EMPTY = "empty_message"
ERROR_TOO_LONG = "message_too_long"
ERROR_BUSY = "busy"
ERROR_MODEL = "model_error"
ERROR_TIMEOUT = "model_timeout"
ERROR_INTERNAL = "internal_error"
ERROR_RESTART = "service_restart"

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
        "content": message.content,
        "timestamp": message.created_at.isoformat() if message.created_at else None,
        **fields,
    }


def error_frame(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return frame("error", code=code, message=message, **fields)


def _client_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FrameError(ERROR_BAD_FRAME, "client_id должен быть строкой.")
    return str(value)[:CLIENT_ID_MAX_CHARS]


def _after(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(ERROR_BAD_FRAME, "after должен быть неотрицательным целым числом.")
    return value


def frame_parse(text: str | None, data: bytes | None = None) -> ClientFrame:
    """One client frame, validated; anything else is a FrameError (the connection stays open)."""
    if text is None:
        if data is None:
            raise FrameError(ERROR_BAD_FRAME, "Пустой кадр.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError(ERROR_BAD_FRAME, "Кадр должен быть JSON в UTF-8.") from None
    if len(text) > FRAME_MAX_BYTES:
        raise FrameError(ERROR_TOO_LONG, "Сообщение слишком длинное.")
    try:
        payload = json.loads(text)
    except ValueError:
        raise FrameError(ERROR_BAD_FRAME, "Кадр должен быть JSON-объектом.") from None
    if not isinstance(payload, dict):
        raise FrameError(ERROR_BAD_FRAME, "Кадр должен быть JSON-объектом.")

    kind = payload.get("type", KIND_MESSAGE)
    client_id = _client_id(payload.get("client_id"))
    if kind == KIND_STOP:
        return ClientFrame(kind=KIND_STOP, client_id=client_id)
    if kind == KIND_HISTORY:
        return ClientFrame(kind=KIND_HISTORY, after=_after(payload.get("after", 0)))
    if kind != KIND_MESSAGE:
        raise FrameError(ERROR_BAD_FRAME, "Неизвестный тип кадра.", client_id=client_id)

    content = payload.get("content")
    if content is None or (isinstance(content, str) and not content.strip()):
        raise FrameError(ERROR_EMPTY, "Пустое сообщение.", client_id=client_id)
    if not isinstance(content, str):
        raise FrameError(ERROR_BAD_FRAME, "content должен быть строкой.", client_id=client_id)
    if len(content) > CONTENT_MAX_CHARS:
        raise FrameError(
            ERROR_TOO_LONG,
            f"Сообщение длиннее {CONTENT_MAX_CHARS} символов: сократите его.",
            client_id=client_id,
        )
    return ClientFrame(kind=KIND_MESSAGE, content=content.strip(), client_id=client_id)
