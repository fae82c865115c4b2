"""What the chat socket tests share: the paths a client opens, the rows it leaves."""

from __future__ import annotations

from channels.db import database_sync_to_async

from chat.flask_tokens import chat_token_mint_for_tests
from chat.services import chat_session_open
from chat.tests.principals import rec_principal
from infrazen.models import ChatMessage

ANSWER = "Экономия составит **1 000 ₽/мес**: сервер остановлен и не нужен."


def rec_path(user, recommendation, **extra) -> str:
    token = chat_token_mint_for_tests(user_id=user.pk, recommendation_id=recommendation.pk)
    query = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"/v1/chat/rec/{recommendation.pk}?token={token}{query}"


def analytics_path(user, days: int = 30) -> str:
    token = chat_token_mint_for_tests(user_id=user.pk, scenario="analytics", time_range_days=days)
    return f"/v1/chat/analytics?token={token}"


def stored(session_id: str) -> list[tuple[str, str]]:
    return list(
        ChatMessage.objects.filter(session_id=session_id)
        .order_by("id")
        .values_list("role", "content")
    )


async def session_of(user, recommendation):
    """The user's chat session about `recommendation`, as a connection would open it."""
    principal = rec_principal(user, recommendation)
    session, _ = await database_sync_to_async(chat_session_open)(principal=principal)
    return principal, session


async def stored_async(session_id: str) -> list[tuple[str, str]]:
    return await database_sync_to_async(stored)(session_id)
