"""The model and its tools: rounds of a streamed model call and the tools it asks for, up
to CHAT_MAX_TOOL_ROUNDS, every piece of text and every tool event sent as it comes."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from typing import Any

from django.conf import settings
from pydantic import BaseModel

from chat import frames, texts
from chat.citations import pack_sources, reading_sources
from chat.prompts import ROUND_LIMIT_NOTE
from chat.quota import ahead_fits, meter_rows, next_call_estimate, round_settle, stream_model
from chat.running import ANSWERS
from chat.tool_calls import Tools
from chat.turns import Answer, Broadcast, Turn, conversation
from core.db import db_sync_to_async
from governance.metering import Reserved, reserve_ahead
from governance.refusals import QuotaExceeded
from llm import gateway
from llm.models import LLMCall
from llm.pii import PiiScrubber
from tools.base import ToolError
from tools.registry import openai_tools

logger = logging.getLogger(__name__)

# Ready texts are sent in pieces of about this many characters, like a model's deltas.
TEXT_DELTA_CHARS = 48


async def model_answer(
    *, turn: Turn, answer: Answer, broadcast: Broadcast, llm_calls: list[LLMCall]
) -> None:
    """The model's answer, round by round; each model call is metered against the user's
    budget (raises QuotaExceeded when a reservation is refused)."""
    messages = await _messages(turn, answer)
    tools = Tools(turn=turn, answer=answer, broadcast=broadcast)
    rounds = settings.CHAT_MAX_TOOL_ROUNDS
    model_round = functools.partial(
        _model_round,
        turn=turn,
        answer=answer,
        broadcast=broadcast,
        messages=messages,
        deadline=gateway.deadline_in(settings.CHAT_ANSWER_DEADLINE_S),
        llm_calls=llm_calls,
        # One scrubber for the answer's calls: each round resends the conversation so far.
        pii=PiiScrubber(names=turn.principal.names, public_ips=settings.PII_SCRUB_PUBLIC_IPS),
    )
    schemas = openai_tools(turn.principal.scenario)
    # The next call's reservation: the question's own for the first call, then each one made
    # with the settle of the call before (chat.quota.round_settle).
    ahead: Reserved | QuotaExceeded | None = turn.first_call
    try:
        for number in range(1, rounds + 1):
            reserved, ahead = await _ahead_checked(ahead, messages), None
            text, calls, refusals, ahead = await model_round(tools=schemas, reserved=reserved)
            if not calls:
                return
            messages.append(_assistant_tool_message(text=text, calls=calls))
            await _tools_run(tools, calls, refusals, messages=messages, number=number)
        # Still asking for tools after the last round: one last call without tools.
        messages.append({"role": "system", "content": ROUND_LIMIT_NOTE})
        reserved, ahead = await _ahead_checked(ahead, messages), None
        await model_round(tools=None, reserved=reserved)
    finally:
        # A reservation made ahead for a call never made (a tool failed, the user stopped):
        # given back, as a call that brought nothing back gives its own.
        if isinstance(ahead, Reserved) and not ahead.settled:
            await asyncio.shield(db_sync_to_async(ahead.settle)())
    if not answer.content.strip():
        await text_stream(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            text=texts.ROUND_LIMIT_TEXT.format(rounds=rounds),
        )


async def _messages(turn: Turn, answer: Answer) -> list[dict[str, Any]]:
    """What the model is sent first (the turn's, or built now), its sources cited."""
    if turn.messages is not None:
        messages = list(turn.messages)
    else:
        messages = await db_sync_to_async(conversation)(turn)
    if messages and messages[0]["role"] == "system":
        answer.sources.extend(pack_sources(messages[0]["content"]))
    answer.sources.extend(reading_sources(messages))
    return messages


async def _tools_run(
    tools: Tools,
    calls: list[gateway.ToolCall],
    refusals: list[ToolError | None] | None,
    *,
    messages: list[dict[str, Any]],
    number: int,
) -> None:
    """Run the calls the model asked for, in turn; each result goes to `messages`."""
    for index, call in enumerate(calls):
        result = await tools.call(
            call_id=call.id,
            name=call.name,
            arguments_json=call.arguments,
            round_number=number,
            admitted=refusals is not None,
            refusal=refusals[index] if refusals is not None else None,
        )
        messages.append({"role": "tool", "tool_call_id": call.id, "content": _tool_content(result)})


async def _ahead_checked(
    ahead: Reserved | QuotaExceeded | None, messages: list[dict[str, Any]]
) -> Reserved | QuotaExceeded | None:
    """`ahead` when it covers the call on `messages`; else None (given back: the call
    reserves its own), as when a tool returned more than tools.base allows."""
    if isinstance(ahead, Reserved) and not ahead_fits(ahead, messages):
        await asyncio.shield(db_sync_to_async(ahead.settle)())
        return None
    return ahead


async def _model_round(
    *,
    turn: Turn,
    answer: Answer,
    broadcast: Broadcast,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    deadline: float,
    llm_calls: list[LLMCall],
    reserved: Reserved | QuotaExceeded | None = None,
    pii: PiiScrubber | None = None,
) -> tuple[
    str, list[gateway.ToolCall], list[ToolError | None] | None, Reserved | QuotaExceeded | None
]:
    """One model call, metered: the reservation settles with the rows the gateway recorded
    for it (every attempt's), whatever happens. `reserved`: made already on `messages` (the
    question's, or with the settle of the call before), or the budget's refusal of it.
    Returns its text, the tools it wants, what their admissions said and the reservation of
    the call that will read their results (chat.quota.round_settle's, made with the
    settle)."""
    policy = turn.policy
    if isinstance(reserved, QuotaExceeded):
        raise reserved
    if reserved is None:
        reserved = await db_sync_to_async(reserve_ahead)(
            policy, messages=messages, max_tokens=settings.CHAT_MAX_ANSWER_TOKENS
        )
    recorded = len(llm_calls)
    calls = None
    try:
        text, calls = await _model_stream(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            messages=messages,
            tools=tools,
            deadline=deadline,
            model=stream_model(policy, messages),
            pii=pii,
        )
    finally:
        meter_rows(reserved.meter, llm_calls[recorded:])
        # Shielded: a cancel (the client went away) must not leave the estimate counted. The
        # tools asked for are admitted in the same trip; the answer's last settle reads its
        # budget (the final frame's).
        names = [call.name for call in calls] if calls else None
        ahead = (
            next_call_estimate(policy, messages=messages, text=text, calls=calls) if calls else None
        )
        settle = functools.partial(round_settle, reserved, policy=policy, names=names, ahead=ahead)
        answer.budget, refusals, next_call = await asyncio.shield(db_sync_to_async(settle)())
    return text, calls, refusals, next_call


async def _model_stream(
    *,
    turn: Turn,
    answer: Answer,
    broadcast: Broadcast,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    deadline: float,
    model: str | None,
    pii: PiiScrubber | None = None,
) -> tuple[str, list[gateway.ToolCall]]:
    """One model call: deltas go out as they come; returns its text and the tools it wants."""
    text: list[str] = []
    calls: list[gateway.ToolCall] = []
    pending = _Deltas(turn=turn, broadcast=broadcast)
    events = gateway.stream(
        purpose=f"chat_{turn.principal.scenario}",
        messages=messages,
        model=model,
        tools=tools,
        tool_choice="auto" if tools else None,
        max_tokens=settings.CHAT_MAX_ANSWER_TOKENS,
        deadline=deadline,
        user_id=turn.principal.user_id,
        correlation_id=turn.correlation_id,
        pii_names=turn.principal.names,
        pii=pii,
        gather_s=_gather_s(),
    )
    try:
        async for event in events:
            if event.kind == "delta":
                # The model is shown its own text as it wrote it (tool rounds).
                text.append(event.text)
                await pending.add(answer.add_text(event.text))
            elif event.kind == "tool_call" and tools:
                calls.append(event.tool_call)
            elif event.kind == "done":
                answer.add_usage(event.completion)
        await pending.flush()
    finally:
        # Cancelled mid-stream: close the generator now, which closes the HTTP response.
        await events.aclose()
    return "".join(text), calls


def _gather_s() -> float:
    """How often a model's stream is read (0: as each chunk comes): gathered per delta frame
    once enough answers stream in this process that their wake-ups cost (chat.running)."""
    start = settings.CHAT_STREAM_GATHER_FROM
    if start and ANSWERS.count() >= start:
        return settings.CHAT_DELTA_FLUSH_MS / 1000
    return 0.0


class _Deltas:
    """Streamed text goes out at most every CHAT_DELTA_FLUSH_MS: the first piece at once,
    later ones gathered, so a model streaming a token per chunk does not cost a frame (and a
    send per socket) per token."""

    def __init__(self, *, turn: Turn, broadcast: Broadcast) -> None:
        self.turn = turn
        self.broadcast = broadcast
        self.pieces: list[str] = []
        self.sent_at: float | None = None

    async def add(self, piece: str) -> None:
        self.pieces.append(piece)
        interval_s = settings.CHAT_DELTA_FLUSH_MS / 1000
        if self.sent_at is None or time.monotonic() - self.sent_at >= interval_s:
            await self.flush()

    async def flush(self) -> None:
        if not self.pieces:
            return
        content, self.pieces = "".join(self.pieces), []
        self.sent_at = time.monotonic()
        await self.broadcast(
            frames.frame("assistant_delta", message_id=self.turn.answer_id, content=content)
        )


def _assistant_tool_message(*, text: str, calls: list[gateway.ToolCall]) -> dict:
    return {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments or "{}"},
            }
            for call in calls
        ],
    }


def _tool_content(result: BaseModel | ToolError) -> str:
    """What the model is shown: the result as data, or the error as an error."""
    if isinstance(result, ToolError):
        return json.dumps({"ok": False, "error": str(result)}, ensure_ascii=False)
    return json.dumps({"ok": True, "data": result.model_dump(mode="json")}, ensure_ascii=False)


async def text_stream(*, turn: Turn, answer: Answer, broadcast: Broadcast, text: str) -> None:
    """Send a ready text as deltas, cut at spaces, the way a model's answer arrives."""
    start = 0
    while start < len(text):
        end = min(len(text), start + TEXT_DELTA_CHARS)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        piece = answer.add_text(text[start:end])
        await broadcast(frames.frame("assistant_delta", message_id=turn.answer_id, content=piece))
        start = end
