"""One logical call's state and its accounting: a `LLMCall` row per HTTP attempt, tokens and
cost (provider-reported or from LLM_PRICES), and the rows a caller collects to save with its
own writes (llm_calls_collected / llm_calls_save)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import router
from openai import AsyncOpenAI

from core import metrics
from core.correlation import correlation_id_var
from core.db import rows_insert
from llm.clients import get_client
from llm.config import Route, available_route
from llm.errors import LLMDeadlineExceeded
from llm.models import LLMCall
from llm.types import Completion

# Every module of the seam logs as "llm.gateway", the name its records had before the split.
logger = logging.getLogger("llm.gateway")

# Inside llm_calls_collected(), the accounting rows wait in this list instead of being
# written one database call each.
_collected_calls: contextvars.ContextVar[list[LLMCall] | None] = contextvars.ContextVar(
    "llm_calls_collected", default=None
)


@contextlib.contextmanager
def llm_calls_collected() -> Iterator[list[LLMCall]]:
    """Collect the LLMCall rows of the calls made inside this block, unsaved.

    For a caller that writes its own results right after the call: it saves the rows
    with them, in the same trip to the database thread (`llm_calls_save`), and must save
    them also when it fails or is cancelled.
    """
    calls: list[LLMCall] = []
    token = _collected_calls.set(calls)
    try:
        yield calls
    finally:
        _collected_calls.reset(token)


def llm_calls_save(calls: list[LLMCall]) -> None:
    """Save rows from llm_calls_collected (sync: call it from the database thread)."""
    if not calls:
        return
    try:
        rows_insert(calls, using=router.db_for_write(LLMCall))
    except Exception:
        # Accounting boundary, as in Call.record: the caller's own writes go on.
        logger.exception("could not record LLM calls", extra={"llm_calls": len(calls)})
    calls.clear()


def ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@dataclass
class Call:
    """Per-call state: who asked, the deadline, and the running totals of every attempt."""

    purpose: str
    route: Route
    deadline: float | None
    user_id: int | None
    correlation_id: str
    stream: bool = False
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    # Structured calls learn whether an answer was usable only after Instructor parsed it,
    # so the row of a successful HTTP attempt waits here until then.
    pending_row: dict | None = None

    @property
    def client(self) -> AsyncOpenAI:
        return get_client(base_url=self.route.base_url, api_key=self.route.api_key)

    def attempt_timeout(self) -> float:
        if self.deadline is None:
            return settings.LLM_TIMEOUT_S
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise LLMDeadlineExceeded()
        return min(settings.LLM_TIMEOUT_S, remaining)

    def deadline_passed(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline - 0.001

    def add_usage(self, *, prompt_tokens: int, completion_tokens: int, cost_usd: Decimal) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost_usd += cost_usd

    def completion(self, **fields: Any) -> Completion:
        return Completion(
            **fields,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
            cost_usd=self.cost_usd,
            latency_ms=ms_since(self.started),
            attempts=self.attempts,
        )

    async def record(self, **fields: Any) -> None:
        self.attempts += 1
        cost_source = fields.pop("cost_source", "estimated")
        row = {
            "purpose": self.purpose[:64],
            "provider": self.route.provider,
            "stream": self.stream,
            "user_id": self.user_id,
            "correlation_id": self.correlation_id[:64],
            **fields,
        }
        row.setdefault(
            "total_tokens", row.get("prompt_tokens", 0) + row.get("completion_tokens", 0)
        )
        logger.info(
            "llm attempt",
            extra={
                "llm_purpose": self.purpose,
                "llm_model": row.get("model_requested"),
                "llm_outcome": row.get("outcome"),
                "llm_attempt": row.get("attempt"),
                "llm_http_status": row.get("http_status"),
                "llm_latency_ms": row.get("latency_ms"),
            },
        )
        _count(row, cost_source)
        collected = _collected_calls.get()
        if collected is not None:
            collected.append(LLMCall(**row))
            return
        try:
            await LLMCall.objects.acreate(**row)
        except Exception:
            # Accounting boundary: whatever breaks the write (DB down, no DB access in this
            # context), a lost row must not lose the answer the caller already paid for.
            logger.exception("could not record an LLM call", extra={"llm_purpose": self.purpose})

    async def flush_pending(self, outcome: str) -> None:
        if self.pending_row is not None:
            row, self.pending_row = self.pending_row, None
            await self.record(**{**row, "outcome": outcome})


def call_start(
    *, purpose: str, deadline: float | None, user_id: int | None, correlation_id: str | None
) -> Call:
    cid = correlation_id or correlation_id_var.get()
    return Call(
        purpose=purpose,
        route=available_route(),
        deadline=deadline,
        user_id=user_id,
        correlation_id="" if cid == "-" else cid,
    )


def _count(row: dict, cost_source: str) -> None:
    """The attempt in the metrics (core.metrics): by model, purpose and outcome; its tokens;
    its roubles, provider-reported or estimated from the price table."""
    model = (row.get("model_answered") or row.get("model_requested") or "unknown")[:80]
    metrics.model_requests.labels(model, row["purpose"], row.get("outcome", "ok")).inc()
    if row.get("attempt", 1) > 1:
        metrics.model_retries.labels(model).inc()
    for kind in ("prompt", "completion"):
        if row.get(f"{kind}_tokens"):
            metrics.model_tokens.labels(model, kind).inc(row[f"{kind}_tokens"])
    cost = row.get("cost_usd") or 0
    if cost:
        rub = float(cost) * settings.USD_RUB_RATE
        metrics.model_cost.labels(model, cost_source).inc(rub)


def cost_source(usage: Any) -> str:
    """ "provider" when the provider reported the call's cost (OpenRouter), else "estimated"."""
    reported = (getattr(usage, "model_extra", None) or {}).get("cost") if usage else None
    return "provider" if reported is not None else "estimated"


def _cost(*, usage: Any, models: tuple[str, ...]) -> Decimal:
    """Provider-reported cost (OpenRouter's usage.cost, USD) wins over the price table."""
    if usage is None:
        return Decimal(0)
    reported = (getattr(usage, "model_extra", None) or {}).get("cost")
    if isinstance(reported, int | float | str) and not isinstance(reported, bool):
        try:
            return Decimal(str(reported)).quantize(Decimal("1e-8"))
        except ArithmeticError:
            logger.warning("provider reported an unreadable cost")
    for model in models:
        prices = settings.LLM_PRICES.get(model)
        if prices:
            usd_in, usd_out = (Decimal(str(p)) for p in prices)
            cost = (usage.prompt_tokens or 0) * usd_in + (usage.completion_tokens or 0) * usd_out
            return (cost / 1_000_000).quantize(Decimal("1e-8"))
    return Decimal(0)


def usage_fields(*, usage: Any, model_requested: str, model_answered: str) -> dict:
    if usage is None:
        logger.warning("provider reported no token usage", extra={"llm_model": model_answered})
    return {
        "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        "cost_usd": _cost(usage=usage, models=(model_answered, model_requested)),
    }
