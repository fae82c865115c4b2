"""The request every prompt passes through, and one non-streamed HTTP attempt of it
(llm.sdk_private's wire), which `structured` makes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from openai.types.chat import ChatCompletion

from llm import sdk_private
from llm.accounting import Call, cost_source, ms_since, usage_fields
from llm.models import LLMCall
from llm.pii import PiiScrubber
from llm.redact import TextFunction, credentials_scrub, messages_scrub
from llm.retry import AttemptFailed
from llm.types import ToolCall


def request_build(
    *,
    messages: list[dict],
    tools: list[dict] | None,
    tool_choice: Any,
    temperature: float,
    max_tokens: int,
    pii: PiiScrubber | None = None,
) -> dict:
    # Every prompt passes here (or structured()'s converter): the one place secrets pasted
    # into free text are kept from the model, and with `pii` personal data too.
    request: dict[str, Any] = {
        "messages": messages_outgoing(messages, pii),
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    if tools:
        request["tools"] = tools
    if tool_choice is not None:
        request["tool_choice"] = tool_choice
    return request


def messages_outgoing(messages: list[dict], pii: PiiScrubber | None) -> list[dict]:
    """`messages` as the model receives them: secrets dropped and, with `pii`, personal data
    as placeholders (outgoing_text on every string)."""
    return messages_scrub(messages, outgoing_text(pii))


def outgoing_text(pii: PiiScrubber | None) -> TextFunction | None:
    """What is done to each string of a prompt: secrets dropped (the default, None), then
    with `pii` personal data swapped for placeholders (secrets first: a secret is dropped,
    never restored)."""
    if pii is None:
        return None

    def text(value: str) -> str:
        return pii.scrub(credentials_scrub(value))

    return text


def tool_calls_of(message: Any) -> list[ToolCall]:
    return [
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
        for call in message.tool_calls or []
        if call.type == "function"
    ]


async def completion_attempt(
    call: Call, *, request: dict, model: str, timeout: float, number: int
) -> ChatCompletion:
    """One HTTP attempt. A failed one raises (llm.retry records it); the row of an answer
    waits in `call.pending_row` for Instructor's verdict on it."""
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
    call.pending_row = {
        "model_requested": model,
        "model_answered": answered,
        "attempt": number,
        "http_status": 200,
        "latency_ms": ms_since(started),
        "cost_source": cost_source(response.usage),
        **usage,
    }
    return response
