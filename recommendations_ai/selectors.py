from __future__ import annotations

import weakref

from django.db import connections, router
from django.db.models import F, Q
from django.db.models.expressions import Col

from core.errors import NotFound
from infrazen.models import CloudProvider, InfraZenUser, OptimizationRecommendation, Resource

NOT_FOUND = "Recommendation not found"


def _recommendations_with_owner():
    """Recommendations whose ownership chain resolves to one live owner (contract §1), with
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


def _concrete(model, *, without: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> tuple:
    """The model's columns in its own order (Model.from_db takes a part of them in it)."""
    return tuple(
        f
        for f in model._meta.concrete_fields
        if f.name not in without and (not only or f.name in only)
    )


# What facts_build needs of a recommendation, its resource and providers, and what the
# owner's policy needs of the owner (governance.policy.policy_for), in one statement. Every
# column but the providers' credentials, which nothing here may load. Identifiers only, from
# the models' own metadata; the id is a parameter.
_PARTS = (
    (OptimizationRecommendation, "r", _concrete(OptimizationRecommendation)),
    (Resource, "res", _concrete(Resource)),
    # The resource's provider: the owner's.
    (CloudProvider, "op", _concrete(CloudProvider, without=("credentials",))),
    # The recommendation's own, if any.
    (CloudProvider, "rp", _concrete(CloudProvider, without=("credentials",))),
    (InfraZenUser, "u", _concrete(InfraZenUser, only=("id", "role", "first_name", "last_name"))),
)
_COLUMNS = tuple((field, alias) for _, alias, fields in _PARTS for field in fields)


# The ownership chain of _recommendations_with_owner, for one id, as plain SQL: the text
# endpoint runs this on every request, and a select_related queryset (or three raw
# querysets) cost 1-1.5 ms of CPU each time, compiled and turned into models anew
# (raw SQL is parsed by the database, not by Django). tests/test_selectors.py holds the
# two to the same answer on every case.
_OWNED_RECOMMENDATION_SQL = f"""
SELECT {", ".join(f"{alias}.{field.column}" for field, alias in _COLUMNS)}
FROM optimization_recommendations r
JOIN resources res ON res.id = r.resource_id
JOIN cloud_providers op ON op.id = res.provider_id
LEFT JOIN cloud_providers rp ON rp.id = r.provider_id
LEFT JOIN users u ON u.id = op.user_id
WHERE r.id = %s
  AND NOT op.is_deleted
  AND (r.provider_id IS NULL OR (NOT rp.is_deleted AND rp.user_id = op.user_id))
"""  # noqa: S608

# Per connection (its operations convert the values), per column: the converters a
# queryset would apply to it (dates, decimals, booleans from MySQL, ...).
_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _row_converters(connection) -> list[tuple[int, list, Col]]:
    found = _converters.get(connection)
    if found is None:
        found = []
        for index, (field, alias) in enumerate(_COLUMNS):
            col = field.get_col(alias)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                found.append((index, converters, col))
        _converters[connection] = found
    return found


def _models_from(row: list, db: str) -> list:
    made, start = [], 0
    for model, _, fields in _PARTS:
        values = row[start : start + len(fields)]
        start += len(fields)
        made.append(model.from_db(db, [f.attname for f in fields], values))
    return made


def recommendation_for_service_get(
    *, recommendation_id: int
) -> tuple[OptimizationRecommendation, int]:
    """A recommendation and its owner, for a trusted server-to-server caller.

    The InfraZen app asks by id only; the owner is resolved through the ownership chain
    (contract §1). A row whose chain does not resolve to one live owner is not found.
    The recommendation comes with its resource and provider(s) loaded, as facts_build needs,
    and the resource's provider with its owner's role and names (`loaded_owner`).
    """
    db = router.db_for_read(OptimizationRecommendation)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(_OWNED_RECOMMENDATION_SQL, [recommendation_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(NOT_FOUND)
    row = list(row)
    for index, converters, col in _row_converters(connection):
        for converter in converters:
            row[index] = converter(row[index], col, connection)
    rec, resource, owner_provider, rec_provider, owner = _models_from(row, db)
    if owner.pk is not None:
        owner_provider.user = owner
    resource.provider = owner_provider
    rec.resource = resource
    rec.provider = rec_provider if rec.provider_id is not None else None
    return rec, owner_provider.user_id


def loaded_owner(rec: OptimizationRecommendation) -> InfraZenUser | None:
    """The owner recommendation_for_service_get loaded with the recommendation (its role and
    names only), or None: not loaded, or a user gone since."""
    provider = rec.resource.provider
    user_field = CloudProvider._meta.get_field("user")
    return provider.user if user_field.is_cached(provider) else None


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
