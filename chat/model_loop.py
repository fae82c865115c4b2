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
from chat.citations import pack_sources, reading_sources, tool_source
from chat.neutralise import html_neutralise
from chat.prompts import ROUND_LIMIT_NOTE
from chat.quota import meter_rows, round_settle, stream_model, tool_refusal
from chat.services import tool_call_audit_create
from chat.turns import Answer, Broadcast, Turn, conversation
from core.db import db_sync_to_async, db_waiting
from governance.metering import Reserved, reserve_ahead
from governance.refusals import QuotaExceeded
from infrazen.models import InfraZenUser
from infrazen.selectors import user_get
from llm import gateway
from llm.models import LLMCall
from tools.base import ToolError
from tools.registry import TOOLS, openai_tools, result_summary, tool_refused_count, tool_run

logger = logging.getLogger(__name__)

# Ready texts are sent in pieces of about this many characters, like a model's deltas.
TEXT_DELTA_CHARS = 48


class Tools:
    """One answer's tool calls: each framed (`tool_call`, `tool_result`), run as the
    connection's user and audited."""

    def __init__(self, *, turn: Turn, answer: Answer, broadcast: Broadcast) -> None:
        self.turn = turn
        self.answer = answer
        self.broadcast = broadcast

    @functools.cached_property
    def user(self) -> InfraZenUser:
        """The principal's row, which the tools act as (sync: read on the first call, once
        per answer). An answer that calls no tool needs none."""
        return user_get(user_id=self.turn.principal.user_id)

    async def call(
        self,
        *,
        call_id: str,
        name: str,
        arguments_json: str,
        round_number: int,
        admitted: bool = False,
        refusal: ToolError | None = None,
    ) -> BaseModel | ToolError:
        """Frame, run and audit one call; `admitted`: its policy and calls-a-minute limit
        were checked already (with its model call's settle), `refusal` what they said."""
        turn = self.turn
        module = TOOLS.get(name)
        self.answer.tool_calls += 1
        arguments = _arguments_for_frame(arguments_json)
        await self.broadcast(
            frames.frame(
                "tool_call",
                message_id=turn.answer_id,
                call_id=call_id,
                name=html_neutralise(name[:64]),
                label=getattr(module, "LABEL", texts.TOOL_LABEL_DEFAULT),
                arguments=arguments,
            )
        )
        # A tool that waits on a model (analyze_screenshot) runs off the database thread.
        run = db_waiting if getattr(module, "WAITS_ON_MODEL", False) else db_sync_to_async
        result = await run(self._execute)(
            name=name,
            arguments_json=arguments_json,
            arguments=arguments,
            round_number=round_number,
            admitted=admitted,
            refusal=refusal,
        )
        ok = not isinstance(result, ToolError)
        summary = result_summary(result) if ok else str(result)[:120]
        if ok:
            self.answer.sources.append(
                tool_source(
                    tool=name[:64],
                    label=getattr(module, "LABEL", texts.TOOL_LABEL_DEFAULT),
                    summary=summary,
                    data=result.model_dump(mode="json"),
                )
            )
        await self.broadcast(
            frames.frame(
                "tool_result",
                message_id=turn.answer_id,
                call_id=call_id,
                name=html_neutralise(name[:64]),
                ok=ok,
                # Summaries quote the user's own data (resource names), which may hold markup.
                summary=html_neutralise(summary),
            )
        )
        return result

    def _execute(
        self,
        *,
        name: str,
        arguments_json: str,
        arguments: Any,
        round_number: int,
        admitted: bool,
        refusal: ToolError | None,
    ) -> BaseModel | ToolError:
        """Run one tool as the connection's user and audit it (sync: it reads the database)."""
        turn = self.turn
        principal = turn.principal
        started = time.monotonic()
        try:
            # The user's tool policy and calls-a-minute limit; the model is told a refusal.
            if not admitted:
                refusal = tool_refusal(policy=turn.policy, name=name)
            if refusal is not None:
                tool_refused_count(name)
            result: BaseModel | ToolError = refusal or tool_run(
                user=self.user,
                name=name,
                arguments_json=arguments_json,
                scenario=principal.scenario,
            )
        except ToolError as exc:
            result = exc
        except Exception:
            logger.exception("tool %s failed", name[:64], extra={"session_id": turn.session_id})
            result = ToolError(f"{name[:64]} failed; the data is unavailable right now")
        ok = not isinstance(result, ToolError)
        tool_call_audit_create(
            session_id=turn.session_id,
            user_id=principal.user_id,
            tool=name,
            arguments=arguments,
            result=result if ok else None,
            ok=ok,
            error="" if ok else str(result),
            latency_ms=(time.monotonic() - started) * 1000,
            round=round_number,
            correlation_id=turn.correlation_id,
            message_id=turn.answer_id,
        )
        return result


def _arguments_for_frame(arguments_json: str) -> Any:
    try:
        return json.loads(arguments_json or "{}")
    except ValueError:
        return arguments_json[:500]


async def model_answer(
    *, turn: Turn, answer: Answer, broadcast: Broadcast, llm_calls: list[LLMCall]
) -> None:
    """The model's answer, round by round; each model call is metered against the user's
    budget (raises QuotaExceeded when a reservation is refused)."""
    if turn.messages is not None:
        messages = list(turn.messages)
    else:
        messages = await db_sync_to_async(conversation)(turn)
    if messages and messages[0]["role"] == "system":
        answer.sources.extend(pack_sources(messages[0]["content"]))
    answer.sources.extend(reading_sources(messages))
    tools = Tools(turn=turn, answer=answer, broadcast=broadcast)
    schemas = openai_tools(turn.principal.scenario)
    deadline = gateway.deadline_in(settings.CHAT_ANSWER_DEADLINE_S)
    rounds = settings.CHAT_MAX_TOOL_ROUNDS
    for number in range(1, rounds + 1):
        text, calls, refusals = await _model_round(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            messages=messages,
            tools=schemas,
            deadline=deadline,
            llm_calls=llm_calls,
            reserved=turn.first_call if number == 1 else None,
        )
        if not calls:
            return
        messages.append(_assistant_tool_message(text=text, calls=calls))
        for index, call in enumerate(calls):
            result = await tools.call(
                call_id=call.id,
                name=call.name,
                arguments_json=call.arguments,
                round_number=number,
                admitted=refusals is not None,
                refusal=refusals[index] if refusals is not None else None,
            )
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": _tool_content(result)}
            )
    # Still asking for tools after the last round: one last call without tools.
    messages.append({"role": "system", "content": ROUND_LIMIT_NOTE})
    await _model_round(
        turn=turn,
        answer=answer,
        broadcast=broadcast,
        messages=messages,
        tools=None,
        deadline=deadline,
        llm_calls=llm_calls,
    )
    if not answer.content.strip():
        await text_stream(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            text=texts.ROUND_LIMIT_TEXT.format(rounds=rounds),
        )


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
) -> tuple[str, list[gateway.ToolCall], list[ToolError | None] | None]:
    """One model call, metered: the reservation settles with the rows the gateway recorded
    for it (every attempt's), whatever happens. `reserved`: made already on `messages` (the
    first call's, with the question), or the budget's refusal of it. Returns its text, the
    tools it wants and what their admissions said (chat.quota.round_settle's, made with the
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
        )
    finally:
        meter_rows(reserved.meter, llm_calls[recorded:])
        # Shielded: a cancel (the client went away) must not leave the estimate counted. The
        # tools asked for are admitted in the same trip; the answer's last settle reads its
        # budget (the final frame's).
        names = [call.name for call in calls] if calls else None
        settle = functools.partial(round_settle, reserved, policy=policy, names=names)
        answer.budget, refusals = await asyncio.shield(db_sync_to_async(settle)())
    return text, calls, refusals


async def _model_stream(
    *,
    turn: Turn,
    answer: Answer,
    broadcast: Broadcast,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    deadline: float,
    model: str | None,
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
