"""Structured output: a validated Pydantic object through Instructor's TOOLS mode (a forced
tool call whose arguments are the object), with Instructor's re-ask after a bad answer and
our retry loop under every request."""

from __future__ import annotations

import asyncio
import platform
from typing import Any, TypeVar

from django.conf import settings
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from llm import sdk_private
from llm.accounting import Call, call_start
from llm.clients import http_client
from llm.completion import completion_attempt, messages_outgoing, tool_calls_of
from llm.config import models_for, wants_vision
from llm.errors import LLMValidationError
from llm.models import LLMCall
from llm.pii import PiiScrubber
from llm.retry import with_retries
from llm.types import Completion

M = TypeVar("M", bound=BaseModel)


def structured_prepare(response_model: type[BaseModel]) -> None:
    """Build now what the first `structured` call for this model would build: Instructor's
    handlers (imported on first use) and the model's tool, the SDK's HTTP client modules,
    and the validator of the completion model (pydantic builds it on first use).

    For a worker's startup: its first text request paid ≈ 70 ms of CPU for these, on the
    event loop every other socket of the worker waits on. No network, no client kept.
    """
    sdk_private.instructor_tools(response_model)
    http_client()  # its transport imports httpcore2 and reads the CA bundle
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
    pii_names: tuple[str, ...] = (),
) -> tuple[M, Completion]:
    """A validated `response_model` instance, through Instructor's TOOLS mode (a forced
    tool call whose arguments are the object).

    Instructor builds the tool from the model, parses and validates the answer, and words
    the re-ask after a validation failure, at most `max_validation_retries` times; every
    HTTP failure is handled by our retry loop inside each request. `validation_context`
    reaches the model's validators as `info.context`, so one model class can check answers
    against per-call data. Raises LLMValidationError when the last answer still does not
    validate, LLMUnavailable / LLMDeadlineExceeded otherwise.

    Personal data never reaches the model (llm.pii), as in `stream`: it goes out as
    placeholders, restored in the answer before the validators see it (a fact-lock compares
    the real values) and scrubbed again in a re-ask (its error may quote them).
    """
    call = call_start(
        purpose=purpose, deadline=deadline, user_id=user_id, correlation_id=correlation_id
    )
    models = models_for(model=model, vision=vision or wants_vision(messages))
    handlers, parse_model, tool = sdk_private.instructor_tools(response_model)
    pii = PiiScrubber(names=pii_names, public_ips=settings.PII_SCRUB_PUBLIC_IPS)
    # The re-ask extends the message list: a copy, so the caller's list stays as it was.
    request = {
        **tool,
        "messages": handlers.message_converter(messages_outgoing(messages, pii)),
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    asking = _Asking(call, models, handlers, parse_model, validation_context, pii)
    try:
        return await asking.answer(request, reasks=max(0, max_validation_retries))
    except sdk_private.IncompleteOutputException:
        await call.flush_pending(LLMCall.Outcome.VALIDATION_ERROR)
        raise LLMValidationError(
            "the model's answer was cut off",
            errors="finish_reason=length: the answer hit max_tokens before it was complete",
            completion=asking.completion(),
        ) from None
    except asyncio.CancelledError:
        await call.flush_pending(LLMCall.Outcome.CANCELLED)
        raise


class _Asking:
    """One structured call's passes: ask, parse, re-ask, until an answer validates."""

    def __init__(
        self,
        call: Call,
        models: list[str],
        handlers: Any,
        parse_model: type[M],
        validation_context: dict | None,
        pii: PiiScrubber,
    ) -> None:
        self.call = call
        self.models = models
        self.handlers = handlers
        self.parse_model = parse_model
        self.validation_context = validation_context
        self.pii = pii
        self.last_response: ChatCompletion | None = None

    async def answer(self, request: dict, *, reasks: int) -> tuple[Any, Completion]:
        call = self.call

        async def attempt(candidate: str, timeout: float, number: int) -> ChatCompletion:
            return await completion_attempt(
                call, request=request, model=candidate, timeout=timeout, number=number
            )

        for asked in range(reasks + 1):
            response = await with_retries(call, models=self.models, attempt=attempt)
            self.last_response = _restored(response, self.pii)
            try:
                answer = self.handlers.response_parser(
                    response=self.last_response,
                    response_model=self.parse_model,
                    validation_context=self.validation_context,
                    strict=True,
                    stream=False,
                    is_async=True,
                )
            except sdk_private.INSTRUCTOR_REASKABLE as exc:
                await call.flush_pending(LLMCall.Outcome.VALIDATION_ERROR)
                if asked == reasks:
                    raise LLMValidationError(
                        "the model's answer did not have the expected shape",
                        errors=str(exc),
                        completion=self.completion(),
                    ) from None
                # The model's own (scrubbed) answer goes back, and the error scrubbed.
                request = self.handlers.reask_handler(
                    kwargs=request, response=response, exception=exc
                )
                request["messages"] = messages_outgoing(request["messages"], self.pii)
                continue
            await call.flush_pending(LLMCall.Outcome.OK)
            return answer, self.completion()
        raise AssertionError("unreachable: every pass returns, re-asks or raises")

    def completion(self) -> Completion:
        """The accounting of every pass, with the last answer's text and tool calls."""
        model_requested = self.models[0]
        response = self.last_response
        if response is None:
            return self.call.completion(
                text="",
                tool_calls=[],
                model="",
                model_requested=model_requested,
                finish_reason=None,
            )
        choice = response.choices[0]
        return self.call.completion(
            text=choice.message.content or "",
            tool_calls=tool_calls_of(choice.message),
            model=response.model or model_requested,
            model_requested=model_requested,
            finish_reason=choice.finish_reason,
        )


def _restored(response: ChatCompletion, pii: PiiScrubber) -> ChatCompletion:
    """The answer with the placeholders `pii` issued put back (a copy; the model's own one
    is what a re-ask replays)."""
    if not pii.issued or not response.choices:
        return response
    restored = response.model_copy(deep=True)
    message = restored.choices[0].message
    if message.content:
        message.content = pii.restore(message.content)
    for tool_call in message.tool_calls or ():
        if tool_call.type == "function" and tool_call.function.arguments:
            tool_call.function.arguments = pii.restore(tool_call.function.arguments)
    return restored
