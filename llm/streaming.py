"""Streamed answers: text deltas as they arrive, then complete tool calls, then `done`.

The SSE body is read as plain JSON chunks, straight from the SDK client's aiohttp session
(llm.sdk_private.chat_stream_post): the SDK's typed chunks cost ≈ 70 µs each.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from openai.types import CompletionUsage

from llm import sdk_private
from llm.accounting import Call, call_start, cost_source, ms_since, usage_fields
from llm.completion import request_build
from llm.config import models_for, wants_vision
from llm.errors import LLMDeadlineExceeded, LLMError
from llm.models import LLMCall
from llm.pii import PiiScrubber
from llm.retry import FAILURES, AttemptFailed, with_retries
from llm.sse import StreamResponse, chunk_batches, gathered
from llm.types import Completion, StreamEvent, ToolCall

# Every module of the seam logs as "llm.gateway", the name its records had before the split.
logger = logging.getLogger("llm.gateway")

STREAM_OPTIONS = {"include_usage": True}


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

    def feed_many(self, chunks: list[dict]) -> str:
        """The text the chunks add (all of it: the deltas of one read go on as one)."""
        return "".join([self.feed(chunk) for chunk in chunks])

    def feed(self, chunk: dict) -> str:
        """The text the chunk adds."""
        self.model = chunk.get("model") or self.model
        if chunk.get("usage") is not None:
            self.usage = _usage(chunk["usage"])
        text = ""
        for choice in (chunk.get("choices") or [])[:1]:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            parts = delta.get("tool_calls")
            if content:
                self.text.append(content)
                text = content
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
                self.ttft_ms = ms_since(self.started)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return text

    def tool_calls(self) -> list[ToolCall]:
        return [ToolCall(**self.calls[index]) for index in sorted(self.calls)]


@dataclass
class _OpenStream:
    """A stream that reached its first text delta (or its end) within one attempt."""

    response: StreamResponse
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
    call: Call, request: dict, model: str, timeout: float, number: int
) -> _OpenStream:
    """One attempt, up to the first text delta (or the end of a stream that has none)."""
    started = time.monotonic()
    assembly = _Assembly(started=started)
    response = opened = None
    try:
        async with asyncio.timeout(timeout):
            response = await sdk_private.chat_stream_post(
                call.client,
                {**request, "model": model, "stream": True, "stream_options": STREAM_OPTIONS},
                timeout=timeout,
            )
            chunks = chunk_batches(response)
            opened = _OpenStream(response, chunks, assembly, [], False, model, number)
            async for batch in chunks:
                text = assembly.feed_many(batch)
                if text:
                    opened.first_events = [StreamEvent(kind="delta", text=text)]
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
    pii_names: tuple[str, ...] = (),
    pii: PiiScrubber | None = None,
    gather_s: float = 0.0,
) -> AsyncIterator[StreamEvent]:
    """Text deltas as they arrive (`gather_s`: after the first, read at most this often, the
    chunks gathered in the socket meanwhile), then complete tool calls, then `done`.

    Personal data never reaches the model (llm.pii): what it finds and `pii_names` (the user's
    own) go out as placeholders (`pii`: the scrubber of an answer's calls before), restored
    in the deltas, the tool calls' arguments and the final text.

    Retries and fallbacks happen only before the first delta; after it a failure raises
    LLMError. Cancelling the consumer or closing the iterator closes the upstream response
    at once. Each chunk must come within LLM_TIMEOUT_S, the whole stream within the deadline.
    """
    call = call_start(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    call.stream = True
    models = models_for(model=model, vision=vision or wants_vision(messages))
    pii = pii or PiiScrubber(names=pii_names, public_ips=settings.PII_SCRUB_PUBLIC_IPS)
    options = {"tools": tools, "tool_choice": tool_choice, "temperature": temperature}
    request = request_build(messages=messages, max_tokens=max_tokens, pii=pii, **options)
    attempt = functools.partial(_stream_attempt, call, request)
    opened = await with_retries(call, models=models, attempt=attempt)
    outcome = LLMCall.Outcome.CANCELLED
    try:
        rest = _restored_rest(call, opened, pii, gather_s=gather_s)
        async with contextlib.aclosing(rest) as events:
            async for event in events:
                yield event
        outcome = LLMCall.Outcome.OK
    except LLMDeadlineExceeded:
        outcome = LLMCall.Outcome.DEADLINE
        raise
    except FAILURES as exc:
        outcome = _interrupted(call, exc)
        if outcome == LLMCall.Outcome.DEADLINE:
            raise LLMDeadlineExceeded() from None
        raise LLMError("the answer was interrupted") from None
    finally:
        await _stream_record(call, opened, outcome)
    async for event in _stream_end(call, opened, pii, model_requested=models[0]):
        yield event


async def _restored_rest(
    call: Call, opened: _OpenStream, pii: PiiScrubber, *, gather_s: float = 0.0
) -> AsyncIterator[StreamEvent]:
    """The rest of the stream, with personal data put back into the text deltas."""
    restorer = pii.stream_restorer()
    async with contextlib.aclosing(_rest(call, opened, gather_s=gather_s)) as events:
        async for event in events:
            if event.kind == "delta":
                text = restorer.feed(event.text)
                if not text:
                    continue
                event = StreamEvent(kind="delta", text=text)
            yield event
    if held := restorer.flush():
        yield StreamEvent(kind="delta", text=held)


async def _stream_end(
    call: Call, opened: _OpenStream, pii: PiiScrubber, *, model_requested: str
) -> AsyncIterator[StreamEvent]:
    """The complete tool calls, then `done`, with personal data restored in both."""
    restored = [_restored(call_, pii) for call_ in opened.assembly.tool_calls()]
    for tool_call in restored:
        yield StreamEvent(kind="tool_call", tool_call=tool_call)
    completion = _completion(call, opened, model_requested)
    completion.text = pii.restore(completion.text)
    completion.tool_calls = restored
    yield StreamEvent(kind="done", completion=completion)


def _restored(tool_call: ToolCall, pii: PiiScrubber) -> ToolCall:
    return dataclasses.replace(tool_call, arguments=pii.restore(tool_call.arguments))


def _completion(call: Call, opened: _OpenStream, model_requested: str) -> Completion:
    assembly = opened.assembly
    completion = call.completion(
        text="".join(assembly.text),
        tool_calls=assembly.tool_calls(),
        model=assembly.model or opened.model,
        model_requested=model_requested,
        finish_reason=assembly.finish_reason,
    )
    completion.ttft_ms = assembly.ttft_ms
    return completion


async def _rest(
    call: Call, opened: _OpenStream, *, gather_s: float = 0.0
) -> AsyncIterator[StreamEvent]:
    """The deltas of an open stream, the first ones included, each chunk within its timeout
    (`gather_s`: read at most that often, see `stream`)."""
    for event in opened.first_events:
        yield event
    if not opened.finished:
        read_at = time.monotonic()
        while True:
            # Not once the model has finished: its usage and the end follow at once.
            finishing = opened.assembly.finish_reason is not None
            if gather_s and not finishing and (wait := read_at + gather_s - time.monotonic()) > 0:
                await gathered(opened.response, wait)
            read_at = time.monotonic()
            timeout = call.attempt_timeout()
            try:
                async with asyncio.timeout(timeout):
                    batch = await anext(opened.chunks)
            except StopAsyncIteration:
                break
            text = opened.assembly.feed_many(batch)
            if text:
                yield StreamEvent(kind="delta", text=text)
    if opened.assembly.finish_reason is None:
        # The body ended without a finish_reason: a proxy closed the stream early.
        raise AttemptFailed(LLMCall.Outcome.STREAM_ERROR)


def _interrupted(call: Call, exc: BaseException) -> str:
    """The outcome of a stream that failed after its first delta."""
    outcome = exc.outcome if isinstance(exc, AttemptFailed) else LLMCall.Outcome.STREAM_ERROR
    if isinstance(exc, TimeoutError):
        outcome = LLMCall.Outcome.DEADLINE if call.deadline_passed() else LLMCall.Outcome.TIMEOUT
    return outcome


async def _stream_record(call: Call, opened: _OpenStream, outcome: str) -> None:
    """Close the stream and account for it: its usage when it has any (or ended well)."""
    await opened.close()
    assembly = opened.assembly
    answered = assembly.model or opened.model
    usage = (
        usage_fields(usage=assembly.usage, model_requested=opened.model, model_answered=answered)
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
        latency_ms=ms_since(assembly.started),
        ttft_ms=assembly.ttft_ms,
        cost_source=cost_source(assembly.usage),
        **usage,
    )
