"""Chat reads beyond infrazen.selectors: history for replay and for the model.

These take a ChatSession the caller already obtained through a user-scoped path
(chat.services.chat_session_get_or_create, or infrazen.selectors.chat_session_get).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from django.db.models import Exists, QuerySet

from chat.models import ToolCallAudit
from core.statements import CompiledQuery
from infrazen.models import ChatMessage, ChatSession
from infrazen.selectors import recommendation_list

HISTORY_LIMIT = 10
# The content of an answer's row while it is being written (chat.services.chat_turn_begin).
# Replays and model history skip such rows.
PENDING_MARKER = "[ответ готовится]"
# Replays never send more than this, whatever the caller asks for.
HISTORY_MAX_LIMIT = 200
# Roughly what each message costs in the chat format on top of its text.
MESSAGE_OVERHEAD_TOKENS = 4
# How far back chat_history_for_model looks before the budget can possibly stop it.
MODEL_HISTORY_MAX_MESSAGES = 200


def chat_history(
    *, session: ChatSession, limit: int = HISTORY_LIMIT, after_id: int | None = None
) -> list[ChatMessage]:
    """Oldest first, by created_at then id (created_at has whole seconds; InfraZen had no tiebreak).

    Without `after_id`: the last `limit` messages. With it: the first `limit` messages with a
    larger id, so a reconnecting client that saw `after_id` gets nothing twice, and can ask
    again from the last id it got if there were more.
    """
    limit = max(0, min(limit, HISTORY_MAX_LIMIT))
    messages = ChatMessage.objects.filter(session_id=session.pk).exclude(content=PENDING_MARKER)
    if after_id is None:
        latest = list(messages.order_by("-created_at", "-id")[:limit])
        return latest[::-1]
    # Paged by id (insertion order) so paging never skips a row, then shown in time order.
    page = list(messages.filter(id__gt=after_id).order_by("id")[:limit])
    return sorted(page, key=lambda message: (message.created_at, message.id))


def chat_turn_allowed(*, user_id: int, session_id: str, recommendation_id: int | None) -> bool:
    """May this user still ask in this session: the user is active, the session is theirs and,
    for a recommendation chat, so is the recommendation. One query on primary keys, compiled
    once (it runs with every question).

    A connection is authorised once, but a socket stays open for hours: a user deactivated
    (or a recommendation moved away) meanwhile must not get another answer.
    """
    if recommendation_id is None:
        return _SESSION_ALLOWED.exists(user_id=user_id, session_id=session_id)
    return _RECOMMENDATION_SESSION_ALLOWED.exists(
        user_id=user_id, session_id=session_id, recommendation_id=recommendation_id
    )


def _turn_allowed(
    user_id: int, session_id: str, recommendation_id: int | None = None
) -> QuerySet[ChatSession]:
    allowed = ChatSession.objects.filter(pk=session_id, user_id=user_id, user__is_active=True)
    if recommendation_id is not None:
        owned = recommendation_list(user_id=user_id, order_by_savings=False)
        allowed = allowed.filter(Exists(owned.filter(pk=recommendation_id)))
    return allowed.values("pk")[:1]


# Stand-ins no real row holds (core.statements.CompiledQuery).
_USER, _SESSION, _RECOMMENDATION = -7_300_001, "\x00session", -7_300_002
_SESSION_ALLOWED = CompiledQuery(ChatSession, _turn_allowed, user_id=_USER, session_id=_SESSION)
_RECOMMENDATION_SESSION_ALLOWED = CompiledQuery(
    ChatSession,
    _turn_allowed,
    user_id=_USER,
    session_id=_SESSION,
    recommendation_id=_RECOMMENDATION,
)


@functools.cache
def _encoding() -> Any:
    with warnings.catch_warnings():
        # It loads its vocabulary through a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai  # loaded on first use (agentsite.asgi warms it at start-up)

        encoding = bpe_openai.get_encoding("o200k_base")
        encoding.encode("")  # the vocabulary loads on first use
    return encoding


def text_tokens_estimate(*, text: str) -> int:
    """o200k tokens of `text`: exact for OpenAI's models, an estimate for other providers'."""
    return len(_encoding().encode(text))


@functools.lru_cache(maxsize=4096)
def _message_tokens(content: str) -> int:
    # Every question re-reads the conversation's tail: its messages are counted once.
    return text_tokens_estimate(text=content)


def chat_history_for_model(*, session: ChatSession, token_budget: int) -> list[dict[str, str]]:
    """The most recent messages that fit `token_budget`, oldest first, as {role, content}.

    Stops at the first message that does not fit, so the model sees an unbroken tail of the
    conversation rather than one with holes in it.
    """
    picked: list[dict[str, str]] = []
    used = 0
    recent = (
        ChatMessage.objects.filter(session_id=session.pk)
        .exclude(content=PENDING_MARKER)
        .order_by("-created_at", "-id")
        .values_list("role", "content")[:MODEL_HISTORY_MAX_MESSAGES]
    )
    for role, content in recent:
        cost = _message_tokens(content) + MESSAGE_OVERHEAD_TOKENS
        if used + cost > token_budget:
            break
        used += cost
        picked.append({"role": role, "content": content})
    return picked[::-1]


def tool_call_audit_list(*, user_id: int, session_id: str) -> QuerySet[ToolCallAudit]:
    """The tool calls of one of the user's sessions, in the order they ran."""
    return ToolCallAudit.objects.filter(user_id=user_id, session_id=str(session_id)).order_by(
        "created_at", "id"
    )
