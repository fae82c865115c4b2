"""Chat tokens minted exactly as the InfraZen Flask app mints them (contract §4.2), for the tests
and the benchmarks.

The service never mints these: InfraZen does (`manage.py chat_token`, for demos and support,
uses chat.auth.chat_token_mint). These helpers reproduce the Flask app's claims and PyJWT
call, plus hand-crafted bad tokens for the refusal tests.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings

JWT_EXPIRATION_HOURS = 24
# claims_for_tests(exp=DROP) leaves the claim out.
DROP = object()


def chat_token_mint_for_tests(
    *,
    user_id: Any,
    scenario: str = "recommendation",
    recommendation_id: Any = None,
    time_range_days: int = 30,
    filters: dict | None = None,
    secret: str | None = None,
    now: datetime | None = None,
    expires_in: timedelta = timedelta(hours=JWT_EXPIRATION_HOURS),
) -> str:
    """`POST /api/chat/token` → the token: `{user_id, scenario, recommendation_id, context,
    exp, iat}`, HS256, the Flask secret (our AGENT_SERVICE_JWT_SECRET unless given)."""
    now = now or datetime.now(UTC)
    if scenario == "analytics":
        context: dict | None = {"time_range_days": int(time_range_days)}
        if filters:
            context["filters"] = filters
        recommendation_id = None
    else:
        context = None
    payload = {
        "user_id": user_id,
        "scenario": scenario,
        "recommendation_id": recommendation_id,
        "context": context,
        "exp": now + expires_in,
        "iat": now,
    }
    return jwt.encode(payload, secret or settings.AGENT_SERVICE_JWT_SECRET, algorithm="HS256")


def token_encode_for_tests(
    payload: dict, *, secret: str | None = None, algorithm: str = "HS256", key: Any = None
) -> str:
    """Any payload, any algorithm: for the tokens Flask would never mint."""
    return jwt.encode(
        payload, key or secret or settings.AGENT_SERVICE_JWT_SECRET, algorithm=algorithm
    )


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token_for_tests(payload: dict, *, alg: str = "none") -> str:
    """header.payload. with an empty signature, built by hand (PyJWT will not help)."""
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(payload)}."


def claims_for_tests(**overrides: Any) -> dict:
    """A valid recommendation payload (exp/iat as NumericDate ints), with overrides."""
    now = int(datetime.now(UTC).timestamp())
    payload = {
        "user_id": 1,
        "scenario": "recommendation",
        "recommendation_id": 1,
        "context": None,
        "exp": now + 3600,
        "iat": now,
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not DROP}
