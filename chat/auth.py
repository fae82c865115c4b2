"""Who is on the other end of a chat WebSocket (contract §4.2, contract §5).

The InfraZen Flask app mints an HS256 token per connection; the browser passes it in the
query string. `token_decode` checks the signature and the claims, `chat_connection_authorize`
then checks the database (the user is active, the recommendation is theirs). Every refusal is
a `ChatAuthError` whose close code the consumer sends back; the reason never echoes the token.

Close codes:
  4401  no token, too long, malformed, wrongly signed, unsigned (`alg: none`), expired, bad
        claims (exp, iat and nbf must be integers), living longer than
        AGENT_SERVICE_JWT_MAX_LIFETIME_S
  4403  not allowed: scenario not for this endpoint, URL/token recommendation mismatch,
        unknown or deactivated user
  4404  no such recommendation, or someone else's: the two are indistinguishable
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.http.request import validate_host

from chat.visitors import visitor_hash
from governance.policy import Policy, policy_for
from infrazen.models import ChatSession, InfraZenUser
from infrazen.selectors import NotFound, recommendation_get, user_get_active

SCENARIO_RECOMMENDATION = ChatSession.SCENARIO_RECOMMENDATION
SCENARIO_ANALYTICS = ChatSession.SCENARIO_ANALYTICS
SCENARIOS = (SCENARIO_RECOMMENDATION, SCENARIO_ANALYTICS)

# The one algorithm Flask signs with. Pinned: the token's own header never chooses.
ALGORITHM = "HS256"

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

REASON_TOKEN_REQUIRED = "Authentication required"
REASON_TOKEN_INVALID = "Invalid token"
REASON_TOKEN_EXPIRED = "Token expired"
REASON_TOKEN_TOO_LONG = "Token too long"
REASON_LIFETIME_TOO_LONG = "Token lifetime too long"
REASON_CLAIMS_INVALID = "Invalid token claims"
REASON_SCENARIO_MISMATCH = "Unsupported scenario for this endpoint"
REASON_RECOMMENDATION_MISMATCH = "Recommendation ID mismatch"
REASON_USER_NOT_ALLOWED = "User not allowed"
REASON_RECOMMENDATION_NOT_FOUND = "Recommendation not found"

# A real token is a few hundred bytes; anything far bigger is not worth parsing.
TOKEN_MAX_CHARS = 8192
# InfraZen ids are MySQL INT columns.
_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
# chat_sessions.id: a hyphenated uuid4 string (ASCII; anything else names no session).
_SESSION_ID = re.compile(r"[0-9A-Fa-f-]{1,36}")


class ChatAuthError(Exception):
    """A refused connection: the WebSocket close code and a short reason safe to show."""

    def __init__(self, close_code: int, reason: str):
        super().__init__(f"{close_code} {reason}")
        self.close_code = close_code
        self.reason = reason


@dataclass(frozen=True)
class ChatClaims:
    """The verified claims of a Flask-minted token, normalised."""

    user_id: int
    scenario: str
    recommendation_id: int | None
    context: dict | None
    exp: int
    iat: int | None


@dataclass(frozen=True)
class ChatPrincipal:
    """The authenticated party of one chat connection. Tools act as `user_id`, nobody else."""

    user_id: int
    role: str
    is_read_only: bool
    scenario: str
    recommendation_id: int | None
    context: dict
    # A demo visitor's hash (chat.visitors): demo sessions are per browser, not per user.
    visitor: str = ""
    # The user's role policy (governance), built once per connection; None: built per turn.
    policy: Policy | None = field(default=None, compare=False, repr=False)
    # The user's own first and last name: kept from the model (llm.pii) like an email.
    names: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def context_json(self) -> str:
        """The session's stored context: the scope's, and the demo visitor's hash."""
        if self.visitor:
            return context_canonical_json(context={**self.context, VISITOR_FIELD: self.visitor})
        return context_canonical_json(context=self.context)


VISITOR_FIELD = "demo_visitor"


def context_canonical_json(*, context: dict) -> str:
    """The form chat_sessions.context is stored and compared in (contract §4.2)."""
    return json.dumps(context, ensure_ascii=False, sort_keys=True)


def _secrets() -> list[str]:
    secrets = [settings.AGENT_SERVICE_JWT_SECRET, *settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS]
    # An empty secret would make any token signed with "" valid.
    return [secret for secret in secrets if secret]


def _verified_payload(token: str) -> dict[str, Any]:
    secrets = _secrets()
    if not secrets:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_INVALID)
    for secret in secrets:
        try:
            return jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp"]},
                leeway=settings.AGENT_SERVICE_JWT_LEEWAY_S,
            )
        except jwt.InvalidSignatureError:
            # PyJWT checks the signature before any claim, so only this error means
            # "maybe the previous secret signed it" during a rotation.
            continue
        except jwt.ExpiredSignatureError:
            raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_EXPIRED) from None
        except jwt.MissingRequiredClaimError:
            raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_CLAIMS_INVALID) from None
        except jwt.InvalidTokenError:
            # Malformed, a foreign algorithm (none, RS256, HS512…), a bad iat or nbf.
            raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_INVALID) from None
    raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_INVALID)


def _numeric_date(value: Any) -> int | None:
    """A NumericDate claim as Flask mints it: an int. PyJWT itself takes `1e308` and "9999"."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _lifetime_check(payload: dict[str, Any]) -> tuple[int, int | None]:
    """(exp, iat) of a verified payload, refused unless both are integers and the token lives
    at most AGENT_SERVICE_JWT_MAX_LIFETIME_S (counted from iat, or from now without one)."""
    exp = _numeric_date(payload.get("exp"))
    iat = _numeric_date(payload["iat"]) if "iat" in payload else None
    if exp is None or ("iat" in payload and iat is None):
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_CLAIMS_INVALID)
    if "nbf" in payload and _numeric_date(payload["nbf"]) is None:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_CLAIMS_INVALID)
    maximum = settings.AGENT_SERVICE_JWT_MAX_LIFETIME_S
    if iat is not None:
        too_long = exp - iat > maximum
    else:
        too_long = exp - time.time() > maximum + settings.AGENT_SERVICE_JWT_LEEWAY_S
    if too_long:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_LIFETIME_TOO_LONG)
    return exp, iat


def token_precheck(*, token: Any) -> str:
    """The checks that need no decoding, cheap enough for the event loop: a token is there,
    short enough to be worth decoding (a real one is a few hundred bytes), and ASCII."""
    if not token:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_REQUIRED)
    if not isinstance(token, str):
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_INVALID)
    if len(token) > TOKEN_MAX_CHARS:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_TOO_LONG)
    # A JWT is base64url and dots. PyJWT encodes the string to UTF-8 first, and a lone
    # surrogate there raised UnicodeEncodeError instead of a refusal.
    if not token.isascii():
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_INVALID)
    return token


def _id(value: Any, *, allow_numeric_string: bool) -> int:
    # bool is an int subclass; `true` is not a user id.
    if isinstance(value, bool):
        raise ValueError("not an id")
    if isinstance(value, int):
        number = value
    elif allow_numeric_string and isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError("not an id")
    if not 0 < number <= _INT_MAX:
        raise ValueError("id out of range")
    return number


def _analytics_context(value: Any) -> dict:
    """Like the old agent: an object, or a JSON string of one; anything else kept as raw."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            # RecursionError: a few thousand nested brackets fit in a signed token.
            return {"raw": value}
        return parsed if isinstance(parsed, dict) else {"raw": value}
    return {"raw": value}


def token_decode(*, token: str) -> ChatClaims:
    payload = _verified_payload(token_precheck(token=token))
    exp, iat = _lifetime_check(payload)

    scenario = payload.get("scenario")
    if scenario not in SCENARIOS:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_CLAIMS_INVALID)
    try:
        user_id = _id(payload.get("user_id"), allow_numeric_string=False)
        if scenario == SCENARIO_RECOMMENDATION:
            # Flask mints an int; the browser sends the id as a string, so accept one too.
            recommendation_id = _id(payload.get("recommendation_id"), allow_numeric_string=True)
        else:
            # Flask mints null here; whatever else arrives names no recommendation we serve.
            recommendation_id = None
    except ValueError:
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_CLAIMS_INVALID) from None

    # Analytics sessions are keyed by their context; recommendation sessions have none.
    context = _analytics_context(payload.get("context")) if scenario == SCENARIO_ANALYTICS else None
    return ChatClaims(
        user_id=user_id,
        scenario=scenario,
        recommendation_id=recommendation_id,
        context=context,
        exp=exp,
        iat=iat,
    )


def chat_token_user(*, claims: ChatClaims) -> InfraZenUser:
    """The token's user, who must still exist and be active.

    Tokens live 24 h and are not revoked on deactivation (§7.1 item 4): check each time.
    """
    try:
        return user_get_active(user_id=claims.user_id)
    except NotFound:
        raise ChatAuthError(CLOSE_FORBIDDEN, REASON_USER_NOT_ALLOWED) from None


def chat_connection_authorize(
    *, token: str, endpoint_scenario: str, url_recommendation_id: int | None, visitor: str = ""
) -> ChatPrincipal:
    """Token, endpoint and database checks for one connection (sync: wrap it in async code).
    `visitor`: the browser's key (chat.visitors), which keys a demo user's sessions."""
    return chat_claims_authorize(
        claims=token_decode(token=token),
        endpoint_scenario=endpoint_scenario,
        url_recommendation_id=url_recommendation_id,
        visitor=visitor,
    )


def chat_claims_authorize(
    *,
    claims: ChatClaims,
    endpoint_scenario: str,
    url_recommendation_id: int | None,
    visitor: str = "",
) -> ChatPrincipal:
    """chat_connection_authorize for claims already decoded."""
    if claims.scenario != endpoint_scenario:
        raise ChatAuthError(CLOSE_FORBIDDEN, REASON_SCENARIO_MISMATCH)
    if (
        endpoint_scenario == SCENARIO_RECOMMENDATION
        and claims.recommendation_id != url_recommendation_id
    ):
        raise ChatAuthError(CLOSE_FORBIDDEN, REASON_RECOMMENDATION_MISMATCH)

    user = chat_token_user(claims=claims)

    if claims.scenario == SCENARIO_RECOMMENDATION:
        try:
            recommendation_get(user_id=user.pk, recommendation_id=claims.recommendation_id)
        except NotFound:
            # Missing and foreign look the same: same code, same reason.
            raise ChatAuthError(CLOSE_NOT_FOUND, REASON_RECOMMENDATION_NOT_FOUND) from None
        context: dict = {}
    else:
        # The canonical round trip makes the dict equal to what the session row stores.
        context = json.loads(context_canonical_json(context=claims.context or {}))

    return _principal(
        user=user,
        scenario=claims.scenario,
        recommendation_id=claims.recommendation_id,
        context=context,
        visitor=visitor,
    )


def _principal(
    *,
    user: InfraZenUser,
    scenario: str,
    recommendation_id: int | None,
    context: dict,
    visitor: str,
) -> ChatPrincipal:
    demo = user.role == InfraZenUser.ROLE_DEMO
    return ChatPrincipal(
        user_id=user.pk,
        role=user.role,
        is_read_only=demo,
        scenario=scenario,
        recommendation_id=recommendation_id,
        context=context,
        # Without a key of its own a demo visitor gets a conversation no one else finds.
        visitor=visitor_hash(visitor or secrets.token_urlsafe(24)) if demo else "",
        policy=policy_for(user=user),
        names=tuple(name for name in (user.first_name, user.last_name) if name),
    )


def _origin_key(origin: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with default ports dropped; None when it is not an http origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if port == {"http": 80, "https": 443}[scheme]:
        port = None
    return scheme, host, port


def origin_allowed(origin: str | None) -> bool:
    """May a page from `origin` open a chat WebSocket (cross-site WebSocket hijacking guard).

    Allowed: the configured CHAT_ALLOWED_ORIGINS, and any origin whose host is one of
    ALLOWED_HOSTS (the agent's own pages), port ignored as Channels' validator does. A bare
    `*` in ALLOWED_HOSTS is not taken as "every origin": it is about Host headers behind a
    proxy, not about which pages may talk to us.

    No Origin header is allowed: browsers always send one on a WebSocket handshake, so its
    absence means a non-browser client (the InfraZen server, curl, tests), which could send
    any Origin it liked anyway; the token is what authenticates it. `null` (sandboxed
    iframes, file: pages) is refused.
    """
    if origin is None or origin == "":
        return True
    key = _origin_key(origin)
    if key is None:
        return False
    if key in {_origin_key(allowed) for allowed in settings.CHAT_ALLOWED_ORIGINS}:
        return True
    host = key[1]
    if ":" in host:
        host = f"[{host}]"
    hosts = [allowed for allowed in settings.ALLOWED_HOSTS if allowed != "*"]
    return validate_host(host, hosts)


REASON_SESSION_NOT_FOUND = "Session not found"


def chat_session_authorize(
    *, token: str, session_id: str, visitor: str = ""
) -> tuple[ChatPrincipal, ChatSession]:
    """Checks for `/v1/chat/ws?session=<id>&token=<jwt>` (a session from POST /v1/chat/start).

    The token must be valid for the session's scenario (and recommendation): a session id
    grants nothing by itself. A missing, archived or foreign session is one 4404.
    """
    claims = token_decode(token=token)
    user = chat_token_user(claims=claims)
    session = None
    if isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id):
        session = ChatSession.objects.filter(
            pk=session_id, user_id=user.pk, status=ChatSession.STATUS_ACTIVE
        ).first()
    if session is None:
        raise ChatAuthError(CLOSE_NOT_FOUND, REASON_SESSION_NOT_FOUND)
    if claims.scenario != session.scenario:
        raise ChatAuthError(CLOSE_FORBIDDEN, REASON_SCENARIO_MISMATCH)
    context: dict = {}
    if session.scenario == SCENARIO_RECOMMENDATION:
        if claims.recommendation_id != session.recommendation_id:
            raise ChatAuthError(CLOSE_FORBIDDEN, REASON_RECOMMENDATION_MISMATCH)
        try:
            recommendation_get(user_id=user.pk, recommendation_id=session.recommendation_id)
        except NotFound:
            raise ChatAuthError(CLOSE_NOT_FOUND, REASON_RECOMMENDATION_NOT_FOUND) from None
    stored = _stored_context(session)
    if session.scenario != SCENARIO_RECOMMENDATION:
        context = {key: value for key, value in stored.items() if key != VISITOR_FIELD}
    principal = _principal(
        user=user,
        scenario=session.scenario,
        recommendation_id=session.recommendation_id,
        context=context,
        visitor=visitor,
    )
    if principal.visitor and stored.get(VISITOR_FIELD) != principal.visitor:
        # Another demo visitor's conversation looks exactly like a missing one.
        raise ChatAuthError(CLOSE_NOT_FOUND, REASON_SESSION_NOT_FOUND)
    return principal, session


def _stored_context(session: ChatSession) -> dict:
    try:
        stored = json.loads(session.context or "{}")
    except ValueError:
        return {}
    return stored if isinstance(stored, dict) else {}


def chat_token_mint(
    *,
    user_id: int,
    scenario: str,
    recommendation_id: int | None = None,
    context: dict | None = None,
    lifetime_s: int = 3600,
) -> str:
    """A token with the claims InfraZen mints (contract §4.2), for `manage.py chat_token`:
    demos and support. In production InfraZen's `POST /api/chat/token` mints them."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown chat scenario {scenario!r}")
    now = int(time.time())
    payload = {
        "user_id": user_id,
        "scenario": scenario,
        "recommendation_id": recommendation_id if scenario == SCENARIO_RECOMMENDATION else None,
        "context": None if scenario == SCENARIO_RECOMMENDATION else (context or {}),
        "iat": now,
        "exp": now + lifetime_s,
    }
    return jwt.encode(payload, settings.AGENT_SERVICE_JWT_SECRET, algorithm=ALGORITHM)
