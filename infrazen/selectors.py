"""Tenant-scoped reads of the InfraZen tables (ownership chain: contract §1).

Every selector takes the acting user's id and scopes in SQL. A foreign row raises the same
NotFound, with the same message, as a missing one. Soft-deleted providers (is_deleted) and
everything hanging off them are invisible. `cloud_providers.credentials` is never loaded.
Async callers wrap these with database_sync_to_async.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, Q, QuerySet

from core.errors import NotFound
from infrazen.models import (
    BoardGroup,
    ChatMessage,
    ChatSession,
    CloudProvider,
    CompleteSync,
    GeneratedReport,
    InfraZenUser,
    OptimizationRecommendation,
    ProviderPrice,
    ProviderSyncReference,
    Resource,
    ResourceState,
    ResourceTag,
    SyncSnapshot,
    UserProviderPreference,
)

__all__ = [
    "NotFound",
    "business_group_list",
    "chat_message_list",
    "chat_session_get",
    "chat_session_list",
    "complete_sync_latest",
    "complete_sync_list",
    "price_list",
    "provider_get",
    "provider_list",
    "provider_sync_reference_list",
    "recommendation_get",
    "recommendation_list",
    "report_get",
    "report_list",
    "resource_get",
    "resource_list",
    "resource_state_list",
    "resource_tag_dict",
    "resource_tagged_count",
    "sync_snapshot_list",
    "user_get",
    "user_get_active",
    "user_provider_preferences",
]

# One message per entity, used for both "missing" and "not yours".
USER_NOT_FOUND = "Пользователь не найден"
PROVIDER_NOT_FOUND = "Подключение не найдено"
RESOURCE_NOT_FOUND = "Ресурс не найден"
RECOMMENDATION_NOT_FOUND = "Рекомендация не найдена"
CHAT_SESSION_NOT_FOUND = "Сессия чата не найдена"
REPORT_NOT_FOUND = "Отчёт не найден"

SYNC_SUCCESS = "success"


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _owned_provider_q(user_id: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}user_id": user_id, f"{prefix}is_deleted": False})


# --- users ----------------------------------------------------------------------------------


def user_get(*, user_id: int) -> InfraZenUser:
    try:
        return InfraZenUser.objects.defer("password_hash", "email_confirmation_token").get(
            pk=user_id
        )
    except InfraZenUser.DoesNotExist:
        raise NotFound(USER_NOT_FOUND) from None


def user_get_active(*, user_id: int) -> InfraZenUser:
    user = user_get(user_id=user_id)
    if not user.is_active:
        raise NotFound(USER_NOT_FOUND)
    return user


def user_provider_preferences(*, user_id: int) -> dict[str, bool]:
    """provider_type → may the price rules propose it; a missing type means enabled."""
    rows = UserProviderPreference.objects.filter(user_id=user_id).values_list(
        "provider_type", "is_enabled"
    )
    return {provider_type: bool(is_enabled) for provider_type, is_enabled in rows}


# --- providers and resources ----------------------------------------------------------------


def provider_list(*, user_id: int) -> QuerySet[CloudProvider]:
    return (
        CloudProvider.objects.filter(_owned_provider_q(user_id)).defer("credentials").order_by("id")
    )


def provider_get(*, user_id: int, provider_id: int) -> CloudProvider:
    try:
        return provider_list(user_id=user_id).get(pk=provider_id)
    except CloudProvider.DoesNotExist:
        raise NotFound(PROVIDER_NOT_FOUND) from None


def _resources(user_id: int) -> QuerySet[Resource]:
    return (
        Resource.objects.filter(_owned_provider_q(user_id, "provider__"))
        .select_related("provider")
        .defer("provider__credentials")
    )


def resource_list(
    *,
    user_id: int,
    provider_id: int | None = None,
    resource_type: str | Iterable[str] | None = None,
    active_only: bool = False,
) -> QuerySet[Resource]:
    resources = _resources(user_id)
    if provider_id is not None:
        resources = resources.filter(provider_id=provider_id)
    if (types := _as_list(resource_type)) is not None:
        resources = resources.filter(resource_type__in=types)
    if active_only:
        resources = resources.filter(is_active=True)
    return resources.order_by("id")


def resource_get(*, user_id: int, resource_id: int) -> Resource:
    try:
        return _resources(user_id).get(pk=resource_id)
    except Resource.DoesNotExist:
        raise NotFound(RESOURCE_NOT_FOUND) from None


def resource_tag_dict(*, user_id: int, resource_id: int) -> dict[str, str]:
    """tag_key → tag_value of one resource (CPU/memory stats live in tags, contract §2)."""
    rows = ResourceTag.objects.filter(
        _owned_provider_q(user_id, "resource__provider__"), resource_id=resource_id
    ).values_list("tag_key", "tag_value")
    return dict(rows)


def resource_tagged_count(*, user_id: int) -> int:
    """How many of the user's active resources carry at least one tag."""
    return (
        ResourceTag.objects.filter(
            _owned_provider_q(user_id, "resource__provider__"), resource__is_active=True
        )
        .values("resource_id")
        .distinct()
        .count()
    )


def business_group_list(*, user_id: int) -> QuerySet[BoardGroup]:
    """The groups of the user's business boards, the default board first, costliest first."""
    return (
        BoardGroup.objects.filter(board__user_id=user_id)
        .select_related("board")
        .order_by("-board__is_default", "board__name", "-calculated_cost", "id")
    )


def resource_state_list(*, user_id: int, resource_id: int) -> QuerySet[ResourceState]:
    """The resource's sync history, latest first."""
    return ResourceState.objects.filter(
        _owned_provider_q(user_id, "resource__provider__"),
        _owned_provider_q(user_id, "sync_snapshot__provider__"),
        resource_id=resource_id,
    ).order_by("-created_at", "-id")


# --- recommendations ------------------------------------------------------------------------


def _recommendations(user_id: int) -> QuerySet[OptimizationRecommendation]:
    # Flask trusts provider_id and falls back to the resource's provider when it is NULL. We
    # require the resource's provider to be ours in both cases, so a row whose two paths
    # disagree can never drag another tenant's resource in through select_related.
    owned = _owned_provider_q(user_id, "resource__provider__") & (
        Q(provider__isnull=True) | _owned_provider_q(user_id, "provider__")
    )
    return (
        OptimizationRecommendation.objects.filter(owned)
        .select_related("resource", "resource__provider", "provider")
        .defer("provider__credentials", "resource__provider__credentials")
    )


def recommendation_list(
    *,
    user_id: int,
    status: str | Iterable[str] | None = None,
    types: str | Iterable[str] | None = None,
    order_by_savings: bool = True,
    limit: int | None = None,
) -> QuerySet[OptimizationRecommendation]:
    """Biggest monthly savings first (NULL last); with `limit` the result is already sliced."""
    recommendations = _recommendations(user_id)
    if (statuses := _as_list(status)) is not None:
        recommendations = recommendations.filter(status__in=statuses)
    if (type_list := _as_list(types)) is not None:
        recommendations = recommendations.filter(recommendation_type__in=type_list)
    if order_by_savings:
        ordering = (F("estimated_monthly_savings").desc(nulls_last=True), "-id")
    else:
        ordering = ("-created_at", "-id")
    recommendations = recommendations.order_by(*ordering)
    return recommendations[:limit] if limit is not None else recommendations


def recommendation_get(*, user_id: int, recommendation_id: int) -> OptimizationRecommendation:
    try:
        return _recommendations(user_id).get(pk=recommendation_id)
    except OptimizationRecommendation.DoesNotExist:
        raise NotFound(RECOMMENDATION_NOT_FOUND) from None


# --- syncs ----------------------------------------------------------------------------------


def complete_sync_list(
    *,
    user_id: int,
    since: datetime | None = None,
    statuses: str | Iterable[str] | None = None,
) -> QuerySet[CompleteSync]:
    """The user's complete syncs, latest first. `since` is naive server-local time."""
    syncs = CompleteSync.objects.filter(user_id=user_id)
    if since is not None:
        syncs = syncs.filter(sync_started_at__gte=since)
    if (status_list := _as_list(statuses)) is not None:
        syncs = syncs.filter(sync_status__in=status_list)
    return syncs.order_by("-sync_started_at", "-id")


def complete_sync_latest(*, user_id: int, successful_only: bool = False) -> CompleteSync | None:
    statuses = [SYNC_SUCCESS] if successful_only else None
    return complete_sync_list(user_id=user_id, statuses=statuses).first()


def sync_snapshot_list(*, user_id: int, provider_id: int | None = None) -> QuerySet[SyncSnapshot]:
    snapshots = SyncSnapshot.objects.filter(_owned_provider_q(user_id, "provider__"))
    if provider_id is not None:
        snapshots = snapshots.filter(provider_id=provider_id)
    return snapshots.order_by("-sync_started_at", "-id")


def provider_sync_reference_list(
    *, user_id: int, complete_sync_id: int
) -> QuerySet[ProviderSyncReference]:
    return (
        ProviderSyncReference.objects.filter(
            _owned_provider_q(user_id, "provider__"),
            complete_sync_id=complete_sync_id,
            complete_sync__user_id=user_id,
        )
        .select_related("provider", "sync_snapshot")
        .defer("provider__credentials")
        .order_by("sync_order", "id")
    )


# --- chat and reports -----------------------------------------------------------------------


def chat_session_list(*, user_id: int) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(user_id=user_id).order_by("-last_activity_at", "-created_at")


def chat_session_get(*, user_id: int, session_id: str) -> ChatSession:
    try:
        return ChatSession.objects.get(user_id=user_id, pk=str(session_id))
    except ChatSession.DoesNotExist:
        raise NotFound(CHAT_SESSION_NOT_FOUND) from None


def chat_message_list(*, user_id: int, session_id: str) -> QuerySet[ChatMessage]:
    """A session's messages, oldest first (created_at has no fractions, so id breaks ties)."""
    return ChatMessage.objects.filter(
        session__user_id=user_id, session_id=str(session_id)
    ).order_by("created_at", "id")


def report_list(*, user_id: int) -> QuerySet[GeneratedReport]:
    return GeneratedReport.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def report_get(*, user_id: int, report_id: int) -> GeneratedReport:
    try:
        return GeneratedReport.objects.get(user_id=user_id, pk=report_id)
    except GeneratedReport.DoesNotExist:
        raise NotFound(REPORT_NOT_FOUND) from None


# --- the global price catalogue -------------------------------------------------------------


def price_list(
    *,
    provider: str | Iterable[str] | None = None,
    resource_type: str | Iterable[str] | None = None,
    skus: str | Iterable[str] | None = None,
    region: str | None = None,
) -> QuerySet[ProviderPrice]:
    """Catalogue rows: global, so there is no user to scope by."""
    prices = ProviderPrice.objects.all()
    if (providers := _as_list(provider)) is not None:
        prices = prices.filter(provider__in=providers)
    if (types := _as_list(resource_type)) is not None:
        prices = prices.filter(resource_type__in=types)
    if (sku_list := _as_list(skus)) is not None:
        prices = prices.filter(provider_sku__in=sku_list)
    if region is not None:
        prices = prices.filter(region=region)
    return prices.order_by(F("monthly_cost").asc(nulls_last=True), "id")
