"""The chat engine: one answer to one question, streamed, with tools, stoppable.

One engine serves both scenarios and every endpoint. The consumer stores nothing and builds
no prompt: it calls `turn_begin` (the question and a placeholder answer are stored before the
model is called), then `answer_start`, which runs `answer_run` as its own asyncio task so a
`stop` frame is never stuck behind the stream. Every frame goes out through `broadcast`, the
sockets of the session (this process's directly, other processes' through the channel-layer
group), so all tabs of a session see the same answer.

An answer always ends in exactly one final `assistant` frame and one stored message:
  done     the whole answer
  stopped  what was streamed + STOPPED_MARKER (the upstream stream is closed at once)
  failed   what was streamed + FAILED_MARKER, after an `error` frame (RESTART_MARKER when
           the process was shutting down: see answers_drain)
While it streams, its row holds what was streamed so far + RESTART_MARKER, rewritten at most
every CHAT_CHECKPOINT_S (_Checkpoints), so a worker killed mid-answer leaves that behind.
The running answers of this process are in `_RUNNING`, keyed by session id; that is what makes
a second question while one is running a `busy` error rather than a second parallel answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from pydantic import BaseModel

from chat import frames
from chat.auth import ChatPrincipal
from chat.context import context_pack_build
from chat.images import IMAGE_REF, image_question_build, image_user_message
from chat.neutralise import HtmlStream, html_neutralise
from chat.offline import PlannedCall, offline_answer, offline_followup, offline_plan
from chat.prompts import IMAGES_MISSING_NOTE, ROUND_LIMIT_NOTE, system_prompt_build
from chat.selectors import chat_history_for_model
from chat.services import (
    FAILED_MARKER,
    RESTART_MARKER,
    STOPPED_MARKER,
    chat_answer_checkpoint,
    chat_answer_mark,
    chat_message_update_content,
    chat_turn_begin,
    tool_call_audit_create,
)
from core.correlation import correlation_id_var, new_correlation_id
from core.db import db_background, db_sync_to_async
from core.shutdown import shutdown_begin, shutting_down
from infrazen.models import ChatMessage, ChatSession, InfraZenUser
from infrazen.selectors import user_get
from llm import gateway
from llm.errors import LLMDeadlineExceeded, LLMError
from llm.models import LLMCall
from tools.base import ToolError
from tools.registry import TOOLS, openai_tools, result_summary, tool_run

logger = logging.getLogger(__name__)

Broadcast = Callable[[dict[str, Any]], Awaitable[None]]

STATUS_DONE = "done"
STATUS_STOPPED = "stopped"
STATUS_FAILED = "failed"

OFFLINE_MODEL = "offline"
# Said when the model still wants tools after the last round and gives no text of its own.
ROUND_LIMIT_TEXT = (
    "Я обратился к данным {rounds} раз, но так и не собрал ответ. "
    "Сформулируйте вопрос точнее, например: «сколько я сэкономлю в месяц?» "
    "или «какие есть альтернативы?»."
)
ERROR_MESSAGES = {
    frames.ERROR_MODEL: "Языковая модель не ответила. Попробуйте задать вопрос ещё раз.",
    frames.ERROR_TIMEOUT: "Модель отвечала слишком долго, ответ прерван. Попробуйте ещё раз.",
    frames.ERROR_INTERNAL: "Не удалось подготовить ответ. Попробуйте ещё раз.",
    frames.ERROR_RESTART: "Сервис перезапускается, ответ прерван. "
    "Через минуту задайте вопрос ещё раз.",
}
# A question that arrives while this process shuts down (its socket is about to close).
RESTART_REFUSED_TEXT = "Сервис перезапускается. Через минуту задайте вопрос ещё раз."
# Offline answers are sent in pieces of about this many characters, like a model's deltas.
OFFLINE_DELTA_CHARS = 48

# session id → its running answer in this process (None while the answer is being set up).
_RUNNING: dict[str, asyncio.Task | None] = {}
# Their answers' message ids: the row a replay leaves out while it is streamed here.
_RUNNING_ANSWER_IDS: dict[str, int] = {}
# Answers asked to stop (see answer_stop), and those of them stopped by a shutdown.
_STOP_REQUESTED: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
_INTERRUPTED: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
# Answers being stored (see answer_run): a shutdown waits for them.
_FINISHING: set[asyncio.Future] = set()
# session id → (built at, system prompt): see _system_prompt.
_PROMPTS: OrderedDict[str, tuple[float, str]] = OrderedDict()
_PROMPTS_LOCK = threading.Lock()
# session id → the task preparing its prompt in the background (see prompt_prefetch).
_PREFETCHING: dict[str, asyncio.Task] = {}
_BUILDING: set[str] = set()  # sessions whose prefetched pack is being built right now
PREFETCH_QUEUE_MAX = 4
PROMPT_CACHE_SESSIONS = 2_000
# Prefetches past PREFETCH_QUEUE_MAX wait in _DEFERRED until no socket has opened for
# PREFETCH_DEFERRED_QUIET_S, then are built one at a time, each followed by a pause of
# PREFETCH_DEFERRED_PAUSE times its build (see _Deferred).
PREFETCH_DEFERRED_QUIET_S = 1.0
PREFETCH_DEFERRED_PAUSE = 0.5


@dataclass
class Turn:
    """What one answer needs, fixed when the question is stored."""

    principal: ChatPrincipal
    session_id: str
    question_id: int
    answer_id: int
    question: str
    correlation_id: str
    # What the model is sent, built with the rows in one database call (None: offline, or
    # it failed there and the answer builds it again, reporting the failure itself).
    messages: list[dict[str, Any]] | None = None

    @functools.cached_property
    def user(self) -> InfraZenUser:
        """The principal's row, which tools and the context pack act as (sync: read on first
        use, once per turn). A question whose pack is ready and that calls no tool needs none.
        """
        return user_get(user_id=self.principal.user_id)


@dataclass
class _Answer:
    """What the answer has produced so far: enough to store it whatever happens next."""

    text: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    model: str = ""
    tool_calls: int = 0
    # Text is kept and sent HTML-neutralised (chat.neutralise), piece by piece.
    html: HtmlStream = field(default_factory=HtmlStream)

    def add_text(self, piece: str) -> str:
        """Keep a piece of the answer; returns it as it is sent and stored."""
        piece = self.html.piece(piece)
        self.text.append(piece)
        return piece

    def add_usage(self, completion: gateway.Completion) -> None:
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.cost_usd += completion.cost_usd
        self.model = completion.model

    @property
    def content(self) -> str:
        return "".join(self.text)


class _Checkpoints:
    """One answer's checkpoints: what it has streamed so far, stored in its row with
    RESTART_MARKER every CHAT_CHECKPOINT_S when new text has come, so a worker killed
    mid-answer (no drain) leaves the answer marked interrupted up to its last checkpoint.

    One task writes them, one at a time, on the thread the other chat writes use; `end`
    waits for a write in flight, so the answer's final write always lands last.
    """

    def __init__(self, *, turn: Turn, answer: _Answer) -> None:
        self.ended = asyncio.Event()
        self.task: asyncio.Task | None = None
        if settings.CHAT_CHECKPOINT_S > 0:
            self.task = asyncio.create_task(self._run(turn=turn, answer=answer))

    async def _run(self, *, turn: Turn, answer: _Answer) -> None:
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


# --- the running answers of this process ---------------------------------------------------
def answer_reserve(session_id: str) -> bool:
    """Claim the session for a new answer; False when one is already running here."""
    if session_id in _RUNNING:
        return False
    _RUNNING[session_id] = None
    return True


def answer_release(session_id: str) -> None:
    _RUNNING.pop(session_id, None)


def answer_running(session_id: str) -> bool:
    return session_id in _RUNNING


def answer_running_id(session_id: str) -> int | None:
    """The message id of the answer running in this process for the session, if any."""
    return _RUNNING_ANSWER_IDS.get(session_id)


def answer_stop(session_id: str) -> bool:
    """Cancel the session's running answer in this process, if there is one.

    The cancel closes the model's stream at once. Libraries on the way (the Redis client
    among them) do not all let a cancellation through, so the stop is also recorded, and the
    answer checks it before each frame it sends.
    """
    task = _RUNNING.get(session_id)
    if task is None or task.done():
        return False
    _STOP_REQUESTED.add(task)
    task.cancel()
    return True


async def answers_drain(*, grace_s: float, store_timeout_s: float = 10.0) -> tuple[int, int]:
    """Mark the process as shutting down (core.shutdown: the consumer refuses new questions,
    readiness answers 503), let the running answers finish for up to `grace_s`, then
    interrupt the rest. An interrupted answer ends like a failed one (an `error` frame, a
    `failed` final frame) and is stored with what was streamed and RESTART_MARKER, so after
    the restart the chat shows how far it got. Returns how many answers finished and how
    many were interrupted.
    """
    shutdown_begin()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    finished: set[asyncio.Task] = set()
    while True:
        running = {task for task in _RUNNING.values() if task is not None and not task.done()}
        # A question being stored right now (None) becomes a running answer in a moment.
        setting_up = any(task is None for task in _RUNNING.values())
        remaining = deadline - loop.time()
        if not running and (not setting_up or remaining <= 0):
            return len(finished), 0
        if remaining <= 0:
            break
        if running:
            done, _ = await asyncio.wait(running, timeout=remaining)
            finished |= done
        else:
            await asyncio.sleep(min(0.05, remaining))
    for task in running:
        _INTERRUPTED.add(task)
        _STOP_REQUESTED.add(task)
        task.cancel()
    # Each stores its partial answer on the way out (shielded, see answer_run); one that was
    # already being stored goes on with that while its task ends at once.
    await asyncio.wait(running, timeout=store_timeout_s)
    if _FINISHING:
        await asyncio.wait(set(_FINISHING), timeout=store_timeout_s)
    return len(finished), len(running)


def _delivery(broadcast: Broadcast, *, session_id: str) -> Broadcast:
    """`broadcast` that never fails the answer: with the channel layer down (a Redis outage)
    the answer still completes and is stored, and the clients get it through the replay."""
    failed = False

    async def deliver(frame: dict[str, Any]) -> None:
        nonlocal failed
        if asyncio.current_task() in _STOP_REQUESTED:
            raise asyncio.CancelledError
        try:
            await broadcast(frame)
        except Exception:
            if not failed:
                logger.exception("chat frames undeliverable", extra={"session_id": session_id})
            failed = True

    return deliver


def answer_start(*, turn: Turn, broadcast: Broadcast) -> asyncio.Task:
    """Run the answer as its own task; the reservation is released when it ends."""
    broadcast = _delivery(broadcast, session_id=turn.session_id)
    task = asyncio.create_task(answer_run(turn=turn, broadcast=broadcast))
    _RUNNING[turn.session_id] = task
    _RUNNING_ANSWER_IDS[turn.session_id] = turn.answer_id
    task.add_done_callback(lambda done: _release_own(turn.session_id, done))
    return task


def _release_own(session_id: str, task: asyncio.Task | None) -> None:
    """Release the session if `task` still holds it (a next answer may hold it already)."""
    if _RUNNING.get(session_id) is task:
        del _RUNNING[session_id]
        _RUNNING_ANSWER_IDS.pop(session_id, None)


# --- one turn ---------------------------------------------------------------------------------
def _turn_prepare(*, principal: ChatPrincipal, session: ChatSession, question: str) -> Turn:
    """Store the question and the answer's placeholder, and build what the model is sent.

    One database call per question: under load every call waits its turn on the one
    thread all the chat's database work runs on.
    """
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
    )
    if not gateway.llm_available():
        return turn
    try:
        turn.messages = _conversation(turn)
    except Exception:
        logger.warning("chat conversation not built with the turn", exc_info=True)
    return turn


async def turn_begin(*, principal: ChatPrincipal, session: ChatSession, question: str) -> Turn:
    await _prefetch_wait(session.pk)
    return await db_sync_to_async(_turn_prepare)(
        principal=principal, session=session, question=question
    )


async def answer_run(*, turn: Turn, broadcast: Broadcast) -> str:
    """Produce, stream and store the answer to `turn`; returns its status. Never raises."""
    correlation_id_var.set(turn.correlation_id)
    answer = _Answer()
    checkpoints = _Checkpoints(turn=turn, answer=answer)
    status, error_code = STATUS_DONE, None
    started = time.monotonic()
    # The model calls' accounting rows wait here, to be stored with the answer.
    with gateway.llm_calls_collected() as llm_calls:
        try:
            await broadcast(frames.frame("typing", message_id=turn.answer_id))
            if gateway.llm_available():
                await _model_answer(turn=turn, answer=answer, broadcast=broadcast)
            else:
                await _offline_answer(turn=turn, answer=answer, broadcast=broadcast)
            if not answer.content.strip():
                raise LLMError("the model returned an empty answer")
        except asyncio.CancelledError:
            # `stop` or a shutdown: the gateway has closed the upstream stream on its way out.
            task = asyncio.current_task()
            task.uncancel()
            _STOP_REQUESTED.discard(task)
            if task in _INTERRUPTED:
                _INTERRUPTED.discard(task)
                status, error_code = STATUS_FAILED, frames.ERROR_RESTART
            else:
                status = STATUS_STOPPED
        except LLMDeadlineExceeded:
            status, error_code = STATUS_FAILED, frames.ERROR_TIMEOUT
        except LLMError as exc:
            status, error_code = STATUS_FAILED, frames.ERROR_MODEL
            logger.warning("chat answer failed: %s", exc, extra={"session_id": turn.session_id})
        except Exception:
            status, error_code = STATUS_FAILED, frames.ERROR_INTERNAL
            logger.exception("chat answer failed", extra={"session_id": turn.session_id})

    # A second `stop` (or a shutdown) while the answer is stored must not lose it.
    finish = asyncio.ensure_future(
        _answer_finish(
            task=asyncio.current_task(),
            turn=turn,
            answer=answer,
            checkpoints=checkpoints,
            status=status,
            error_code=error_code,
            broadcast=broadcast,
            started=started,
            llm_calls=llm_calls,
        )
    )
    _FINISHING.add(finish)
    finish.add_done_callback(_FINISHING.discard)
    await asyncio.shield(finish)
    if not shutting_down():
        prompt_prefetch(principal=turn.principal, session_id=turn.session_id)
    return status


def _answer_store(
    *, message: ChatMessage, content: str, tokens: int, llm_calls: list[LLMCall]
) -> None:
    try:
        chat_message_update_content(message=message, content=content, tokens=tokens)
    finally:
        gateway.llm_calls_save(llm_calls)


async def _answer_finish(
    *,
    task: asyncio.Task | None,
    turn: Turn,
    answer: _Answer,
    checkpoints: _Checkpoints,
    status: str,
    error_code: str | None,
    broadcast: Broadcast,
    started: float,
    llm_calls: list[LLMCall],
) -> None:
    await checkpoints.end()
    # A no-op for the streamed text; the final frame and the row get the same value.
    content = html_neutralise(answer.content.strip())
    if status == STATUS_STOPPED:
        content = chat_answer_mark(partial=content, marker=STOPPED_MARKER)
    elif error_code == frames.ERROR_RESTART:
        content = chat_answer_mark(partial=content, marker=RESTART_MARKER)
    elif status == STATUS_FAILED:
        content = chat_answer_mark(partial=content, marker=FAILED_MARKER)
    tokens = answer.prompt_tokens + answer.completion_tokens
    try:
        await db_sync_to_async(_answer_store)(
            message=ChatMessage(pk=turn.answer_id, session_id=turn.session_id),
            content=content,
            tokens=tokens,
            llm_calls=llm_calls,
        )
    except Exception:
        logger.exception("chat answer could not be stored", extra={"session_id": turn.session_id})
    # Stored: the next question may start the moment a client sees the final frame.
    _release_own(turn.session_id, task)
    if error_code is not None:
        await broadcast(
            frames.error_frame(error_code, ERROR_MESSAGES[error_code], message_id=turn.answer_id)
        )
    await broadcast(
        frames.frame(
            "assistant",
            message_id=turn.answer_id,
            content=content,
            status=status,
            reply_to=turn.question_id,
            tokens=tokens,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            cost_usd=float(answer.cost_usd),
            model=answer.model or None,
            tool_calls=answer.tool_calls,
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


# --- with a language model ----------------------------------------------------------------
def _prompt_fresh(session_id: str, *, within: float) -> str | None:
    cached = _PROMPTS.get(session_id)
    if cached is not None and time.monotonic() - cached[0] < within:
        return cached[1]
    return None


def _prompt_build(*, principal: ChatPrincipal, session_id: str, user: InfraZenUser | None) -> str:
    """Build the scenario's prompt with its context pack, and keep it (sync)."""
    built_at = time.monotonic()
    user = user if user is not None else user_get(user_id=principal.user_id)
    pack = context_pack_build(
        user=user,
        scenario=principal.scenario,
        recommendation_id=principal.recommendation_id,
        context=principal.context,
    )
    prompt = system_prompt_build(
        scenario=principal.scenario, pack=pack, read_only=principal.is_read_only
    )
    with _PROMPTS_LOCK:  # written from two database threads
        _PROMPTS[session_id] = (built_at, prompt)
        _PROMPTS.move_to_end(session_id)
        while len(_PROMPTS) > PROMPT_CACHE_SESSIONS:
            _PROMPTS.popitem(last=False)
    return prompt


def _system_prompt(turn: Turn) -> str:
    """The scenario's prompt with its context pack, reused for CHAT_CONTEXT_TTL_S (sync).

    Building the pack runs a dozen queries (~15 ms); a conversation asks several questions
    a minute, and the figures behind the pack change once per sync. Usually it is ready
    before the question (prompt_prefetch).
    """
    prompt = _prompt_fresh(turn.session_id, within=settings.CHAT_CONTEXT_TTL_S)
    if prompt is not None:
        return prompt
    return _prompt_build(principal=turn.principal, session_id=turn.session_id, user=turn.user)


def prompt_prefetch(*, principal: ChatPrincipal, session_id: str) -> None:
    """Prepare the session's prompt off the question's path, on the background DB thread.

    Called when a socket opens and after each answer (once the prompt is half its TTL
    old), so a question finds its context pack ready instead of building it on the thread
    all the chat's writes go through. Offline chats have no prompt. At most
    PREFETCH_QUEUE_MAX start at once; the rest wait in _DEFERRED. A question whose pack
    is not ready builds it itself (a queued build then finds it fresh).
    """
    if not settings.CHAT_CONTEXT_PREFETCH or not gateway.llm_available():
        return
    if _prompt_fresh(session_id, within=settings.CHAT_CONTEXT_TTL_S / 2) is not None:
        return
    loop = asyncio.get_running_loop()
    waiting = [t for t in _PREFETCHING.values() if not t.done() and t.get_loop() is loop]
    if _PREFETCHING.get(session_id) in waiting:
        return
    if len(waiting) >= PREFETCH_QUEUE_MAX:
        _DEFERRED.add(principal=principal, session_id=session_id)
        return
    _prefetch_start(principal=principal, session_id=session_id)


def prompt_prefetch_forget(session_id: str) -> None:
    """The session's last socket here closed: a deferred prefetch of it is not needed."""
    _DEFERRED.forget(session_id)


def _prefetch_start(*, principal: ChatPrincipal, session_id: str) -> asyncio.Task:
    task = asyncio.create_task(_prefetch(principal=principal, session_id=session_id))
    _PREFETCHING[session_id] = task
    task.add_done_callback(
        lambda done: _PREFETCHING.pop(session_id) if _PREFETCHING.get(session_id) is done else None
    )
    return task


class _Deferred:
    """The prefetches a burst of sockets (as after a restart, when every client reconnects)
    could not start at once.

    Queued all at once, their CPU-bound builds would hold the GIL while the first questions
    arrive; dropped, every first question built its pack on its own path (first questions
    p50 21-32 ms in the reconnect burst benchmark). So they wait for the burst to end, and
    are then built one by one with pauses, the answers keeping most of the core.
    """

    def __init__(self) -> None:
        self.waiting: OrderedDict[str, ChatPrincipal] = OrderedDict()
        self.last_added = 0.0
        self.drainer: asyncio.Task | None = None

    def add(self, *, principal: ChatPrincipal, session_id: str) -> None:
        self.waiting[session_id] = principal
        self.waiting.move_to_end(session_id)
        while len(self.waiting) > PROMPT_CACHE_SESSIONS:
            self.waiting.popitem(last=False)
        self.last_added = time.monotonic()
        drainer = self.drainer
        # A drainer left on a loop that has ended (tests run one loop each) never finishes.
        if (
            drainer is None
            or drainer.done()
            or drainer.get_loop() is not asyncio.get_running_loop()
        ):
            self.drainer = asyncio.create_task(self._drain())

    def forget(self, session_id: str) -> None:
        self.waiting.pop(session_id, None)

    async def _drain(self) -> None:
        while self.waiting:
            quiet = time.monotonic() - self.last_added
            if quiet < PREFETCH_DEFERRED_QUIET_S:
                await asyncio.sleep(PREFETCH_DEFERRED_QUIET_S - quiet)
                continue
            session_id, principal = self.waiting.popitem(last=False)
            fresh = _prompt_fresh(session_id, within=settings.CHAT_CONTEXT_TTL_S / 2)
            if fresh is not None or session_id in _PREFETCHING:
                continue
            started = time.monotonic()
            await asyncio.wait({_prefetch_start(principal=principal, session_id=session_id)})
            await asyncio.sleep((time.monotonic() - started) * PREFETCH_DEFERRED_PAUSE)


_DEFERRED = _Deferred()


def _prompt_prefetched(*, principal: ChatPrincipal, session_id: str) -> None:
    if _prompt_fresh(session_id, within=settings.CHAT_CONTEXT_TTL_S / 2) is not None:
        return
    _BUILDING.add(session_id)
    try:
        _prompt_build(principal=principal, session_id=session_id, user=None)
    finally:
        _BUILDING.discard(session_id)


async def _prefetch(*, principal: ChatPrincipal, session_id: str) -> None:
    try:
        await db_background(_prompt_prefetched)(principal=principal, session_id=session_id)
    except Exception:
        # The question builds the pack itself then: a failed prefetch loses nothing.
        logger.warning("chat context prefetch failed", exc_info=True)


async def _prefetch_wait(session_id: str) -> None:
    """A pack being built for this session is waited for rather than built twice."""
    task = _PREFETCHING.get(session_id)
    if (
        session_id in _BUILDING
        and task is not None
        and task.get_loop() is asyncio.get_running_loop()
    ):
        await asyncio.wait({task})


def _conversation(turn: Turn) -> list[dict[str, Any]]:
    """System prompt with the context pack, then the history that fits the budget (sync)."""
    system = _system_prompt(turn)
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


async def _model_answer(*, turn: Turn, answer: _Answer, broadcast: Broadcast) -> None:
    if turn.messages is not None:
        messages = list(turn.messages)
    else:
        messages = await db_sync_to_async(_conversation)(turn)
    tools = openai_tools(turn.principal.scenario)
    deadline = gateway.deadline_in(settings.CHAT_ANSWER_DEADLINE_S)
    rounds = settings.CHAT_MAX_TOOL_ROUNDS
    for number in range(1, rounds + 1):
        text, calls = await _model_round(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            messages=messages,
            tools=tools,
            deadline=deadline,
        )
        if not calls:
            return
        messages.append(_assistant_tool_message(text=text, calls=calls))
        for call in calls:
            result = await _tool_call(
                turn=turn,
                broadcast=broadcast,
                answer=answer,
                call_id=call.id,
                name=call.name,
                arguments_json=call.arguments,
                round_number=number,
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
    )
    if not answer.content.strip():
        await _stream_text(
            turn=turn,
            answer=answer,
            broadcast=broadcast,
            text=ROUND_LIMIT_TEXT.format(rounds=rounds),
        )


async def _model_round(
    *,
    turn: Turn,
    answer: _Answer,
    broadcast: Broadcast,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    deadline: float,
) -> tuple[str, list[gateway.ToolCall]]:
    """One model call: deltas go out as they come; returns its text and the tools it wants."""
    text: list[str] = []
    calls: list[gateway.ToolCall] = []
    pending = _Deltas(turn=turn, broadcast=broadcast)
    events = gateway.stream(
        purpose=f"chat_{turn.principal.scenario}",
        messages=messages,
        tools=tools,
        tool_choice="auto" if tools else None,
        max_tokens=settings.CHAT_MAX_ANSWER_TOKENS,
        deadline=deadline,
        user_id=turn.principal.user_id,
        correlation_id=turn.correlation_id,
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


# --- tools ------------------------------------------------------------------------------------
def _arguments_for_frame(arguments_json: str) -> Any:
    try:
        return json.loads(arguments_json or "{}")
    except ValueError:
        return arguments_json[:500]


async def _tool_call(
    *,
    turn: Turn,
    broadcast: Broadcast,
    answer: _Answer,
    call_id: str,
    name: str,
    arguments_json: str,
    round_number: int,
) -> BaseModel | ToolError:
    module = TOOLS.get(name)
    answer.tool_calls += 1
    arguments = _arguments_for_frame(arguments_json)
    await broadcast(
        frames.frame(
            "tool_call",
            message_id=turn.answer_id,
            call_id=call_id,
            name=html_neutralise(name[:64]),
            label=getattr(module, "LABEL", "Смотрю данные"),
            arguments=arguments,
        )
    )
    result = await db_sync_to_async(_tool_execute)(
        turn=turn,
        name=name,
        arguments_json=arguments_json,
        arguments=arguments,
        round_number=round_number,
    )
    ok = not isinstance(result, ToolError)
    await broadcast(
        frames.frame(
            "tool_result",
            message_id=turn.answer_id,
            call_id=call_id,
            name=html_neutralise(name[:64]),
            ok=ok,
            # Summaries quote the user's own data (resource names), which may hold markup.
            summary=html_neutralise(result_summary(result) if ok else str(result)[:120]),
        )
    )
    return result


def _tool_execute(
    *, turn: Turn, name: str, arguments_json: str, arguments: Any, round_number: int
) -> BaseModel | ToolError:
    """Run one tool as the connection's user and audit it (sync: it reads the database)."""
    principal = turn.principal
    started = time.monotonic()
    try:
        result: BaseModel | ToolError = tool_run(
            user=turn.user, name=name, arguments_json=arguments_json, scenario=principal.scenario
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


# --- without a language model ---------------------------------------------------------------
async def _offline_answer(*, turn: Turn, answer: _Answer, broadcast: Broadcast) -> None:
    principal = turn.principal
    plan = offline_plan(
        scenario=principal.scenario,
        recommendation_id=principal.recommendation_id,
        context=principal.context,
        question=turn.question,
    )
    results: list[tuple[PlannedCall, BaseModel | ToolError]] = []

    async def run(calls: list[PlannedCall], round_number: int) -> None:
        for call in calls:
            result = await _tool_call(
                turn=turn,
                broadcast=broadcast,
                answer=answer,
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
    text = offline_answer(plan=plan, results=results)
    await _stream_text(turn=turn, answer=answer, broadcast=broadcast, text=text)


async def _stream_text(*, turn: Turn, answer: _Answer, broadcast: Broadcast, text: str) -> None:
    """Send a ready text as deltas, cut at spaces, the way a model's answer arrives."""
    start = 0
    while start < len(text):
        end = min(len(text), start + OFFLINE_DELTA_CHARS)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        piece = answer.add_text(text[start:end])
        await broadcast(frames.frame("assistant_delta", message_id=turn.answer_id, content=piece))
        start = end
