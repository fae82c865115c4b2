"""A non-streamed answer: the request every prompt passes through, one HTTP attempt of it
(llm.sdk_private's wire), and `complete` (text and/or tool calls in one piece)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from openai.types.chat import ChatCompletion

from llm import sdk_private
from llm.accounting import Call, call_start, ms_since, usage_fields
from llm.config import models_for, wants_vision
from llm.models import LLMCall
from llm.redact import messages_scrub
from llm.retry import AttemptFailed, with_retries
from llm.types import Completion, ToolCall


def request_build(
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


def tool_calls_of(message: Any) -> list[ToolCall]:
    return [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in message.tool_calls or []
        if call.type == "function"
    ]


async def completion_attempt(
    call: Call, *, request: dict, model: str, timeout: float, number: int, defer_ok: bool
) -> ChatCompletion:
    """One HTTP attempt; records it (or parks the row for Instructor's verdict)."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        # The SDK's typed `create` walks the whole request against its TypedDicts before
        # sending (≈ 2 ms of CPU for a prompt plus a tool schema); ours is plain JSON already,
        # so it is sent as the SDK's raw `post` would send it (llm.sdk_private's wire),
        # parsed into the same model.
        body = await sdk_private.chat_completion_post(
            call.client, {**request, "model": model}, timeout=timeout
        )
    response = sdk_private.chat_completion_parse(body)
    if response is None or not response.choices:
        raise AttemptFailed(LLMCall.Outcome.BAD_RESPONSE, try_next=True)
    answered = response.model or model
    usage = usage_fields(usage=response.usage, model_requested=model, model_answered=answered)
    call.add_usage(**usage)
    row = {
        "model_requested": model,
        "model_answered": answered,
        "attempt": number,
        "http_status": 200,
        "latency_ms": ms_since(started),
        **usage,
    }
    if defer_ok:
        call.pending_row = row
    else:
        await call.record(**row, outcome=LLMCall.Outcome.OK)
    return response


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
    call = call_start(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    models = models_for(model=model, vision=vision or wants_vision(messages))
    request = request_build(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        temperature=temperature,
        max_tokens=max_tokens,
    )

    async def attempt(candidate: str, timeout: float, number: int) -> ChatCompletion:
        return await completion_attempt(
            call, request=request, model=candidate, timeout=timeout, number=number, defer_ok=False
        )

    response = await with_retries(call, models=models, attempt=attempt)
    choice = response.choices[0]
    return call.completion(
        text=choice.message.content or "",
        tool_calls=tool_calls_of(choice.message),
        model=response.model or models[0],
        model_requested=models[0],
        finish_reason=choice.finish_reason,
    )
