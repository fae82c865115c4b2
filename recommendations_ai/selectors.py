from __future__ import annotations

from django.db.models import F, Q

from infrazen.models import OptimizationRecommendation
from ops.errors import NotFound

NOT_FOUND = "Recommendation not found"


def _recommendations_with_owner():
    """Recommendations whose ownership chain resolves to one live owner (facts §1.3), with
    what facts_build needs loaded and no credentials."""
    return (
        OptimizationRecommendation.objects.select_related("resource__provider", "provider")
        .defer("resource__provider__credentials", "provider__credentials")
        .filter(resource__provider__is_deleted=False)
        .filter(
            Q(provider__isnull=True)
            | Q(provider__is_deleted=False, provider__user_id=F("resource__provider__user_id"))
        )
    )


def recommendation_for_service_get(
    *, recommendation_id: int
) -> tuple[OptimizationRecommendation, int]:
    """A recommendation and its owner, for a trusted server-to-server caller.

    The InfraZen app asks by id only; the owner is resolved through the ownership chain
    (facts §1.3). A row whose chain does not resolve to one live owner is not found.
    """
    rec = _recommendations_with_owner().filter(pk=recommendation_id).first()
    if rec is None:
        raise NotFound(NOT_FOUND)
    return rec, rec.resource.provider.user_id


def recommendations_missing_texts(
    *,
    user_id: int | None = None,
    types: list[str] | None = None,
    include_done: bool = False,
):
    """Recommendations for the backfill, oldest first, with what facts_build needs loaded."""
    qs = _recommendations_with_owner().order_by("id")
    if not include_done:
        qs = qs.filter(Q(ai_short_description__isnull=True) | Q(ai_short_description=""))
    if user_id is not None:
        qs = qs.filter(resource__provider__user_id=user_id)
    if types:
        qs = qs.filter(recommendation_type__in=types)
    return qs
