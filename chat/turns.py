"""One turn of the chat: the question stored with its answer's placeholder, what the model
is sent, and the answer's end (its checkpoints while it streams, its row and final frame).

An answer always ends in exactly one final `assistant` frame and one stored message:
  done     the whole answer
  stopped  what was streamed + STOPPED_MARKER (the upstream stream is closed at once)
  failed   what was streamed + FAILED_MARKER, after an `error` frame (RESTART_MARKER when
           the process was shutting down: see chat.running)
While it streams, its row holds what was streamed so far + RESTART_MARKER, rewritten at most
every CHAT_CHECKPOINT_S (Checkpoints), so a worker killed mid-answer leaves that behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings

from chat import frames, image_memory, texts
from chat.auth import ChatPrincipal
from chat.citations import Checked, Source, figures_check
from chat.images import IMAGE_REF, image_question_build, image_user_message
from chat.neutralise import HtmlStream, html_neutralise
from chat.prompt_cache import PROMPTS
from chat.prompts import IMAGES_MISSING_NOTE
from chat.quota import STATUS_REFUSED, budget_left, chat_policy, refused_content
from chat.selectors import chat_history_for_model
from chat.services import (
    FAILED_MARKER,
    RESTART_MARKER,
    STOPPED_MARKER,
    chat_answer_checkpoint,
    chat_answer_mark,
    chat_message_update_content,
    chat_turn_begin,
    message_cost_create,
    message_figures_create,
)
from core.correlation import new_correlation_id
from core.db import db_sync_to_async
from governance.budgets import BudgetStatus
from governance.metering import Reserved, question_reserve_ahead
from governance.per_minute import question_admit
from governance.policy import Policy
from governance.refusals import QuotaExceeded
from infrazen.models import ChatMessage, ChatSession
from llm import gateway
from llm.models import LLMCall

logger = logging.getLogger(__name__)

Broadcast = Callable[[dict[str, Any]], Awaitable[None]]

STATUS_DONE = "done"
STATUS_STOPPED = "stopped"
STATUS_FAILED = "failed"

ERROR_MESSAGES = {
    frames.ERROR_MODEL: texts.MODEL_ERROR_TEXT,
    frames.ERROR_TIMEOUT: texts.TIMEOUT_TEXT,
    frames.ERROR_INTERNAL: texts.INTERNAL_ERROR_TEXT,
    frames.ERROR_RESTART: texts.RESTART_TEXT,
}


@dataclass(frozen=True)
class Turn:
    """What one answer needs, fixed when the question is stored: plain data, no row."""

    principal: ChatPrincipal
    session_id: str
    question_id: int
    answer_id: int
    question: str
    correlation_id: str
    # What the model is sent, built with the rows in one database call (None: offline, or
    # it failed there and the answer builds it again, reporting the failure itself).
    messages: list[dict[str, Any]] | None = None
    # The user's limits and model (governance); set for every turn turn_prepare builds.
    policy: Policy | None = None
    # A question its user's limit kept from the model: stored with this as its answer.
    refusal: QuotaExceeded | None = None
    # The refused question's budget left (the final frame's `budget`).
    budget: dict[str, Any] | None = None
    # The first model call's reservation on `messages`, made with the question's admission
    # (chat.model_loop settles it; answer_finish gives it back if the model is never called),
    # or the budget's refusal of it, raised where the model would have been called.
    first_call: Reserved | QuotaExceeded | None = None


@dataclass
class Answer:
    """What the answer has produced so far: enough to store it whatever happens next."""

    text: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    model: str = ""
    tool_calls: int = 0
    # Text is kept and sent HTML-neutralised (chat.neutralise), piece by piece.
    html: HtmlStream = field(default_factory=HtmlStream)
    # The turn's data its figures are traced to (chat.citations); the offline assistant
    # writes its figures from that data itself, so they are cited but never marked.
    sources: list[Source] = field(default_factory=list)
    figures_trusted: bool = False
    # The user's budget after the answer's last settle, when it reported one (the final
    # frame's `budget` without reading it again).
    budget: BudgetStatus | None = None

    def add_text(self, piece: str) -> str:
        """Keep a piece of the answer; returns it as it is sent and stored."""
        piece = self.html.piece(piece)
        self.text.append(piece)
        return piece

    def add_usage(self, completion: gateway.Completion, *, answered: bool = True) -> None:
        """`answered`: the call wrote the answer (its model is the answer's); a look at an
        image (chat.image_memory) adds its cost only."""
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.cost_usd += completion.cost_usd
        if answered or not self.model:
            self.model = completion.model

    @property
    def content(self) -> str:
        return "".join(self.text)


# --- the question -----------------------------------------------------------------------------
def turn_prepare(*, principal: ChatPrincipal, session: ChatSession, question: str) -> Turn:
    """Store the question and the answer's placeholder, build what the model is sent, and
    admit the question with its first model call's reservation.

    One database call per question: under load every call waits its turn on the one
    thread all the chat's database work runs on. A question over its user's
    questions-a-minute limit is stored with the refusal as its answer (`turn.refusal`).
    """
    policy = chat_policy(principal)
    stored_question, placeholder = chat_turn_begin(
        principal=principal, session=session, content=question
    )
    turn = Turn(
        principal=principal,
        session_id=session.pk,
        question_id=stored_question.pk,
        answer_id=placeholder.pk,
        question=question,
        correlation_id=new_correlation_id(),
        policy=policy,
    )
    messages = None
    if gateway.llm_available():
        try:
            messages = conversation(turn)
        except Exception:
            logger.warning("chat conversation not built with the turn", exc_info=True)
    try:
        first_call = _question_admit(policy, messages)
    except QuotaExceeded as refusal:
        chat_message_update_content(message=placeholder, content=refused_content(refusal))
        return replace(turn, refusal=refusal, budget=budget_left(policy))
    return replace(turn, messages=messages, first_call=first_call)


def _question_admit(
    policy: Policy, messages: list[dict[str, Any]] | None
) -> Reserved | QuotaExceeded | None:
    """Count the question in its user's questions-a-minute window (raises QuotaExceeded) and,
    with the model's messages built, reserve the first model call in the same round trip."""
    if messages is None:
        question_admit(policy=policy)
        return None
    return question_reserve_ahead(
        policy, messages=messages, max_tokens=settings.CHAT_MAX_ANSWER_TOKENS
    )


async def turn_first_call_release(turn: Turn) -> None:
    """Give back the first model call's reservation if the model was never called (the
    answer stopped, failed or went offline before it); settled once whatever the path."""
    reserved = turn.first_call
    if isinstance(reserved, Reserved) and not reserved.settled:
        # Shielded: a cancel must not leave the estimate counted.
        await asyncio.shield(db_sync_to_async(reserved.settle)())


async def turn_begin(*, principal: ChatPrincipal, session: ChatSession, question: str) -> Turn:
    await PROMPTS.prefetch_wait(session.pk)
    return await db_sync_to_async(turn_prepare)(
        principal=principal, session=session, question=question
    )


def conversation(turn: Turn) -> list[dict[str, Any]]:
    """System prompt with the context pack, then the history that fits the budget (sync)."""
    system = PROMPTS.prompt(
        principal=turn.principal, session_id=turn.session_id, within=settings.CHAT_CONTEXT_TTL_S
    )
    session = ChatSession(pk=turn.session_id)
    history = [
        message
        for message in chat_history_for_model(
            session=session, token_budget=settings.CHAT_HISTORY_TOKEN_BUDGET
        )
        if message["role"] in ("user", "assistant")
    ]
    if history and history[-1] == {"role": "user", "content": turn.question}:
        history = history[:-1]
    # Earlier screenshots may be gone: their refs become what was read from them.
    history = image_memory.readings_in_history(
        history, session_id=turn.session_id, user_id=turn.principal.user_id
    )
    return [{"role": "system", "content": system}, *history, _question_message(turn)]


def _question_message(turn: Turn) -> dict[str, Any]:
    """The question for the model; pasted screenshots (`[image:<id>]`) go along as images."""
    if not IMAGE_REF.search(turn.question):
        return {"role": "user", "content": turn.question}
    question = image_question_build(user_id=turn.principal.user_id, content=turn.question)
    if question.missing:
        # The model tells the user; the stored question keeps the refs as they were sent.
        note = IMAGES_MISSING_NOTE.format(count=len(question.missing))
        question = replace(question, text=f"{question.text}\n\n{note}")
    return image_user_message(question=question)


# --- the answer's row -----------------------------------------------------------------------
class Checkpoints:
    """One answer's checkpoints: what it has streamed so far, stored in its row with
    RESTART_MARKER every CHAT_CHECKPOINT_S when new text has come, so a worker killed
    mid-answer (no drain) leaves the answer marked interrupted up to its last checkpoint.

    One task writes them, one at a time, on the thread the other chat writes use; `end`
    waits for a write in flight, so the answer's final write always lands last.
    """

    def __init__(self, *, turn: Turn, answer: Answer) -> None:
        self.ended = asyncio.Event()
        self.task: asyncio.Task | None = None
        if settings.CHAT_CHECKPOINT_S > 0:
            self.task = asyncio.create_task(self._run(turn=turn, answer=answer))

    async def _run(self, *, turn: Turn, answer: Answer) -> None:
        stored = ""
        while not self.ended.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.CHAT_CHECKPOINT_S):
                    await self.ended.wait()
            streamed = answer.content
            if self.ended.is_set() or streamed == stored or not streamed.strip():
                continue
            stored = streamed
            content = chat_answer_mark(
                partial=html_neutralise(streamed.strip()), marker=RESTART_MARKER
            )
            try:
                await db_sync_to_async(chat_answer_checkpoint)(
                    message_id=turn.answer_id, content=content
                )
            except Exception:
                # A missed checkpoint costs only what a kill right now would lose; the
                # answer goes on and its final write follows.
                logger.warning(
                    "chat answer checkpoint not stored",
                    exc_info=True,
                    extra={"session_id": turn.session_id},
                )

    async def end(self) -> None:
        self.ended.set()
        if self.task is not None:
            await asyncio.wait({self.task})


def answer_store(
    *,
    turn: Turn,
    answer: Answer,
    content: str,
    llm_calls: list[LLMCall],
    checked: Checked | None = None,
) -> dict[str, Any] | None:
    """Store the answer, its model calls, its cost and how its figures were traced (sync);
    the user's budget left."""
    message = ChatMessage(pk=turn.answer_id, session_id=turn.session_id)
    tokens = answer.prompt_tokens + answer.completion_tokens
    try:
        chat_message_update_content(message=message, content=content, tokens=tokens)
    finally:
        gateway.llm_calls_save(llm_calls)
    if tokens or answer.cost_usd:
        message_cost_create(
            message_id=turn.answer_id,
            session_id=turn.session_id,
            user_id=turn.principal.user_id,
            model=answer.model,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            cost_usd=answer.cost_usd,
            correlation_id=turn.correlation_id,
        )
    if checked is not None and (checked.citations or checked.unverified):
        message_figures_create(
            message_id=turn.answer_id,
            session_id=turn.session_id,
            user_id=turn.principal.user_id,
            checked=checked,
        )
    return budget_left(turn.policy, answer.budget) if turn.policy is not None else None


def answer_checked(*, turn: Turn, answer: Answer) -> Checked:
    """The answer's text (neutralised: a no-op for the streamed text) with its figures
    traced to the turn's data, the unverified ones marked."""
    text = html_neutralise(answer.content.strip())
    try:
        return figures_check(
            text=text,
            sources=answer.sources,
            given=turn.question,
            mark=not answer.figures_trusted,
        )
    except Exception:
        # The answer is stored and sent whatever the check does: unchecked, not lost.
        logger.exception("chat answer figures not checked", extra={"session_id": turn.session_id})
        return Checked(content=text)


def _final_content(
    *,
    content: str,
    status: str,
    error_code: str | None,
    refusal: QuotaExceeded | None,
) -> str:
    # The final frame and the row get the same value.
    if refusal is not None:
        return refused_content(refusal, partial=content)
    if status == STATUS_STOPPED:
        return chat_answer_mark(partial=content, marker=STOPPED_MARKER)
    if error_code == frames.ERROR_RESTART:
        return chat_answer_mark(partial=content, marker=RESTART_MARKER)
    if status == STATUS_FAILED:
        return chat_answer_mark(partial=content, marker=FAILED_MARKER)
    return content


async def answer_finish(
    *,
    turn: Turn,
    answer: Answer,
    checkpoints: Checkpoints,
    status: str,
    error_code: str | None,
    broadcast: Broadcast,
    stored: Callable[[], None],
    llm_calls: list[LLMCall],
    started: float,
    refusal: QuotaExceeded | None = None,
) -> None:
    """Store the answer, then send its final frame (after an `error` frame if it failed or
    a limit refused it); `stored` is called in between: the next question may start the
    moment a client sees the final frame. A first model call never made gives its
    reservation back first."""
    await turn_first_call_release(turn)
    await checkpoints.end()
    checked = answer_checked(turn=turn, answer=answer)
    content = _final_content(
        content=checked.content, status=status, error_code=error_code, refusal=refusal
    )
    tokens = answer.prompt_tokens + answer.completion_tokens
    budget = None
    try:
        budget = await db_sync_to_async(answer_store)(
            turn=turn, answer=answer, content=content, llm_calls=llm_calls, checked=checked
        )
    except Exception:
        logger.exception("chat answer could not be stored", extra={"session_id": turn.session_id})
    stored()
    if refusal is not None:
        await broadcast(refusal_frame(turn=turn, refusal=refusal))
    elif error_code is not None:
        await broadcast(
            frames.error_frame(error_code, ERROR_MESSAGES[error_code], message_id=turn.answer_id)
        )
    await broadcast(
        final_frame(
            turn=turn,
            answer=answer,
            content=content,
            status=status,
            budget=budget,
            checked=checked,
        )
    )
    logger.info(
        "chat answer %s",
        status,
        extra={
            "session_id": turn.session_id,
            "message_id": turn.answer_id,
            "tokens": tokens,
            "tool_calls": answer.tool_calls,
            "elapsed_ms": round((time.monotonic() - started) * 1000),
        },
    )


def refusal_frame(
    *, turn: Turn, refusal: QuotaExceeded, client_id: str | None = None
) -> dict[str, Any]:
    """The `error` frame `quota_exceeded`: which limit, when it resets, in Russian."""
    fields = {"client_id": client_id} if client_id is not None else {}
    return frames.error_frame(
        refusal.code, refusal.message, message_id=turn.answer_id, **refusal.fields(), **fields
    )


def final_frame(
    *,
    turn: Turn,
    answer: Answer,
    content: str,
    status: str,
    budget: dict[str, Any] | None,
    checked: Checked | None = None,
) -> dict[str, Any]:
    """The final `assistant` frame: the answer, what it cost, the day's budget left, and
    where its figures come from."""
    return frames.frame(
        "assistant",
        message_id=turn.answer_id,
        content=content,
        status=status,
        reply_to=turn.question_id,
        tokens=answer.prompt_tokens + answer.completion_tokens,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cost_usd=float(answer.cost_usd),
        model=answer.model or None,
        tool_calls=answer.tool_calls,
        budget=budget,
        citations=checked.citations if checked else [],
        unverified=checked.unverified if checked else [],
    )


async def question_refused(*, turn: Turn, broadcast: Broadcast, client_id: str | None) -> None:
    """A question its user's limit refused: stored already, with the refusal as its answer;
    every tab gets the `error` frame, then the final frame of the unanswered answer."""
    refusal = turn.refusal
    await broadcast(refusal_frame(turn=turn, refusal=refusal, client_id=client_id))
    await broadcast(
        final_frame(
            turn=turn,
            answer=Answer(),
            content=refused_content(refusal),
            status=STATUS_REFUSED,
            budget=turn.budget,
        )
    )
