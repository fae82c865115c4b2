"""The chat engine: one answer to one question, streamed, with tools, stoppable.

One engine serves both scenarios and every endpoint, through one entry: `question_ask`.
It claims the session (chat.running), stores the question and the answer's placeholder
before the model is called (chat.turns), and runs `answer_run` as its own asyncio task so a
`stop` frame is never stuck behind the stream. Every frame goes out through the session's
`broadcast` (chat.fanout: this process's sockets directly, other processes' through the
channel layer), so all tabs of a session see the same answer. The answer is the model and
its tools (chat.model_loop), or without a language model the offline planner (chat.offline).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from chat import frames, texts
from chat.auth import ChatAuthError, ChatPrincipal
from chat.fanout import SESSIONS
from chat.image_memory import images_in_answer
from chat.model_loop import model_answer, text_stream
from chat.neutralise import html_neutralise
from chat.offline import PlannedCall, offline_answer, offline_followup, offline_plan
from chat.owners import answer_listen, answer_stop_elsewhere
from chat.prompt_cache import PROMPTS
from chat.quota import STATUS_REFUSED
from chat.running import ANSWERS
from chat.tool_calls import Tools
from chat.turns import (
    STATUS_DONE,
    STATUS_FAILED,
    STATUS_STOPPED,
    Answer,
    Broadcast,
    Checkpoints,
    Turn,
    answer_finish,
    question_refused,
    turn_begin,
)
from core import metrics
from core.correlation import correlation_id_var
from core.shutdown import shutting_down
from governance.refusals import QuotaExceeded
from infrazen.models import ChatSession
from llm import gateway
from llm.errors import LLMDeadlineExceeded, LLMError
from tools.base import ToolError

logger = logging.getLogger(__name__)

OFFLINE_MODEL = "offline"


@dataclass(frozen=True)
class Refused:
    """A question the engine did not take: the error frame for the asking socket, and the
    close code when the socket must go (its access was revoked)."""

    frame: dict[str, Any]
    close_code: int | None = None
    close_reason: str = ""


async def question_ask(
    *,
    principal: ChatPrincipal,
    session: ChatSession,
    question: frames.ClientFrame,
    channel_name: str,
    busy_elsewhere: bool,
) -> Refused | None:
    """Take a question from the socket `channel_name`: store it, send it to the session's
    other sockets and start its answer; or say why not. `busy_elsewhere`: the socket knows
    of an answer streaming in another process."""
    client_id = question.client_id
    if shutting_down():
        error = frames.error_frame(
            frames.ERROR_RESTART, texts.RESTART_REFUSED_TEXT, client_id=client_id
        )
        return Refused(error)
    if busy_elsewhere or not ANSWERS.reserve(session.pk):
        return Refused(frames.error_frame(frames.ERROR_BUSY, texts.BUSY_TEXT, client_id=client_id))
    try:
        turn = await turn_begin(principal=principal, session=session, question=question.content)
    except ChatAuthError as refused:
        ANSWERS.release(session.pk)
        logger.warning(
            "chat question refused: %s", refused.reason, extra={"session_id": session.pk}
        )
        error = frames.error_frame(
            frames.ERROR_FORBIDDEN, texts.FORBIDDEN_TEXT, client_id=client_id
        )
        return Refused(error, close_code=refused.close_code, close_reason=refused.reason)
    except Exception:
        ANSWERS.release(session.pk)
        logger.exception("chat question could not be stored", extra={"session_id": session.pk})
        error = frames.error_frame(
            frames.ERROR_INTERNAL, texts.NOT_STORED_TEXT, client_id=client_id
        )
        return Refused(error)
    asked = frames.frame(
        "user",
        message_id=turn.question_id,
        content=html_neutralise(question.content),
        client_id=client_id,
    )
    # The InfraZen client drew its own bubble already; a new client (client_id) gets the
    # stored id back. Other tabs always see the question.
    skip_channel = channel_name if client_id is None else None
    await SESSIONS.broadcast(session.pk, asked, skip_channel=skip_channel)
    broadcast = functools.partial(SESSIONS.broadcast, session.pk)
    if turn.refusal is not None:
        ANSWERS.release(session.pk)
        await question_refused(turn=turn, broadcast=broadcast, client_id=client_id)
        return None
    answer_start(turn=turn, broadcast=broadcast)
    return None


def answer_stop(session_id: str) -> None:
    """Stop the session's answer, here or in the process that runs it (another tab on
    another worker)."""
    ANSWERS.stop(session_id)
    SESSIONS.to_other_processes(session_id, {"type": "chat.stop"})
    answer_stop_elsewhere(session_id)


def answer_start(*, turn: Turn, broadcast: Broadcast) -> asyncio.Task:
    """Run the answer as its own task; the session is released when it ends."""
    deliver = _delivery(broadcast, session_id=turn.session_id)
    task = ANSWERS.start(
        session_id=turn.session_id,
        answer_id=turn.answer_id,
        run=answer_run(turn=turn, broadcast=deliver),
    )
    # A tab of the session that reconnects to another process asks whether it runs.
    answer_listen(session_id=turn.session_id, answer_id=turn.answer_id, answer=task)
    return task


def _delivery(broadcast: Broadcast, *, session_id: str) -> Broadcast:
    """`broadcast` that never fails the answer: with the channel layer down (a Redis outage)
    the answer still completes and is stored, and the clients get it through the replay."""
    failed = False

    async def deliver(frame: dict[str, Any]) -> None:
        nonlocal failed
        if ANSWERS.stop_requested(asyncio.current_task()):
            raise asyncio.CancelledError
        try:
            await broadcast(frame)
        except Exception:
            if not failed:
                logger.exception("chat frames undeliverable", extra={"session_id": session_id})
            failed = True

    return deliver


async def answer_run(*, turn: Turn, broadcast: Broadcast) -> str:
    """Produce, stream and store the answer to `turn`; returns its status. Never raises."""
    correlation_id_var.set(turn.correlation_id)
    answer = Answer()
    checkpoints = Checkpoints(turn=turn, answer=answer)
    status, error_code, refusal = STATUS_DONE, None, None
    started = time.monotonic()
    broadcast = _first_delta_timed(broadcast, scenario=turn.principal.scenario, started=started)
    # The model calls' accounting rows wait here, to be stored with the answer.
    with gateway.llm_calls_collected() as llm_calls:
        try:
            await broadcast(frames.frame("typing", message_id=turn.answer_id))
            await _answer_produce(
                turn=turn, answer=answer, broadcast=broadcast, llm_calls=llm_calls
            )
            if not answer.content.strip():
                raise LLMError("the model returned an empty answer")
        except asyncio.CancelledError:
            # `stop` or a shutdown: the gateway has closed the upstream stream on its way out.
            interrupted = ANSWERS.cancelled(asyncio.current_task())
            status = STATUS_FAILED if interrupted else STATUS_STOPPED
            error_code = frames.ERROR_RESTART if interrupted else None
        except QuotaExceeded as refused:
            status, refusal = STATUS_REFUSED, refused
        except LLMDeadlineExceeded:
            status, error_code = STATUS_FAILED, frames.ERROR_TIMEOUT
        except LLMError as exc:
            status, error_code = STATUS_FAILED, frames.ERROR_MODEL
            logger.warning("chat answer failed: %s", exc, extra={"session_id": turn.session_id})
        except Exception:
            status, error_code = STATUS_FAILED, frames.ERROR_INTERNAL
            logger.exception("chat answer failed", extra={"session_id": turn.session_id})

    task = asyncio.current_task()
    await ANSWERS.finish(
        answer_finish(
            turn=turn,
            answer=answer,
            checkpoints=checkpoints,
            status=status,
            error_code=error_code,
            broadcast=broadcast,
            stored=lambda: ANSWERS.release_own(turn.session_id, task),
            llm_calls=llm_calls,
            started=started,
            refusal=refusal,
        )
    )
    metrics.chat_answers.labels(turn.principal.scenario, status).inc()
    if not shutting_down():
        PROMPTS.prefetch(principal=turn.principal, session_id=turn.session_id)
    return status


async def _answer_produce(
    *, turn: Turn, answer: Answer, broadcast: Broadcast, llm_calls: list
) -> None:
    """The model's answer, or the offline assistant's: without a model, and when the
    service's daily cap refuses the model before it has said anything (with that notice).
    Raises QuotaExceeded for the user's own limits."""
    if not gateway.llm_available():
        await _offline_answer(turn=turn, answer=answer, broadcast=broadcast)
        return
    try:
        # Pasted screenshots are read for later turns while the model answers.
        async with images_in_answer(turn=turn, answer=answer):
            await model_answer(turn=turn, answer=answer, broadcast=broadcast, llm_calls=llm_calls)
    except QuotaExceeded as refused:
        if not refused.service_wide or answer.content.strip():
            raise
        await _offline_answer(turn=turn, answer=answer, broadcast=broadcast, notice=refused.message)


def _first_delta_timed(broadcast: Broadcast, *, scenario: str, started: float) -> Broadcast:
    """`broadcast`, observing the time from the answer's start to its first streamed text."""
    pending = True

    async def timed(frame: dict[str, Any]) -> None:
        nonlocal pending
        if pending and frame.get("type") == "assistant_delta":
            pending = False
            metrics.chat_first_delta.labels(scenario).observe(time.monotonic() - started)
        await broadcast(frame)

    return timed


# --- without a language model ---------------------------------------------------------------
async def _offline_answer(
    *, turn: Turn, answer: Answer, broadcast: Broadcast, notice: str = ""
) -> None:
    principal = turn.principal
    plan = offline_plan(
        scenario=principal.scenario,
        recommendation_id=principal.recommendation_id,
        context=principal.context,
        question=turn.question,
    )
    tools = Tools(turn=turn, answer=answer, broadcast=broadcast)
    results: list[tuple[PlannedCall, BaseModel | ToolError]] = []

    async def run(calls: list[PlannedCall], round_number: int) -> None:
        for call in calls:
            result = await tools.call(
                call_id=f"offline-{len(results) + 1}",
                name=call.name,
                arguments_json=json.dumps(call.arguments, ensure_ascii=False),
                round_number=round_number,
            )
            results.append((call, result))

    await run(plan.calls, 1)
    # Calls that need the first results' figures (calculate_savings needs the costs).
    await run(offline_followup(plan=plan, results=results), 2)
    answer.model = OFFLINE_MODEL
    answer.figures_trusted = True
    text = offline_answer(plan=plan, results=results)
    if notice:
        text = f"{notice}\n\n{text}"
    await text_stream(turn=turn, answer=answer, broadcast=broadcast, text=text)
