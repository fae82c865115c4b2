"""The LLM seam: every model call in the service goes through this module.

It builds the OpenAI SDK clients (lazily, cached), picks the provider and models from
settings at call time, and owns the only retry loop: per-attempt timeouts, exponential
backoff with full jitter, Retry-After, fallback models, capability-aware routing of vision
calls, an overall deadline, and accounting of every HTTP attempt in `LLMCall`.

Deadlines are absolute `time.monotonic()` values, so one budget can be shared by several
calls (a chat turn with tool rounds); `deadline_in(seconds)` makes one. With no deadline a
call is still bounded: (LLM_MAX_RETRIES + 1) attempts per model, each at most LLM_TIMEOUT_S.

Which failures are retried, and when we move on to the next fallback model:

    429, 408, 409, 5xx, timeouts   retry the same model, then fall back
    connection errors              retry the same model; no fallback (same endpoint)
    404 (model not found), 403     next fallback at once (OpenRouter refuses some models
                                   per region or feature with 403)
    unreadable response body       next fallback at once
    401, 400, 422, other 4xx       stop: the key or the request is wrong for every model
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import functools
import json
import logging
import platform
import random
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar
from urllib.parse import urlparse

import aiohttp
import httpx2
import instructor
import openai
from django.conf import settings
from django.db import router
from instructor.core import IncompleteOutputException, ResponseParsingError
from instructor.v2 import mode_registry
from openai import AsyncOpenAI
from openai._constants import RAW_RESPONSE_HEADER
from openai._models import construct_type
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from core.correlation import correlation_id_var
from core.db import rows_insert
from llm import providers, wire
from llm.errors import LLMDeadlineExceeded, LLMError, LLMUnavailable, LLMValidationError
from llm.models import LLMCall
from llm.redact import messages_scrub

__all__ = [
    "Completion",
    "LLMDeadlineExceeded",
    "LLMError",
    "LLMUnavailable",
    "LLMValidationError",
    "StreamEvent",
    "ToolCall",
    "complete",
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

logger = logging.getLogger(__name__)

OFFLINE = providers.OFFLINE
# Local servers ignore the key, but the SDK refuses to build a client without one.
_KEYLESS_PLACEHOLDER = "unused"
_TRANSIENT = {
    LLMCall.Outcome.RATE_LIMITED,
    LLMCall.Outcome.SERVER_ERROR,
    LLMCall.Outcome.TIMEOUT,
    LLMCall.Outcome.CONNECTION_ERROR,
    LLMCall.Outcome.DEADLINE,
}
_MESSAGES = {
    LLMCall.Outcome.RATE_LIMITED: "the model provider is rate limiting requests",
    LLMCall.Outcome.SERVER_ERROR: "the model provider had an internal error",
    LLMCall.Outcome.TIMEOUT: "the model did not answer in time",
    LLMCall.Outcome.CONNECTION_ERROR: "the model provider could not be reached",
    LLMCall.Outcome.BAD_REQUEST: "the model provider rejected the request",
    LLMCall.Outcome.AUTH_ERROR: "the model provider refused the credentials or the model",
    LLMCall.Outcome.NOT_FOUND: "the model was not found at the provider",
    LLMCall.Outcome.BAD_RESPONSE: "the model provider sent an unreadable response",
    LLMCall.Outcome.DEADLINE: "the language model did not answer in time",
}

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


# --- results -------------------------------------------------------------------------------
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
    return time.monotonic() + seconds


# --- configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Route:
    provider: str
    base_url: str
    api_key: str
    api_key_from: str | None  # the setting's name, never its value


def _keys() -> dict[str, str]:
    return {name: getattr(settings, name, "") for name in providers.KEY_SETTINGS}


def _route() -> _Route:
    """The provider's endpoint and key (llm.providers), from the settings of this moment."""
    provider = providers.provider_normalise(value=settings.LLM_PROVIDER or OFFLINE)
    keys = _keys()
    return _Route(
        provider=provider,
        base_url=providers.base_url(
            provider=provider,
            llm_base_url=settings.LLM_BASE_URL,
            ollama_base_url=settings.OLLAMA_BASE_URL,
        ),
        api_key=providers.api_key(provider=provider, keys=keys),
        api_key_from=providers.api_key_source(provider=provider, keys=keys),
    )


def _problems(route: _Route) -> list[str]:
    problems = providers.provider_problems(
        provider=route.provider,
        keys=_keys(),
        llm_base_url=settings.LLM_BASE_URL,
        ollama_base_url=settings.OLLAMA_BASE_URL,
        models=[settings.LLM_MODEL_TEXT, settings.LLM_MODEL_VISION, *settings.LLM_FALLBACK_MODELS],
    )
    if route.provider == OFFLINE or route.provider not in providers.PRESETS:
        return problems
    if not settings.LLM_MODEL_TEXT:
        problems.append("LLM_MODEL_TEXT is empty")
    if settings.LLM_MODEL_VISION not in settings.LLM_VISION_MODELS:
        problems.append("LLM_MODEL_VISION is not listed in LLM_VISION_MODELS")
    if settings.LLM_TIMEOUT_S <= 0:
        problems.append("LLM_TIMEOUT_S must be positive")
    if settings.LLM_MAX_RETRIES < 0:
        problems.append("LLM_MAX_RETRIES must not be negative")
    return problems


def describe_config() -> dict:
    """The LLM configuration for /v1/readiness and the startup log. Never contains keys:
    `api_key_from` names the setting the key is read from."""
    route = _route()
    return {
        "provider": route.provider,
        "model_text": settings.LLM_MODEL_TEXT,
        "model_vision": settings.LLM_MODEL_VISION,
        "fallback_models": list(settings.LLM_FALLBACK_MODELS),
        "offline": route.provider == OFFLINE,
        "base_url_host": urlparse(route.base_url).hostname if route.base_url else None,
        "api_key_from": route.api_key_from,
        "problems": _problems(route),
    }


def llm_available() -> bool:
    """False when calls would fail without trying: offline or misconfigured."""
    route = _route()
    return route.provider != OFFLINE and not _problems(route)


def _available_route() -> _Route:
    route = _route()
    if route.provider == OFFLINE:
        raise LLMUnavailable("the language model is switched off", retryable=False)
    if _problems(route):
        raise LLMUnavailable("the language model is misconfigured", retryable=False)
    return route


# The SDK's connection pool belongs to the event loop that opened it, so clients are
# cached per loop (one loop in production; a fresh one per test or asyncio.run) and closed
# when that loop shuts down (_LoopClients).
class _LoopClients:
    """One loop's clients, closed by the loop's own shutdown.

    asyncio.run, asyncio.Runner (pytest-asyncio) and asgiref's async_to_sync all finish a
    loop with `shutdown_asyncgens()`, which closes every async generator the loop has
    started. `_closer` is one, parked at its `yield`: its `finally` closes the clients
    while the loop still runs. An aiohttp session left open when its loop goes away is
    reported as an error.
    """

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], AsyncOpenAI] = {}
        self._closer = self._close_at_loop_end()
        # Run it up to its `yield` (no await before it); the loop's asyncgen hook sees the
        # first step and keeps it for shutdown_asyncgens (weakly: this object holds it).
        with contextlib.suppress(StopIteration):
            self._closer.asend(None).send(None)

    async def _close_at_loop_end(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.close()

    async def close(self) -> None:
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            await client.close()


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients]
_clients = weakref.WeakKeyDictionary()


def _http_client() -> httpx2.AsyncClient:
    """The SDK's aiohttp transport, with a keep-alive pool as large as the connection limit.

    aiohttp parses responses in C: a streamed chat answer costs about 40 % less CPU than
    through the SDK's default httpx transport (≈ 9 against 15 ms for 80 tokens, most of it
    per chunk), which every other socket of the process waits out. The SDK keeps 100 idle
    connections out of 1,000: with more streams than that at once (every open chat answer
    holds one), each further request paid a new TCP connection.
    """
    limits = httpx2.Limits(
        max_connections=settings.LLM_MAX_CONNECTIONS,
        max_keepalive_connections=settings.LLM_MAX_CONNECTIONS,
    )
    return openai.DefaultAioHttpClient(limits=limits)


def get_client(*, base_url: str, api_key: str) -> AsyncOpenAI:
    """The cached client for this endpoint. Call from async code."""
    loop = asyncio.get_running_loop()
    per_loop = _clients.get(loop)
    if per_loop is None:
        per_loop = _clients[loop] = _LoopClients()
    key = (base_url, api_key)
    if key not in per_loop.clients:
        # max_retries=0: the SDK's own retries would multiply ours and ignore the deadline.
        per_loop.clients[key] = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or _KEYLESS_PLACEHOLDER,
            max_retries=0,
            timeout=settings.LLM_TIMEOUT_S,
            http_client=_http_client(),
        )
    return per_loop.clients[key]


# --- one logical call --------------------------------------------------------------------
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
        # Accounting boundary, as in _Call.record: the caller's own writes go on.
        logger.exception("could not record LLM calls", extra={"llm_calls": len(calls)})
    calls.clear()


@dataclass
class _Call:
    """Per-call state: who asked, the deadline, and the running totals of every attempt."""

    purpose: str
    route: _Route
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
            latency_ms=_ms_since(self.started),
            attempts=self.attempts,
        )

    async def record(self, **fields: Any) -> None:
        self.attempts += 1
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


def _start_call(
    *, purpose: str, deadline: float | None, user_id: int | None, correlation_id: str | None
) -> _Call:
    cid = correlation_id or correlation_id_var.get()
    return _Call(
        purpose=purpose,
        route=_available_route(),
        deadline=deadline,
        user_id=user_id,
        correlation_id="" if cid == "-" else cid,
    )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _wants_vision(messages: list[dict]) -> bool:
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return True
    return False


def _models_for(*, model: str | None, vision: bool) -> list[str]:
    primary = model or (settings.LLM_MODEL_VISION if vision else settings.LLM_MODEL_TEXT)
    chain = list(dict.fromkeys([primary, *settings.LLM_FALLBACK_MODELS]))
    if vision:
        capable = set(settings.LLM_VISION_MODELS)
        chain = [m for m in chain if m in capable]
        if not chain:
            raise LLMUnavailable("no vision-capable model is configured", retryable=False)
    return chain


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


def _usage_fields(*, usage: Any, model_requested: str, model_answered: str) -> dict:
    if usage is None:
        logger.warning("provider reported no token usage", extra={"llm_model": model_answered})
    return {
        "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        "cost_usd": _cost(usage=usage, models=(model_answered, model_requested)),
    }


# --- failures and the retry loop ---------------------------------------------------------
class _AttemptFailed(Exception):
    def __init__(
        self,
        outcome: str,
        *,
        http_status: int | None = None,
        retry_same: bool = False,
        try_next: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.http_status = http_status
        self.retry_same = retry_same
        self.try_next = try_next
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return _MESSAGES.get(self.outcome, "the language model call failed")


def _connection_failed(exc: BaseException) -> bool:
    """A refused or dropped connection, which the SDK's aiohttp transport reports as a
    timeout (it maps aiohttp's ClientConnectionError to httpx's ConnectTimeout)."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors
            return False
        if isinstance(cause, aiohttp.ClientConnectionError):
            return True
        cause = cause.__cause__
    return False


def _failure(exc: BaseException) -> _AttemptFailed:
    outcome = LLMCall.Outcome
    connection_failed = _connection_failed(exc)
    if isinstance(exc, TimeoutError | openai.APITimeoutError) and not connection_failed:
        return _AttemptFailed(outcome.TIMEOUT, retry_same=True, try_next=True)
    if connection_failed or isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return _AttemptFailed(outcome.CONNECTION_ERROR, retry_same=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = _retry_after(exc.response.headers)
        if status == 429:
            return _AttemptFailed(
                outcome.RATE_LIMITED,
                http_status=status,
                retry_same=True,
                try_next=True,
                retry_after=retry_after,
            )
        if status >= 500 or status in (408, 409):
            kind = outcome.TIMEOUT if status == 408 else outcome.SERVER_ERROR
            return _AttemptFailed(
                kind, http_status=status, retry_same=True, try_next=True, retry_after=retry_after
            )
        if status == 404:
            return _AttemptFailed(outcome.NOT_FOUND, http_status=status, try_next=True)
        if status in (401, 403):
            return _AttemptFailed(outcome.AUTH_ERROR, http_status=status, try_next=status == 403)
        return _AttemptFailed(outcome.BAD_REQUEST, http_status=status)
    # A body that is not a chat completion (broken JSON, an HTML error page, SSE garbage).
    return _AttemptFailed(outcome.BAD_RESPONSE, try_next=True)


_FAILURES = (
    _AttemptFailed,
    TimeoutError,
    openai.APIError,
    httpx2.TransportError,
    ValueError,  # json.JSONDecodeError and pydantic's ValidationError on malformed bodies
)


def _retry_after(headers: Any) -> float | None:
    """Seconds the provider asked us to wait: retry-after-ms, or Retry-After (secs or date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _backoff(number: int, retry_after: float | None) -> float:
    """Full jitter (AWS architecture blog), floored by the provider's Retry-After."""
    ceiling = min(settings.LLM_RETRY_MAX_S, settings.LLM_RETRY_BASE_S * 2 ** (number - 1))
    delay = random.uniform(0, ceiling)
    return max(delay, retry_after) if retry_after is not None else delay


Attempt = Callable[[str, float, int], Awaitable[T]]


async def _with_retries(call: _Call, *, models: list[str], attempt: Attempt[T]) -> T:
    """Try each model in order, each with its own retries, all inside the call's deadline."""
    last: _AttemptFailed | None = None
    for index, model in enumerate(models):
        has_next = index + 1 < len(models)
        for number in range(1, settings.LLM_MAX_RETRIES + 2):
            timeout = call.attempt_timeout()
            started = time.monotonic()
            try:
                return await attempt(model, timeout, number)
            except asyncio.CancelledError:
                await call.record(
                    model_requested=model,
                    attempt=number,
                    outcome=LLMCall.Outcome.CANCELLED,
                    latency_ms=_ms_since(started),
                )
                raise
            except _FAILURES as exc:
                failure = exc if isinstance(exc, _AttemptFailed) else _failure(exc)
            if failure.outcome == LLMCall.Outcome.TIMEOUT and call.deadline_passed():
                failure = _AttemptFailed(LLMCall.Outcome.DEADLINE)
            await call.record(
                model_requested=model,
                attempt=number,
                outcome=failure.outcome,
                http_status=failure.http_status,
                latency_ms=_ms_since(started),
            )
            last = failure
            if failure.outcome == LLMCall.Outcome.DEADLINE:
                raise LLMDeadlineExceeded()
            if not failure.retry_same or number > settings.LLM_MAX_RETRIES:
                break
            delay = _backoff(number, failure.retry_after)
            too_long = failure.retry_after is not None and delay > settings.LLM_RETRY_MAX_S
            past_deadline = call.deadline is not None and time.monotonic() + delay >= call.deadline
            if too_long or past_deadline:
                # Never sleep past the deadline, nor longer than we'd ever back off: a
                # fallback model may answer now; without one, give up.
                if has_next and failure.try_next:
                    break
                if past_deadline:
                    raise LLMDeadlineExceeded()
                raise LLMUnavailable(failure.message, retryable=True)
            await asyncio.sleep(delay)
        assert last is not None
        if not last.try_next:
            raise LLMUnavailable(last.message, retryable=last.outcome in _TRANSIENT)
    assert last is not None
    raise LLMUnavailable(last.message, retryable=last.outcome in _TRANSIENT)


def _request(
    *,
    messages: list[dict],
    tools: list[dict] | None,
    tool_choice: Any,
    temperature: float,
    max_tokens: int,
) -> dict:
    # Every prompt passes here (or structured()'s converter): the one place secrets pasted
    # into free text are kept from the model.
    request: dict[str, Any] = {
        "messages": messages_scrub(messages),
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    if tools:
        request["tools"] = tools
    if tool_choice is not None:
        request["tool_choice"] = tool_choice
    return request


def _tool_calls(message: Any) -> list[ToolCall]:
    return [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in message.tool_calls or []
        if call.type == "function"
    ]


def _chat_completion(body: bytes) -> ChatCompletion | None:
    """The body as the SDK's `cast_to=ChatCompletion` builds it, or None if it is not one.

    Validated by pydantic-core first (≈ 10 µs; the SDK builds it in Python, ≈ 75 µs); a body
    that does not validate is built the SDK's lenient way, as before.
    """
    try:
        return ChatCompletion.model_validate_json(body)
    except ValueError:
        pass
    try:
        data = json.loads(body)
    except ValueError:
        return None
    built = construct_type(type_=ChatCompletion, value=data)
    return built if isinstance(built, ChatCompletion) else None


async def _completion_attempt(
    call: _Call, *, request: dict, model: str, timeout: float, number: int, defer_ok: bool
) -> ChatCompletion:
    """One HTTP attempt; records it (or parks the row for Instructor's verdict)."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        # The SDK's typed `create` walks the whole request against its TypedDicts before
        # sending (≈ 2 ms of CPU for a prompt plus a tool schema); ours is plain JSON already,
        # so it is sent as the SDK's raw `post` would send it (llm.wire), parsed into the
        # same model.
        body = await wire.chat_completion_post(
            call.client, {**request, "model": model}, timeout=timeout
        )
    response = _chat_completion(body)
    if response is None or not response.choices:
        raise _AttemptFailed(LLMCall.Outcome.BAD_RESPONSE, try_next=True)
    answered = response.model or model
    usage = _usage_fields(usage=response.usage, model_requested=model, model_answered=answered)
    call.add_usage(**usage)
    row = {
        "model_requested": model,
        "model_answered": answered,
        "attempt": number,
        "http_status": 200,
        "latency_ms": _ms_since(started),
        **usage,
    }
    if defer_ok:
        call.pending_row = row
    else:
        await call.record(**row, outcome=LLMCall.Outcome.OK)
    return response


# --- public API ------------------------------------------------------------------------------
async def complete(
    *,
    purpose: str,
    messages: list[dict],
    model: str | None = None,
    tools: list[dict] | None = None,
    tool_choice: Any = None,
    temperature: float = 0.3,
    max_tokens: int = 500,
    deadline: float | None = None,
    user_id: int | None = None,
    correlation_id: str | None = None,
    vision: bool = False,
) -> Completion:
    """One answer (text and/or tool calls). Raises LLMUnavailable / LLMDeadlineExceeded."""
    call = _start_call(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    models = _models_for(model=model, vision=vision or _wants_vision(messages))
    request = _request(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        temperature=temperature,
        max_tokens=max_tokens,
    )

    async def attempt(candidate: str, timeout: float, number: int) -> ChatCompletion:
        return await _completion_attempt(
            call, request=request, model=candidate, timeout=timeout, number=number, defer_ok=False
        )

    response = await _with_retries(call, models=models, attempt=attempt)
    choice = response.choices[0]
    return call.completion(
        text=choice.message.content or "",
        tool_calls=_tool_calls(choice.message),
        model=response.model or models[0],
        model_requested=models[0],
        finish_reason=choice.finish_reason,
    )


def structured_prepare(response_model: type[BaseModel]) -> None:
    """Build now what the first `structured` call for this model would build: Instructor's
    handlers (imported on first use) and the model's tool, the SDK's HTTP client modules,
    and the validator of the completion model (pydantic builds it on first use).

    For a worker's startup: its first text request paid ≈ 70 ms of CPU for these, on the
    event loop every other socket of the worker waits on. No network, no client kept.
    """
    _instructor_tools(response_model)
    _http_client()  # its transport imports httpcore2 and reads the CA bundle
    ChatCompletion.model_rebuild()
    platform.platform()  # in the SDK's headers; the first call runs `uname -p`


async def structured(
    *,
    purpose: str,
    messages: list[dict],
    response_model: type[M],
    max_validation_retries: int = 1,
    model: str | None = None,
    temperature: float = 0.3,
    max_tokens: int = 500,
    deadline: float | None = None,
    user_id: int | None = None,
    correlation_id: str | None = None,
    vision: bool = False,
    validation_context: dict | None = None,
) -> tuple[M, Completion]:
    """A validated `response_model` instance, through Instructor's TOOLS mode (a forced
    tool call whose arguments are the object).

    Instructor builds the tool from the model, parses and validates the answer, and words
    the re-ask after a validation failure, at most `max_validation_retries` times; every
    HTTP failure is handled by our retry loop inside each request. `validation_context`
    reaches the model's validators as `info.context`, so one model class can check answers
    against per-call data. Raises LLMValidationError when the last answer still does not
    validate, LLMUnavailable / LLMDeadlineExceeded otherwise.
    """
    call = _start_call(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    models = _models_for(model=model, vision=vision or _wants_vision(messages))
    handlers, parse_model, tool = _instructor_tools(response_model)
    # The re-ask extends the message list: a copy, so the caller's list stays as it was.
    request = {
        **tool,
        "messages": handlers.message_converter(messages_scrub(messages)),
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    last_response: list[ChatCompletion] = []

    async def attempt(candidate: str, timeout: float, number: int) -> ChatCompletion:
        return await _completion_attempt(
            call, request=request, model=candidate, timeout=timeout, number=number, defer_ok=True
        )

    try:
        for asked in range(max(0, max_validation_retries) + 1):
            response = await _with_retries(call, models=models, attempt=attempt)
            last_response[:] = [response]
            try:
                answer = handlers.response_parser(
                    response=response,
                    response_model=parse_model,
                    validation_context=validation_context,
                    strict=True,
                    stream=False,
                    is_async=True,
                )
            except _INSTRUCTOR_REASKABLE as exc:
                await call.flush_pending(LLMCall.Outcome.VALIDATION_ERROR)
                if asked == max(0, max_validation_retries):
                    raise LLMValidationError(
                        "the model's answer did not have the expected shape",
                        errors=str(exc),
                        completion=_structured_completion(call, last_response, models[0]),
                    ) from None
                request = handlers.reask_handler(kwargs=request, response=response, exception=exc)
                continue
            await call.flush_pending(LLMCall.Outcome.OK)
            return answer, _structured_completion(call, last_response, models[0])
    except IncompleteOutputException:
        await call.flush_pending(LLMCall.Outcome.VALIDATION_ERROR)
        raise LLMValidationError(
            "the model's answer was cut off",
            errors="finish_reason=length: the answer hit max_tokens before it was complete",
            completion=_structured_completion(call, last_response, models[0]),
        ) from None
    except asyncio.CancelledError:
        await call.flush_pending(LLMCall.Outcome.CANCELLED)
        raise
    raise AssertionError("unreachable: every pass returns, re-asks or raises")


# The answers Instructor re-asks about (as its own retry loop does).
_INSTRUCTOR_REASKABLE = (
    ValidationError,
    json.JSONDecodeError,
    ResponseParsingError,
)


@functools.lru_cache(maxsize=64)
def _instructor_tools(response_model: type[M]) -> tuple[Any, type[M], dict]:
    """Instructor's TOOLS-mode handlers, the class it parses answers into, and the request's
    `tools` and `tool_choice`, built once per response model.

    `instructor.patch` runs all of this on every call (schema, checks, a deep copy of the
    request for re-asks: ≈ 0.6 ms of CPU per call), so the gateway calls Instructor's
    registry handlers (its documented v2 API) directly. The request part must not be
    mutated; the re-ask handler copies it.
    """
    handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, instructor.Mode.TOOLS)
    parse_model, tool = handlers.request_handler(
        response_model=_tool_model(response_model), kwargs={}
    )
    del tool["messages"]
    return handlers, parse_model, tool


@functools.lru_cache(maxsize=64)
def _tool_model(response_model: type[M]) -> type[M]:
    """The response model as Instructor's tool schema class, keeping the model's name and
    docstring (the tool's name and description). Instances are still instances of
    `response_model`."""
    return type(
        response_model.__name__,
        (instructor.response_schema(response_model),),
        {
            "__doc__": response_model.__doc__,
            "__module__": response_model.__module__,
            "__qualname__": response_model.__qualname__,
        },
    )


def _structured_completion(
    call: _Call, responses: list[ChatCompletion], model_requested: str
) -> Completion:
    if not responses:
        return call.completion(
            text="", tool_calls=[], model="", model_requested=model_requested, finish_reason=None
        )
    response = responses[-1]
    choice = response.choices[0]
    return call.completion(
        text=choice.message.content or "",
        tool_calls=_tool_calls(choice.message),
        model=response.model or model_requested,
        model_requested=model_requested,
        finish_reason=choice.finish_reason,
    )


# --- streaming -------------------------------------------------------------------------------
# The SDK's AsyncStream builds a pydantic ChatCompletionChunk per token (≈ 70 µs each, the
# largest per-token cost of a chat answer); the chunks are plain JSON, so the stream is read
# from the SDK's raw response and parsed here. The request still goes through the SDK's
# client: its auth, headers, timeouts and status errors (APIStatusError) are unchanged.
_RAW_STREAM = {RAW_RESPONSE_HEADER: "stream"}


async def _sse_data(response: httpx2.Response) -> AsyncIterator[str]:
    """The `data` of each server-sent event (WHATWG SSE: fields, comments, multi-line data)."""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


async def _stream_chunks(response: httpx2.Response) -> AsyncIterator[dict]:
    """Chat completion chunks as dicts, until `[DONE]`; an `error` event raises APIError."""
    async for data in _sse_data(response):
        if data.startswith("[DONE]"):
            return
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise ValueError("a stream chunk is not a JSON object")
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else None
            raise openai.APIError(
                message or "the provider reported an error mid-stream",
                response.request,
                body=error,
            )
        yield chunk


def _usage(usage: Any) -> CompletionUsage | None:
    if not isinstance(usage, dict):
        return None
    try:
        return CompletionUsage.model_validate(usage)
    except ValueError:
        logger.warning("provider reported an unreadable token usage")
        return None


class _Assembly:
    """Builds the whole answer out of stream chunks, as the chunks arrive."""

    def __init__(self, *, started: float) -> None:
        self.started = started
        self.text: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage: CompletionUsage | None = None
        self.model: str | None = None
        self.ttft_ms: int | None = None

    def feed(self, chunk: dict) -> list[StreamEvent]:
        self.model = chunk.get("model") or self.model
        if chunk.get("usage") is not None:
            self.usage = _usage(chunk["usage"])
        events = []
        for choice in (chunk.get("choices") or [])[:1]:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            parts = delta.get("tool_calls")
            if content:
                self.text.append(content)
                events.append(StreamEvent(kind="delta", text=content))
            for part in parts or []:
                slot = self.calls.setdefault(
                    part.get("index", 0), {"id": "", "name": "", "arguments": ""}
                )
                slot["id"] = part.get("id") or slot["id"]
                function = part.get("function")
                if function:
                    # OpenAI names the call once; some servers repeat the name in every delta.
                    slot["name"] = function.get("name") or slot["name"]
                    slot["arguments"] += function.get("arguments") or ""
            if (content or parts) and self.ttft_ms is None:
                self.ttft_ms = _ms_since(self.started)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return events

    def tool_calls(self) -> list[ToolCall]:
        return [ToolCall(**self.calls[index]) for index in sorted(self.calls)]


@dataclass
class _OpenStream:
    """A stream that reached its first text delta (or its end) within one attempt."""

    response: httpx2.Response
    chunks: AsyncIterator[dict]
    assembly: _Assembly
    first_events: list[StreamEvent]
    finished: bool
    model: str
    number: int

    async def close(self) -> None:
        await self.chunks.aclose()
        await self.response.aclose()


async def _stream_attempt(
    call: _Call, *, request: dict, model: str, timeout: float, number: int
) -> _OpenStream:
    started = time.monotonic()
    assembly = _Assembly(started=started)
    response = opened = None
    try:
        async with asyncio.timeout(timeout):
            response = await call.client.post(
                "/chat/completions",
                body={
                    **request,
                    "model": model,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                },
                cast_to=httpx2.Response,
                options={"timeout": timeout, "headers": _RAW_STREAM},
            )
            chunks = _stream_chunks(response)
            opened = _OpenStream(response, chunks, assembly, [], False, model, number)
            async for chunk in chunks:
                events = assembly.feed(chunk)
                if events:
                    opened.first_events = events
                    return opened
        opened.finished = True
        return opened
    except BaseException:
        if opened is not None:
            await opened.close()
        elif response is not None:
            await response.aclose()
        raise


async def stream(
    *,
    purpose: str,
    messages: list[dict],
    model: str | None = None,
    tools: list[dict] | None = None,
    tool_choice: Any = None,
    temperature: float = 0.3,
    max_tokens: int = 500,
    deadline: float | None = None,
    user_id: int | None = None,
    correlation_id: str | None = None,
    vision: bool = False,
) -> AsyncIterator[StreamEvent]:
    """Text deltas as they arrive, then complete tool calls, then `done`.

    Retries and fallbacks happen only before the first delta reaches the caller; after
    that a failure raises LLMError. Cancelling the consuming task or closing the iterator
    closes the upstream response at once. Each chunk must arrive within LLM_TIMEOUT_S and
    the whole stream within the deadline.
    """
    call = _start_call(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    call.stream = True
    models = _models_for(model=model, vision=vision or _wants_vision(messages))
    request = _request(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        temperature=temperature,
        max_tokens=max_tokens,
    )

    async def attempt(candidate: str, timeout: float, number: int) -> _OpenStream:
        return await _stream_attempt(
            call, request=request, model=candidate, timeout=timeout, number=number
        )

    opened = await _with_retries(call, models=models, attempt=attempt)
    assembly = opened.assembly
    outcome = LLMCall.Outcome.CANCELLED
    try:
        for event in opened.first_events:
            yield event
        if not opened.finished:
            while True:
                timeout = call.attempt_timeout()
                try:
                    async with asyncio.timeout(timeout):
                        chunk = await anext(opened.chunks)
                except StopAsyncIteration:
                    break
                for event in assembly.feed(chunk):
                    yield event
        if assembly.finish_reason is None:
            # The body ended without a finish_reason: a proxy closed the stream early.
            raise _AttemptFailed(LLMCall.Outcome.STREAM_ERROR)
        outcome = LLMCall.Outcome.OK
    except LLMDeadlineExceeded:
        outcome = LLMCall.Outcome.DEADLINE
        raise
    except _FAILURES as exc:
        outcome = exc.outcome if isinstance(exc, _AttemptFailed) else LLMCall.Outcome.STREAM_ERROR
        if isinstance(exc, TimeoutError):
            outcome = (
                LLMCall.Outcome.DEADLINE if call.deadline_passed() else LLMCall.Outcome.TIMEOUT
            )
        if outcome == LLMCall.Outcome.DEADLINE:
            raise LLMDeadlineExceeded() from None
        raise LLMError("the answer was interrupted") from None
    finally:
        await opened.close()
        answered = assembly.model or opened.model
        usage = (
            _usage_fields(
                usage=assembly.usage, model_requested=opened.model, model_answered=answered
            )
            if assembly.usage is not None or outcome == LLMCall.Outcome.OK
            else {}
        )
        if usage:
            call.add_usage(**usage)
        await call.record(
            model_requested=opened.model,
            model_answered=answered,
            attempt=opened.number,
            outcome=outcome,
            http_status=200,
            latency_ms=_ms_since(assembly.started),
            ttft_ms=assembly.ttft_ms,
            **usage,
        )
    for tool_call in assembly.tool_calls():
        yield StreamEvent(kind="tool_call", tool_call=tool_call)
    completion = call.completion(
        text="".join(assembly.text),
        tool_calls=assembly.tool_calls(),
        model=assembly.model or opened.model,
        model_requested=models[0],
        finish_reason=assembly.finish_reason,
    )
    completion.ttft_ms = assembly.ttft_ms
    yield StreamEvent(kind="done", completion=completion)
