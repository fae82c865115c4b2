"""The seam's only retry loop: per-attempt timeouts, exponential backoff with full jitter,
Retry-After, fallback models, and an overall deadline.

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
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx2
import openai
from django.conf import settings

from llm.accounting import Call, ms_since
from llm.errors import LLMDeadlineExceeded, LLMUnavailable
from llm.models import LLMCall
from llm.sdk_private import connection_failed

T = TypeVar("T")

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


class AttemptFailed(Exception):
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


def failure_of(exc: BaseException) -> AttemptFailed:
    outcome = LLMCall.Outcome
    refused = connection_failed(exc)
    if isinstance(exc, TimeoutError | openai.APITimeoutError) and not refused:
        return AttemptFailed(outcome.TIMEOUT, retry_same=True, try_next=True)
    if refused or isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return AttemptFailed(outcome.CONNECTION_ERROR, retry_same=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = _retry_after(exc.response.headers)
        if status == 429:
            return AttemptFailed(
                outcome.RATE_LIMITED,
                http_status=status,
                retry_same=True,
                try_next=True,
                retry_after=retry_after,
            )
        if status >= 500 or status in (408, 409):
            kind = outcome.TIMEOUT if status == 408 else outcome.SERVER_ERROR
            return AttemptFailed(
                kind, http_status=status, retry_same=True, try_next=True, retry_after=retry_after
            )
        if status == 404:
            return AttemptFailed(outcome.NOT_FOUND, http_status=status, try_next=True)
        if status in (401, 403):
            return AttemptFailed(outcome.AUTH_ERROR, http_status=status, try_next=status == 403)
        return AttemptFailed(outcome.BAD_REQUEST, http_status=status)
    # A body that is not a chat completion (broken JSON, an HTML error page, SSE garbage).
    return AttemptFailed(outcome.BAD_RESPONSE, try_next=True)


FAILURES = (
    AttemptFailed,
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


async def with_retries(call: Call, *, models: list[str], attempt: Attempt[T]) -> T:
    """Try each model in order, each with its own retries, all inside the call's deadline."""
    last: AttemptFailed | None = None
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
                    latency_ms=ms_since(started),
                )
                raise
            except FAILURES as exc:
                failure = exc if isinstance(exc, AttemptFailed) else failure_of(exc)
            if failure.outcome == LLMCall.Outcome.TIMEOUT and call.deadline_passed():
                failure = AttemptFailed(LLMCall.Outcome.DEADLINE)
            await call.record(
                model_requested=model,
                attempt=number,
                outcome=failure.outcome,
                http_status=failure.http_status,
                latency_ms=ms_since(started),
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
