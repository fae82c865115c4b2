"""What the LLM seam returns: plain results, no SDK types, no Django.

Its own module so that llm.errors (LLMValidationError carries a Completion) and the seam's
modules import it without importing each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text exactly as the model produced it; validate before use


@dataclass
class Completion:
    """An answer plus the accounting of the whole logical call (all its HTTP attempts)."""

    text: str
    tool_calls: list[ToolCall]
    model: str  # the model that answered
    model_requested: str
    finish_reason: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0
    ttft_ms: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class StreamEvent:
    """`delta`: a piece of text; `tool_call`: one complete tool call, sent after the
    last delta; `done`: always last, with the full Completion."""

    kind: Literal["delta", "tool_call", "done"]
    text: str = ""
    tool_call: ToolCall | None = None
    completion: Completion | None = None


def deadline_in(seconds: float) -> float:
    """An absolute deadline (`time.monotonic()`), shareable by several calls."""
    return time.monotonic() + seconds
