"""What a test scripts the fake model to answer, and what the fake model records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MODEL = "fake/model"
DEFAULT_TEXT = (
    "Рекомендуем перенести сервер к провайдеру с более низкой ценой: "
    "конфигурация та же, а ежемесячная экономия составит несколько тысяч рублей."
)


@dataclass
class Reply:
    """One scripted answer. Build it with the classmethods; fields combine freely."""

    text: str = ""
    tool_calls: list[dict] | None = None
    # Answer the forced tool call (Instructor TOOLS mode) with these arguments: a dict is
    # serialised, a str is sent verbatim (so tests can send invalid JSON).
    structured: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: str | None = None
    raw_content_type: str = "application/json"
    hang_s: float = 0.0
    cut_after_chunks: int | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    finish_reason: str | None = None
    ttfb_s: float | None = None
    tokens_per_s: float | None = None

    @classmethod
    def answer(cls, text: str, **fields: Any) -> Reply:
        return cls(text=text, **fields)

    @classmethod
    def calls(cls, tool_calls: list[dict], **fields: Any) -> Reply:
        """`tool_calls`: [{"name": ..., "arguments": dict | str, "id": optional}]."""
        return cls(tool_calls=tool_calls, **fields)

    @classmethod
    def structured_output(cls, arguments: Any, **fields: Any) -> Reply:
        return cls(structured=arguments, **fields)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        **fields: Any,
    ) -> Reply:
        headers = dict(fields.pop("headers", {}))
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = f"{retry_after_ms:g}"
        return cls(status=status, headers=headers, **fields)

    @classmethod
    def hang(cls, seconds: float, **fields: Any) -> Reply:
        return cls(hang_s=seconds, **fields)

    @classmethod
    def raw(cls, body: str, *, content_type: str = "application/json", **fields: Any) -> Reply:
        return cls(raw_body=body, raw_content_type=content_type, **fields)

    @classmethod
    def cut(cls, text: str, *, after_chunks: int, **fields: Any) -> Reply:
        return cls(text=text, cut_after_chunks=after_chunks, **fields)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Disconnect:
    path: str
    model: str | None
    chunks_sent: int


ReplySource = Reply | Callable[[dict], Reply | None]
