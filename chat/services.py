"""Chat persistence: sessions, messages and the tool-call audit trail (contract §4.2).

Writes go to InfraZen's chat_sessions / chat_messages with InfraZen's semantics, minus its
bugs: invalid roles are refused rather than coerced, None content is refused rather than
swallowed, message_count is incremented in SQL inside the insert's transaction, and history
has an id tiebreak. All times are naive UTC (infrazen.clock.utc_now), as those tables hold.

Everything here is sync; async callers wrap one call with core.db.db_sync_to_async.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, router, transaction
from django.db.models import F

from chat import texts
from chat.auth import (
    CLOSE_FORBIDDEN,
    REASON_USER_NOT_ALLOWED,
    SCENARIO_RECOMMENDATION,
    ChatAuthError,
    ChatPrincipal,
)
from chat.models import AgentMessageCost, AgentMessageFigures, ToolCallAudit

# Reads, importable from here for the chat engine; they live in chat.selectors.
from chat.selectors import (
    PENDING_MARKER,
    chat_history,
    chat_history_for_model,
    chat_turn_allowed,
    text_tokens_estimate,
)
from core import metrics
from core.correlation import correlation_id_var
from core.db import row_insert, rows_insert
from core.statements import row_update
from governance.budgets import cost_rub
from infrazen.clock import utc_now
from infrazen.models import ChatMessage, ChatSession, InfraZenUser
from llm.redact import credentials_scrub

if TYPE_CHECKING:
    from chat.citations import Checked

__all__ = [
    "FAILED_MARKER",
    "PENDING_MARKER",
    "RESTART_MARKER",
    "RESULT_MAX_CHARS",
    "ROLES",
    "STOPPED_MARKER",
    "chat_answer_checkpoint",
    "chat_answer_mark",
    "chat_history",
    "chat_history_for_model",
    "chat_message_create",
    "chat_message_update_content",
    "chat_session_archive",
    "chat_session_archive_idle",
    "chat_session_get_or_create",
    "chat_session_open",
    "chat_turn_begin",
    "message_cost_create",
    "tool_call_audit_attach",
    "tool_call_audit_create",
]

# The InfraZen ENUM values, as the models define them.
ROLE_USER = ChatMessage.ROLE_USER
ROLE_ASSISTANT = ChatMessage.ROLE_ASSISTANT
ROLE_SYSTEM = ChatMessage.ROLE_SYSTEM
ROLES = ChatMessage.ROLES
STATUS_ACTIVE = ChatSession.STATUS_ACTIVE
STATUS_ARCHIVED = ChatSession.STATUS_ARCHIVED

# Appended to a partial answer that is stored when the user stopped it or it failed midway.
STOPPED_MARKER = texts.STOPPED_MARKER
logger = logging.getLogger(__name__)

FAILED_MARKER = texts.FAILED_MARKER
RESTART_MARKER = texts.RESTART_MARKER

# chat_messages.content is a MySQL TEXT column: 65,535 bytes, not characters.
CONTENT_MAX_BYTES = 65_535
RESULT_MAX_CHARS = 4_000
ERROR_MAX_CHARS = 1_000
TRUNCATION_SUFFIX = texts.TRUNCATION_SUFFIX


def _active_sessions(principal: ChatPrincipal):
    sessions = ChatSession.objects.filter(
        user_id=principal.user_id, scenario=principal.scenario, status=STATUS_ACTIVE
    )
    if principal.scenario == SCENARIO_RECOMMENDATION:
        sessions = sessions.filter(recommendation_id=principal.recommendation_id)
        if principal.visitor:
            # A demo visitor's own conversation (chat.visitors), not the shared user's.
            sessions = sessions.filter(context=principal.context_json)
    else:
        # One analytics session per time range / filter set: the stored canonical string.
        sessions = sessions.filter(recommendation_id__isnull=True, context=principal.context_json)
    # InfraZen's first() had no ORDER BY; duplicates (no unique constraint) resolve the same way
    # on every connect.
    return sessions.order_by("-last_activity_at", "id")


def chat_session_get_or_create(*, principal: ChatPrincipal) -> ChatSession:
    return chat_session_open(principal=principal)[0]


def chat_session_open(*, principal: ChatPrincipal) -> tuple[ChatSession, bool]:
    """The principal's active session for its scope, and whether it was created just now."""
    session = _active_sessions(principal).first()
    if session is not None:
        return session, False
    with transaction.atomic(using=router.db_for_write(ChatMessage)):
        # Two tabs connecting at once would each create a session. Locking the user row
        # serialises creations per user; the lock is held for one SELECT and one INSERT.
        list(InfraZenUser.objects.select_for_update().filter(pk=principal.user_id).values("pk"))
        session = _active_sessions(principal).first()
        if session is not None:
            return session, False
        now = utc_now()
        recommendation = principal.scenario == SCENARIO_RECOMMENDATION
        session = ChatSession.objects.create(
            id=str(uuid.uuid4()),
            user_id=principal.user_id,
            recommendation_id=principal.recommendation_id if recommendation else None,
            scenario=principal.scenario,
            # "{}" for a recommendation's session, but a demo visitor's hash is kept.
            context=principal.context_json,
            created_at=now,
            last_activity_at=now,
            message_count=0,
            status=STATUS_ACTIVE,
        )
    return session, True


def _checked_content(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValueError("message content must be a non-empty string")
    if len(content.encode("utf-8")) > CONTENT_MAX_BYTES:
        raise ValueError(f"message content exceeds {CONTENT_MAX_BYTES} bytes")
    return content


def _checked_tokens(tokens: Any) -> int | None:
    if tokens is None:
        return None
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise ValueError("tokens must be a non-negative int or None")
    return tokens


def chat_message_create(
    *, session: ChatSession, role: str, content: str, tokens: int | None = None
) -> ChatMessage:
    """Insert a message and count it on its session, atomically (no lost increments)."""
    now = utc_now()
    with transaction.atomic(using=router.db_for_write(ChatMessage)):
        message = _message_insert(
            session=session, role=role, content=content, tokens=tokens, now=now
        )
        _session_count(session=session, added=1, now=now)
    session.refresh_from_db(fields=["message_count", "last_activity_at"])
    return message


def _message_insert(
    *, session: ChatSession, role: str, content: str, tokens: int | None, now: datetime
) -> ChatMessage:
    message = _message_new(session=session, role=role, content=content, tokens=tokens, now=now)
    message.save(force_insert=True)
    return message


def _message_new(
    *, session: ChatSession, role: str, content: str, tokens: int | None, now: datetime
) -> ChatMessage:
    """A message checked and built, not stored yet."""
    if role not in ROLES:
        raise ValueError(f"unknown chat role {role!r}")
    content = _checked_content(content)
    tokens = _checked_tokens(tokens)
    return ChatMessage(
        session_id=session.pk, role=role, content=content, tokens=tokens, created_at=now
    )


def _session_count(*, session: ChatSession, added: int, now: datetime) -> None:
    ChatSession.objects.filter(pk=session.pk).update(
        message_count=F("message_count") + added, last_activity_at=now
    )


def chat_message_update_content(
    *, message: ChatMessage, content: str, tokens: int | None = None
) -> ChatMessage:
    """Replace a stored message's text (an assistant answer finalised after streaming)."""
    content = _checked_content(content)
    tokens = _checked_tokens(tokens)
    now = utc_now()
    # In plain SQL compiled once (core.statements): every answer ends here.
    with transaction.atomic(using=router.db_for_write(ChatMessage)):
        row_update(ChatMessage, message.pk, content=content, tokens=tokens)
        row_update(ChatSession, message.session_id, last_activity_at=now)
    message.content, message.tokens = content, tokens
    return message


def chat_turn_begin(
    *, principal: ChatPrincipal, session: ChatSession, content: str
) -> tuple[ChatMessage, ChatMessage]:
    """Store the user's question, then a placeholder for the answer, before any model call.

    The placeholder gives the streamed answer its message id from the first frame on; the
    answer replaces its content when it ends (done, stopped or failed). Replays and model
    history leave placeholders out; while the answer streams, chat_answer_checkpoint
    replaces it with the text so far, so a crash shows as an interrupted answer.

    First the principal is checked again (chat_turn_allowed): a user deactivated, or no longer
    owning the recommendation, since the socket opened gets ChatAuthError(4403) and nothing
    is stored. The question is not kept because its author may no longer write to this
    account; it is not lost to them either: their client still has the text it sent.
    """
    if not chat_turn_allowed(
        user_id=principal.user_id,
        session_id=session.pk,
        recommendation_id=principal.recommendation_id
        if principal.scenario == SCENARIO_RECOMMENDATION
        else None,
    ):
        raise ChatAuthError(CLOSE_FORBIDDEN, REASON_USER_NOT_ALLOWED)
    tokens = text_tokens_estimate(text=content)
    now = utc_now()
    using = router.db_for_write(ChatMessage)
    # In plain SQL compiled once (core.db, core.statements): every question starts here.
    with transaction.atomic(using=using):
        question = row_insert(
            _message_new(session=session, role=ROLE_USER, content=content, tokens=tokens, now=now),
            using=using,
        )
        placeholder = _message_new(
            session=session, role=ROLE_ASSISTANT, content=PENDING_MARKER, tokens=None, now=now
        )
        answer = row_insert(placeholder, using=using)
        row_update(ChatSession, session.pk, added={"message_count": 2}, last_activity_at=now)
    return question, answer


def chat_answer_checkpoint(*, message_id: int, content: str) -> None:
    """Store what a running answer has streamed so far in its row, `content` ending in
    RESTART_MARKER, so a worker killed mid-answer leaves it as an interrupted answer. The
    answer's final write (chat_message_update_content) replaces it; the engine sees that no
    checkpoint lands after that one."""
    row_update(ChatMessage, message_id, content=_checked_content(content))


def chat_answer_mark(*, partial: str, marker: str) -> str:
    """A partial answer with its marker (stopped, failed, restart), never empty (NOT NULL)."""
    partial = (partial or "").rstrip()
    return partial + marker if partial else marker.strip()


def chat_session_archive(*, session: ChatSession) -> ChatSession:
    ChatSession.objects.filter(pk=session.pk).update(status=STATUS_ARCHIVED)
    session.status = STATUS_ARCHIVED
    return session


def chat_session_archive_idle(*, idle_days: int) -> int:
    """Archive active sessions idle for more than `idle_days`; the next connect starts afresh."""
    if idle_days < 1:
        raise ValueError("idle_days must be at least 1")
    cutoff = utc_now() - timedelta(days=idle_days)
    return ChatSession.objects.filter(status=STATUS_ACTIVE, last_activity_at__lt=cutoff).update(
        status=STATUS_ARCHIVED
    )


def _truncated(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_SUFFIX)] + TRUNCATION_SUFFIX


def _as_text(value: Any) -> str:
    """What the audit stores, with pasted credentials scrubbed as in what the model saw."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif hasattr(value, "model_dump_json"):  # a tool's Pydantic Result
        text = value.model_dump_json()
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return credentials_scrub(text)


def pack_runs_audit(*, session_id: str, user_id: int, runs: list) -> None:
    """The context pack's tool runs (chat.context.PackRun) as audit rows of round 0, with the
    correlation id of the turn or prefetch that built the pack: one INSERT; and in the tool
    call metrics, origin `context` (a run that refused: `refused`, as a model's call would).
    An audit that cannot be written is logged; the prompt it belongs to is built all the same."""
    correlation_id = correlation_id_var.get()
    for run in runs:
        metrics.tool_call_count(
            tool=run.tool,
            outcome="ok" if run.ok else "refused",
            origin=metrics.ORIGIN_CONTEXT,
            seconds=run.latency_ms / 1000,
        )
    rows = [
        ToolCallAudit(
            session_id=str(session_id)[:36],
            user_id=user_id,
            tool=run.tool[:64],
            arguments=json.loads(json.dumps(run.arguments, default=str)),
            result=_truncated(_as_text(run.result), RESULT_MAX_CHARS) if run.ok else "",
            ok=run.ok,
            error=_truncated(run.error, ERROR_MAX_CHARS),
            latency_ms=run.latency_ms,
            round=0,
            correlation_id=("" if correlation_id == "-" else correlation_id)[:64],
        )
        for run in runs
    ]
    try:
        ToolCallAudit.objects.bulk_create(rows)
    except DatabaseError:
        logger.exception("context pack audit not stored", extra={"session_id": session_id})


def message_cost_create(
    *,
    message_id: int,
    session_id: str,
    user_id: int,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: Decimal,
    correlation_id: str,
) -> AgentMessageCost:
    """What one answer cost, in tokens, USD and roubles (at USD_RUB_RATE, rounded up); the
    row is stored without reading its id back."""
    cost = AgentMessageCost(
        message_id=message_id,
        session_id=session_id,
        user_id=user_id,
        model=model[:200],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_usd,
        cost_rub=cost_rub(cost_usd=cost_usd),
        correlation_id=correlation_id[:64],
    )
    rows_insert([cost], using=router.db_for_write(AgentMessageCost))
    return cost


def message_figures_create(
    *, message_id: int, session_id: str, user_id: int, checked: Checked
) -> AgentMessageFigures:
    """How one answer's figures were traced (chat.citations): the cited and the unverified."""
    return AgentMessageFigures.objects.create(
        message_id=message_id,
        session_id=session_id,
        user_id=user_id,
        cited=checked.cited,
        unverified=len(checked.unverified),
        citations=checked.citations,
        unverified_figures=checked.unverified,
    )


def tool_call_audit_create(
    *,
    session_id: str,
    user_id: int,
    tool: str,
    arguments: Any,
    result: Any = None,
    ok: bool = True,
    error: str = "",
    latency_ms: float = 0.0,
    round: int = 1,
    correlation_id: str = "",
    message_id: int | None = None,
) -> ToolCallAudit:
    """Record one tool call. `result` (text, Pydantic model or JSON-able) is cut to 4,000 chars."""
    # Model-supplied arguments may hold anything; store what JSON can carry.
    arguments = json.loads(json.dumps(arguments if arguments is not None else {}, default=str))
    return ToolCallAudit.objects.create(
        session_id=str(session_id),
        message_id=message_id,
        user_id=user_id,
        tool=tool[:64],
        arguments=arguments,
        result=_truncated(_as_text(result), RESULT_MAX_CHARS),
        ok=ok,
        error=_truncated(error or "", ERROR_MAX_CHARS),
        latency_ms=float(latency_ms),
        round=round,
        correlation_id=(correlation_id or "")[:64],
        created_at=utc_now(),
    )


def tool_call_audit_attach(*, audit_ids: list[int], message_id: int) -> int:
    """Point a turn's audit rows at its assistant message once that message is stored."""
    return ToolCallAudit.objects.filter(pk__in=audit_ids).update(message_id=message_id)
