"""Demo visitors: every visitor of InfraZen's public demo is the same `demouser`, so the user
id cannot keep their conversations apart. Each browser holds a key of its own instead.

- New clients may send it as `?visitor=<key>` (kept in their storage).
- The stock InfraZen page sends nothing of its own, so the service hands its browser a key
  as a cookie on the WebSocket handshake (HttpOnly, SameSite=Strict, on the chat's path),
  which the browser sends with its next connections: a reconnect or a reload finds the same
  conversation, another browser never does.

Sessions store a hash of the key, never the key, in their context (`demo_visitor`); only
demo principals are keyed this way (chat.auth).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from http.cookies import SimpleCookie

from django.conf import settings

COOKIE = "infrazen_agent_visitor"
KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_AGE_S = 365 * 86_400


def visitor_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _cookie_key(raw: str) -> str:
    cookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # noqa: BLE001 - a malformed Cookie header is the browser's, not ours
        return ""
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None and KEY.fullmatch(morsel.value) else ""


def visitor_key(*, query: dict[str, str], cookie_header: str) -> tuple[str, bool]:
    """The connection's visitor key, and whether it is new (to be set as a cookie)."""
    given = query.get("visitor", "")
    if KEY.fullmatch(given):
        return given, False
    from_cookie = _cookie_key(cookie_header)
    if from_cookie:
        return from_cookie, False
    return secrets.token_urlsafe(24), True


def visitor_cookie_header(*, key: str, secure: bool) -> tuple[bytes, bytes]:
    path = (settings.FORCE_SCRIPT_NAME or "").rstrip("/") + "/v1/chat/"
    value = f"{COOKIE}={key}; Path={path}; Max-Age={MAX_AGE_S}; HttpOnly; SameSite=Strict"
    return b"set-cookie", (value + ("; Secure" if secure else "")).encode()
