"""What a chat socket needs from its URL and the database: who it is, which session it
serves, and the session's messages to replay (on connect and on a `history` frame).

  /v1/chat/rec/<recommendation_id>?token=<jwt>   recommendation chat (InfraZen's contract)
  /v1/chat/analytics?token=<jwt>                 analytics chat (InfraZen's contract)
  /v1/chat/ws?session=<id>&token=<jwt>           a session from POST /v1/chat/start

Any of them takes `&after=<message_id>`: the replay then holds only newer messages. An
`after` that is no message id (not ASCII digits, past the BIGINT range) is ignored, as if
absent, and the client is told with a `bad_frame` error after the `system` frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from chat import frames, texts
from chat.auth import ChatPrincipal, chat_connection_authorize, chat_session_authorize
from chat.owners import may_run_elsewhere, running_elsewhere
from chat.running import ANSWERS
from chat.selectors import HISTORY_LIMIT, HISTORY_MAX_LIMIT, chat_history
from chat.services import chat_session_get_or_create
from chat.visitors import visitor_cookie_header, visitor_key
from core.db import db_sync_to_async
from infrazen.models import ChatSession

ENDPOINT_RECOMMENDATION = "recommendation"
ENDPOINT_ANALYTICS = "analytics"
ENDPOINT_SESSION = "session"

_AFTER_DIGITS = re.compile(r"[0-9]{1,19}")


def query_parse(scope: dict) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[0] for key, values in parse_qs(raw).items() if values}


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def after_parse(value: str | None) -> int | None:
    """A message id from the query string; ValueError when it is given but is no id.

    Not str.isdigit(): it is true for `²` and `١`, which int() then refuses or converts."""
    if value is None:
        return None
    if not _AFTER_DIGITS.fullmatch(value) or int(value) > frames.MESSAGE_ID_MAX:
        raise ValueError("after is not a message id")
    return int(value)


def connection_open(
    *, endpoint: str, query: dict[str, str], url_kwargs: dict[str, Any], visitor: str = ""
) -> tuple[ChatPrincipal, ChatSession]:
    """Authenticate a connection and find or create its session (sync; raises ChatAuthError).
    `visitor`: the browser's key (chat.visitors), which keys a demo user's sessions."""
    token = query.get("token", "")
    if endpoint == ENDPOINT_SESSION:
        return chat_session_authorize(
            token=token, session_id=query.get("session", ""), visitor=visitor
        )
    principal = chat_connection_authorize(
        token=token,
        endpoint_scenario=endpoint,
        url_recommendation_id=int(url_kwargs["recommendation_id"])
        if endpoint == ENDPOINT_RECOMMENDATION
        else None,
        visitor=visitor,
    )
    return principal, chat_session_get_or_create(principal=principal)


def handshake_visitor(scope: dict, query: dict[str, str]) -> tuple[str, list]:
    """The connection's visitor key, and the accept's headers: a cookie when it is new."""
    key, new = visitor_key(query=query, cookie_header=header(scope, b"cookie") or "")
    if not new:
        return key, []
    secure = scope.get("scheme") == "wss" or header(scope, b"x-forwarded-proto") == "https"
    return key, [visitor_cookie_header(key=key, secure=secure)]


@dataclass(frozen=True)
class Replay:
    """A replay's frames, and the id of the answer it found streaming in another process."""

    frames: list[dict[str, Any]]
    elsewhere: int | None = None


async def replay_frames(
    *, session: ChatSession, after: int | None, greet: bool, after_invalid: bool = False
) -> Replay:
    """The session's stored messages (newer than `after`) as frames, after the `system`
    frame when `greet`, and `typing` when an answer is running, here or elsewhere."""
    limit = HISTORY_LIMIT if after is None else HISTORY_MAX_LIMIT
    history = await db_sync_to_async(chat_history)(session=session, limit=limit, after_id=after)
    running = ANSWERS.running_id(session.pk)
    elsewhere = None
    if not ANSWERS.running(session.pk) and history and may_run_elsewhere(history[-1]):
        if await running_elsewhere(session_id=session.pk, answer_id=history[-1].pk):
            running = elsewhere = history[-1].pk
        else:
            # Its answer may have ended while we asked: its row as it is now.
            history = await db_sync_to_async(chat_history)(
                session=session, limit=limit, after_id=after
            )
    if running is not None:
        # Its row holds a checkpoint (what was streamed, marked interrupted, for a
        # worker killed mid-answer); this socket gets the answer live instead.
        history = [message for message in history if message.pk != running]
    replay = []
    if greet:
        system = frames.frame(
            "system",
            content=texts.system_text(scenario=session.scenario, loaded=len(history)),
            session_id=session.pk,
            scenario=session.scenario,
            recommendation_id=session.recommendation_id,
            last_message_id=history[-1].pk if history else after,
        )
        replay.append(system)
    if after_invalid:
        replay.append(frames.error_frame(frames.ERROR_BAD_FRAME, frames.AFTER_INVALID_TEXT))
    replay.extend(frames.message_frame(message) for message in history)
    if ANSWERS.running(session.pk):
        replay.append(frames.frame("typing"))
    elif elsewhere is not None:
        replay.append(frames.frame("typing", message_id=elsewhere))
    return Replay(frames=replay, elsewhere=elsewhere)
