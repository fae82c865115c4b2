"""The drawer chat's token: `POST /console/chat/token/` answers what InfraZen's
`POST /api/chat/token` answers its own pages (same body, same answer), for the signed-in
account's InfraZen user, so the widget talks to the service exactly as it does inside InfraZen.

The token is scoped as InfraZen scopes it: a recommendation only if it is that user's (else
the same 404 as a missing one), analytics with its time range and filters. The page's CSRF
token is required (static/console/console.js sends it), unlike InfraZen's endpoint.
"""

from __future__ import annotations

import json

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_POST

from chat.auth import SCENARIO_ANALYTICS, SCENARIO_RECOMMENDATION, chat_token_mint
from console.access import console_user
from infrazen.selectors import NotFound, recommendation_get

# The widget fetches a new token on every (re)connect: an hour is plenty.
TOKEN_LIFETIME_S = 3600
MAX_TIME_RANGE_DAYS = 365
# InfraZen's ids are MySQL INT columns: a larger number names no recommendation.
ID_MAX = 2**31 - 1


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _claims(*, user_id: int, body: dict) -> dict | JsonResponse:
    """The token's scope from InfraZen's request body, or the refusal InfraZen answers."""
    scenario = body.get("scenario", SCENARIO_RECOMMENDATION)
    if scenario == SCENARIO_RECOMMENDATION:
        if body.get("recommendation_id") in (None, ""):
            return _refused("recommendation_id is required")
        recommendation_id = _int(body["recommendation_id"])
        if recommendation_id is None or recommendation_id <= 0:
            return _refused("recommendation_id must be an integer")
        try:
            if recommendation_id > ID_MAX:
                raise NotFound("out of range")
            recommendation_get(user_id=user_id, recommendation_id=recommendation_id)
        except NotFound:
            return _refused("Recommendation not found", status=404)
        return {"scenario": scenario, "recommendation_id": recommendation_id, "context": None}
    if scenario == SCENARIO_ANALYTICS:
        days = _int(body.get("time_range_days", 30))
        if days is None or not 0 < days <= MAX_TIME_RANGE_DAYS:
            return _refused("time_range_days must be an integer from 1 to 365")
        context: dict = {"time_range_days": days}
        filters = body.get("filters")
        if filters is not None and not isinstance(filters, dict):
            return _refused("filters must be an object")
        if filters:
            context["filters"] = filters
        return {"scenario": scenario, "recommendation_id": None, "context": context}
    return _refused("Unsupported scenario")


@require_POST
def chat_token(request) -> JsonResponse:
    if not request.user.is_authenticated:
        return _refused("Authentication required", status=401)
    try:
        user = console_user(request)
    except Http404:
        return _refused("Not found", status=404)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return _refused("invalid JSON")
    if not isinstance(body, dict):
        return _refused("invalid JSON")
    claims = _claims(user_id=user.pk, body=body)
    if isinstance(claims, JsonResponse):
        return claims
    token = chat_token_mint(user_id=user.pk, lifetime_s=TOKEN_LIFETIME_S, **claims)
    return JsonResponse({"token": token, "expires_in": TOKEN_LIFETIME_S, **claims})
