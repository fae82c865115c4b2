"""The LLM seam: every model call in the service goes through these functions.

The seam builds the OpenAI SDK clients (lazily, cached), picks the provider and models from
settings at call time, and owns the only retry loop: per-attempt timeouts, exponential
backoff with full jitter, Retry-After, fallback models, capability-aware routing of vision
calls, an overall deadline, and accounting of every HTTP attempt in `LLMCall`.

Deadlines are absolute `time.monotonic()` values, so one budget can be shared by several
calls (a chat turn with tool rounds); `deadline_in(seconds)` makes one. With no deadline a
call is still bounded: (LLM_MAX_RETRIES + 1) attempts per model, each at most LLM_TIMEOUT_S.

This module is the seam's public face; the work is done in:

    llm.types         ToolCall, Completion, StreamEvent, deadline_in
    llm.errors        LLMError and its subclasses
    llm.config        provider, endpoint, key and models from settings; vision routing
    llm.clients       the SDK clients, one per endpoint and event loop
    llm.accounting    one call's state, its LLMCall rows, tokens and cost
    llm.retry         failure classification and the retry / fallback / deadline loop
    llm.completion    the request, one non-streamed attempt
    llm.structured    `structured`: Instructor's TOOLS mode and its re-asks
    llm.streaming     `stream`: SSE chunks to deltas, tool calls and `done`
    llm.sdk_private   every use of a private openai or Instructor API (check it on upgrades)
"""

from __future__ import annotations

from llm.accounting import llm_calls_collected, llm_calls_save
from llm.clients import get_client
from llm.config import describe_config, llm_available
from llm.config import models_for as _models_for  # noqa: F401  (chat/tests)
from llm.config import wants_vision as _wants_vision  # noqa: F401  (chat/tests)
from llm.errors import LLMDeadlineExceeded, LLMError, LLMUnavailable, LLMValidationError
from llm.streaming import stream
from llm.structured import structured, structured_prepare
from llm.types import Completion, StreamEvent, ToolCall, deadline_in

__all__ = [
    "Completion",
    "LLMDeadlineExceeded",
    "LLMError",
    "LLMUnavailable",
    "LLMValidationError",
    "StreamEvent",
    "ToolCall",
    "deadline_in",
    "describe_config",
    "get_client",
    "llm_available",
    "llm_calls_collected",
    "llm_calls_save",
    "stream",
    "structured",
    "structured_prepare",
]
