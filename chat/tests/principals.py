"""Chat principals as chat.auth would build them for a connection, for tests that open
sessions without a WebSocket."""

from __future__ import annotations

from chat.auth import ChatPrincipal
from infrazen.models import InfraZenUser, OptimizationRecommendation


def rec_principal(user: InfraZenUser, recommendation: OptimizationRecommendation) -> ChatPrincipal:
    return ChatPrincipal(
        user_id=user.pk,
        role=user.role,
        is_read_only=False,
        scenario="recommendation",
        recommendation_id=recommendation.pk,
        context={},
    )


def analytics_principal(user: InfraZenUser, context: dict | None = None) -> ChatPrincipal:
    return ChatPrincipal(
        user_id=user.pk,
        role=user.role,
        is_read_only=False,
        scenario="analytics",
        recommendation_id=None,
        context=context or {},
    )
