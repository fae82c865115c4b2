"""The correlation id of the HTTP request or chat turn being handled, for logs and audit rows.

Set by ops.logging's middleware (from X-Request-ID) and by the chat per question; read by the
JSON log formatter, the LLM call accounting and the tool audit.
"""

from __future__ import annotations

import contextvars
import uuid

correlation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "correlation_id", default="-"
)


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]
