"""The chat WebSocket: one consumer for every endpoint and both scenarios (facts §3.5).

  /v1/chat/rec/<recommendation_id>?token=<jwt>   recommendation chat (InfraZen's contract)
  /v1/chat/analytics?token=<jwt>                 analytics chat (InfraZen's contract)
  /v1/chat/ws?session=<id>&token=<jwt>           a session from POST /v1/chat/start

Any of them takes `&after=<message_id>`: the replay then holds only newer messages. An
`after` that is no message id (not ASCII digits, past the BIGINT range) is ignored, as if
absent, and the client is told with a `bad_frame` error after the `system` frame.

Every frame a socket sends passes its FrameLimiter (chat.limits) before it is parsed.

A refused connection is accepted, then closed with 4401/4403/4404 and a reason, so a client
can tell why (InfraZen's agent closed before accepting, which browsers see as a bare 1006).
The consumer is thin: frames in, the engine's frames out through the session's group.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from redis.exceptions import RedisError

from chat import engine, frames
from chat.auth import (
    CLOSE_FORBIDDEN,
    ChatAuthError,
    ChatPrincipal,
    chat_connection_authorize,
    chat_session_authorize,
    origin_allowed,
    token_precheck,
)
from chat.limits import CLOSE_TOO_MANY_FRAMES, REASON_TOO_MANY_FRAMES, FrameLimiter, Refusal
from chat.neutralise import html_neutralise
from chat.selectors import HISTORY_LIMIT, HISTORY_MAX_LIMIT, chat_history
from chat.services import chat_session_get_or_create
from core.db import db_sync_to_async
from core.shutdown import shutting_down
from infrazen.models import ChatSession
from ru_format import plural

logger = logging.getLogger(__name__)

ENDPOINT_RECOMMENDATION = "recommendation"
ENDPOINT_ANALYTICS = "analytics"
ENDPOINT_SESSION = "session"

REASON_ORIGIN = "Origin not allowed"
ERROR_FORBIDDEN = "forbidden"
FORBIDDEN_TEXT = (
    "Доступ к этому чату закрыт: учётная запись отключена или рекомендация больше не ваша. "
    "Вопрос не отправлен."
)
SCENARIO_NAMES = {"recommendation": "по рекомендации", "analytics": "по аналитике"}


def group_name(session_id: str) -> str:
    return f"chat.{session_id}"


# This process's sockets per session. Frames reach them by a direct call: a streamed answer
# is tens of frames a second per socket, and the channel layer's per-message dispatch was the
# largest cost of streaming. The channel-layer group still carries frames to the sockets of
# other processes (Redis layer); each process skips its own frames coming back that way.
_LOCAL: dict[str, set[ChatConsumer]] = {}
PROCESS_ID = uuid.uuid4().hex

# Session id → the other processes known to hold a socket of it (Redis layer only).
# A process says so in the session's group when its first socket of the session opens and
# when its last one closes; the processes already there answer the first. Deltas go to the
# group only while this set is not empty: they were most of what each answer published, and
# a session's tabs are almost always in one process. Every other frame (the question, typing,
# tool events, the final answer with the whole text, errors) always goes, so a tab whose
# process is not known yet loses at most some deltas, as a tab opened mid-answer always did.
_REMOTE: dict[str, set[str]] = {}
# Frames a tab can do without: the final `assistant` frame repeats their text.
_SKIPPABLE_ALONE = frozenset({"assistant_delta"})

# Session id → the events waiting to be published to its group, oldest first; one task per
# session publishes them (_publish_waiting). Past PUBLISH_BACKLOG_MAX (Redis slow or down)
# new deltas are dropped; every other frame still waits its turn.
_PUBLISHING: dict[str, deque[dict[str, Any]]] = {}
_PUBLISH_TASKS: set[asyncio.Task] = set()
PUBLISH_BACKLOG_MAX = 500
# A failing channel-layer receive is tried again after this pause, doubled up to the maximum.
LAYER_RETRY_FIRST_S = 0.1
LAYER_RETRY_MAX_S = 5.0
# A group operation (join, leave, publish) waits at most this long for Redis.
LAYER_CALL_TIMEOUT_S = 5.0


def open_sockets_count() -> int:
    """The chat sockets open in this process: accepted, authenticated, serving a session.
    Read it on the event loop, which is the only place `_LOCAL` changes."""
    return sum(len(sockets) for sockets in _LOCAL.values())


def _skippable(event: dict[str, Any]) -> bool:
    return event.get("frame", {}).get("type") in _SKIPPABLE_ALONE


def _query(scope: dict) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[0] for key, values in parse_qs(raw).items() if values}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


_AFTER_DIGITS = re.compile(r"[0-9]{1,19}")


def _after(value: str | None) -> int | None:
    """A message id from the query string; ValueError when it is given but is no id.

    Not str.isdigit(): it is true for `²` and `١`, which int() then refuses or converts."""
    if value is None:
        return None
    if not _AFTER_DIGITS.fullmatch(value) or int(value) > frames.MESSAGE_ID_MAX:
        raise ValueError("after is not a message id")
    return int(value)


def connection_open(
    *, endpoint: str, query: dict[str, str], url_kwargs: dict[str, Any]
) -> tuple[ChatPrincipal, ChatSession]:
    """Authenticate a connection and find or create its session (sync; raises ChatAuthError)."""
    token = query.get("token", "")
    if endpoint == ENDPOINT_SESSION:
        return chat_session_authorize(token=token, session_id=query.get("session", ""))
    principal = chat_connection_authorize(
        token=token,
        endpoint_scenario=endpoint,
        url_recommendation_id=int(url_kwargs["recommendation_id"])
        if endpoint == ENDPOINT_RECOMMENDATION
        else None,
    )
    return principal, chat_session_get_or_create(principal=principal)


def system_text(*, scenario: str, loaded: int) -> str:
    return (
        f"Сессия чата {SCENARIO_NAMES.get(scenario, scenario)} начата; "
        f"загружено {loaded} {plural(loaded, 'сообщение', 'сообщения', 'сообщений')}."
    )


class ChatConsumer(AsyncWebsocketConsumer):
    endpoint = ENDPOINT_RECOMMENDATION

    principal: ChatPrincipal | None = None
    session: ChatSession | None = None
    group: str | None = None
    # The id of an answer another process is streaming to this session (from its frames).
    answer_elsewhere: int | None = None
    limiter: FrameLimiter | None = None
    # Closed by the server (flooding, access revoked): frames still in flight are dropped.
    closing: bool = False

    async def connect(self) -> None:
        await self.accept()
        if not origin_allowed(_header(self.scope, b"origin")):
            await self.close(code=CLOSE_FORBIDDEN, reason=REASON_ORIGIN)
            return
        query = _query(self.scope)
        try:
            # A token far too long is refused here, without a trip to the database thread.
            token_precheck(token=query.get("token", ""))
            self.principal, self.session = await db_sync_to_async(connection_open)(
                endpoint=self.endpoint,
                query=query,
                url_kwargs=self.scope.get("url_route", {}).get("kwargs", {}),
            )
        except ChatAuthError as refused:
            logger.info(
                "chat connection refused: %s", refused.reason, extra={"code": refused.close_code}
            )
            await self.close(code=refused.close_code, reason=refused.reason)
            return
        self.limiter = FrameLimiter.from_settings()
        self.group = group_name(self.session.pk)
        await self._layer("group_add", self.channel_layer.group_add(self.group, self.channel_name))
        sockets = _LOCAL.setdefault(self.session.pk, set())
        sockets.add(self)
        if len(sockets) == 1:
            self._presence_say(present=True, ask=True)
        try:
            after, after_invalid = _after(query.get("after")), False
        except ValueError:
            after, after_invalid = None, True
        await self._replay(after=after, greet=True, after_invalid=after_invalid)
        engine.prompt_prefetch(principal=self.principal, session_id=self.session.pk)

    async def disconnect(self, code: int) -> None:
        # A running answer goes on: it is stored, and a reconnect gets it through the replay.
        if self.group is not None:
            sockets = _LOCAL.get(self.session.pk, set())
            sockets.discard(self)
            if not sockets:
                _LOCAL.pop(self.session.pk, None)
                # Presence news is heard through local sockets only, so the set would go
                # stale: an answer still running here sends other processes' tabs its
                # frames but no more deltas (the final frame has the whole text).
                _REMOTE.pop(self.session.pk, None)
                engine.prompt_prefetch_forget(self.session.pk)
                self._presence_say(present=False)
            await self._layer(
                "group_discard", self.channel_layer.group_discard(self.group, self.channel_name)
            )

    async def _replay(self, *, after: int | None, greet: bool, after_invalid: bool = False) -> None:
        limit = HISTORY_LIMIT if after is None else HISTORY_MAX_LIMIT
        history = await db_sync_to_async(chat_history)(
            session=self.session, limit=limit, after_id=after
        )
        running = engine.answer_running_id(self.session.pk)
        if running is not None:
            # Its row holds a checkpoint (what was streamed, marked interrupted, for a
            # worker killed mid-answer); this socket gets the answer live instead.
            history = [message for message in history if message.pk != running]
        if greet:
            await self._send(
                frames.frame(
                    "system",
                    content=system_text(scenario=self.session.scenario, loaded=len(history)),
                    session_id=self.session.pk,
                    scenario=self.session.scenario,
                    recommendation_id=self.session.recommendation_id,
                    last_message_id=history[-1].pk if history else after,
                )
            )
        if after_invalid:
            await self._send(frames.error_frame(frames.ERROR_BAD_FRAME, frames.AFTER_INVALID_TEXT))
        for message in history:
            await self._send(frames.message_frame(message))
        if engine.answer_running(self.session.pk):
            await self._send(frames.frame("typing"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None or self.closing:
            return
        if (refused := self.limiter.frame_admit()) is not None:
            await self._refuse(refused)
            return
        try:
            incoming = frames.frame_parse(text_data, bytes_data)
        except frames.FrameError as bad:
            await self._send(frames.error_frame(bad.code, bad.message, client_id=bad.client_id))
            return
        if incoming.kind == frames.KIND_STOP:
            await self._stop()
        elif incoming.kind == frames.KIND_HISTORY:
            if (refused := self.limiter.replay_admit()) is not None:
                await self._refuse(refused)
                return
            await self._replay(after=incoming.after, greet=False)
        else:
            await self._ask(incoming)

    async def _refuse(self, refused: Refusal) -> None:
        if refused.error is not None:
            await self._send(refused.error)
        if refused.close:
            logger.warning(
                "chat socket closed for flooding",
                extra={"session_id": self.session.pk, "refused": self.limiter.refused},
            )
            self.closing = True
            await self.close(code=CLOSE_TOO_MANY_FRAMES, reason=REASON_TOO_MANY_FRAMES)

    async def _ask(self, incoming: frames.ClientFrame) -> None:
        session_id = self.session.pk
        if shutting_down():
            await self._send(
                frames.error_frame(
                    frames.ERROR_RESTART,
                    engine.RESTART_REFUSED_TEXT,
                    client_id=incoming.client_id,
                )
            )
            return
        if self.answer_elsewhere is not None or not engine.answer_reserve(session_id):
            await self._send(
                frames.error_frame(
                    frames.ERROR_BUSY,
                    "Предыдущий ответ ещё не готов: дождитесь его или остановите.",
                    client_id=incoming.client_id,
                )
            )
            return
        try:
            turn = await engine.turn_begin(
                principal=self.principal, session=self.session, question=incoming.content
            )
        except ChatAuthError as refused:
            engine.answer_release(session_id)
            logger.warning(
                "chat question refused: %s", refused.reason, extra={"session_id": session_id}
            )
            await self._send(
                frames.error_frame(ERROR_FORBIDDEN, FORBIDDEN_TEXT, client_id=incoming.client_id)
            )
            self.closing = True
            await self.close(code=refused.close_code, reason=refused.reason)
            return
        except Exception:
            engine.answer_release(session_id)
            logger.exception("chat question could not be stored", extra={"session_id": session_id})
            await self._send(
                frames.error_frame(
                    frames.ERROR_INTERNAL,
                    "Сообщение не сохранено. Попробуйте отправить его ещё раз.",
                    client_id=incoming.client_id,
                )
            )
            return
        question = frames.frame(
            "user",
            message_id=turn.question_id,
            content=html_neutralise(incoming.content),
            client_id=incoming.client_id,
        )
        # The InfraZen client drew its own bubble already; a new client (client_id) gets the
        # stored id back. Other tabs always see the question.
        skip = self.channel_name if incoming.client_id is None else None
        await self._broadcast(question, skip_channel=skip)
        engine.answer_start(turn=turn, broadcast=self._broadcast)

    async def _stop(self) -> None:
        engine.answer_stop(self.session.pk)
        # The answer may run in another process (another tab on another worker).
        self._to_other_processes({"type": "chat.stop"})

    async def _broadcast(self, frame: dict[str, Any], *, skip_channel: str | None = None) -> None:
        """Every socket of the session: this process's directly, the others' via the group."""
        for socket in list(_LOCAL.get(self.session.pk, ())):
            if socket.channel_name != skip_channel:
                await socket._deliver(frame)
        event = {"type": "chat.frame", "frame": frame, "skip": skip_channel}
        if not _skippable(event) or _REMOTE.get(self.session.pk):
            self._to_other_processes(event)

    def _to_other_processes(self, event: dict[str, Any]) -> None:
        """The session's group, for sockets in other processes; this process ignores its own
        events coming back. An in-memory layer has no other process to reach.

        Published in the background, in order: a Redis round trip is not worth a millisecond
        of this process's own sockets (the question and `typing` go before the model call).
        """
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            return
        session_id = self.session.pk
        waiting = _PUBLISHING.get(session_id)
        if waiting is None:
            _PUBLISHING[session_id] = deque([event])
            task = asyncio.create_task(self._publish_waiting(session_id))
            _PUBLISH_TASKS.add(task)
            task.add_done_callback(_PUBLISH_TASKS.discard)
        elif len(waiting) < PUBLISH_BACKLOG_MAX or not _skippable(event):
            waiting.append(event)

    async def _publish_waiting(self, session_id: str) -> None:
        waiting = _PUBLISHING[session_id]
        try:
            while waiting:
                event = {**waiting.popleft(), "origin": PROCESS_ID}
                await self._layer("group_send", self.channel_layer.group_send(self.group, event))
        finally:
            del _PUBLISHING[session_id]

    async def _layer(self, operation: str, call: Awaitable[None]) -> None:
        """The channel layer only reaches sockets in other processes. When it fails (Redis
        unreachable, its connection pool exhausted under load) this process's sockets are
        served all the same: the question is answered and stored, never dropped with a 1011.
        A Redis that hangs is given up on after LAYER_CALL_TIMEOUT_S, well before the reads'
        own timeout, which must outwait the layer's blocking receive."""
        try:
            async with asyncio.timeout(LAYER_CALL_TIMEOUT_S):
                await call
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning(
                "chat channel layer %s failed: %s",
                operation,
                type(exc).__name__,
                extra={"session_id": self.session.pk if self.session else None},
            )

    async def _deliver(self, frame: dict[str, Any]) -> None:
        if not engine.answer_running(self.session.pk):
            if frame["type"] == "typing" and frame.get("message_id") is not None:
                self.answer_elsewhere = frame["message_id"]
            elif frame["type"] == "assistant":
                self.answer_elsewhere = None
        try:
            await self._send(frame)
        except Exception:
            # A socket that went away mid-answer must not stop the other tabs' frames.
            logger.debug("chat frame not delivered", exc_info=True)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    # --- channel-layer events -----------------------------------------------------------------
    # Channels' __call__ stores the layer's receive here and ends the socket with 1011 on any
    # error of it: a Redis read timing out once closed a socket mid-conversation (the chat
    # capacity benchmark, session 8). Stored through this property, the receive is kept
    # alive: tried again after a growing pause, while this process's own frames still reach
    # the socket directly; only what other processes send meanwhile is missed.
    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._channel_receive_kept

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._layer_receive = receive

    async def _channel_receive_kept(self) -> dict[str, Any]:
        pause = LAYER_RETRY_FIRST_S
        while True:
            try:
                return await self._layer_receive()
            except (RedisError, OSError, TimeoutError) as exc:
                log = logger.warning if pause == LAYER_RETRY_FIRST_S else logger.debug
                log(
                    "chat channel layer receive failed: %s; trying again in %.1f s",
                    type(exc).__name__,
                    pause,
                    extra={"session_id": self.session.pk if self.session else None},
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, LAYER_RETRY_MAX_S)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its `aclose_old_connections` before every handler.

        That is a hop to the database thread per message, and a question waited for it
        behind every other socket's database work before its own turn there. This consumer
        reaches the database only through `db_sync_to_async`, which checks the connection
        before each call, so the hop did nothing for it.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def chat_frame(self, event: dict[str, Any]) -> None:
        """A frame from another process's answer (this process's came by _deliver)."""
        if event.get("origin") == PROCESS_ID or event.get("skip") == self.channel_name:
            return
        await self._deliver(event["frame"])

    def _presence_say(self, *, present: bool, ask: bool = False) -> None:
        """Tell the session's other processes that this one holds a socket of it (or no
        longer does); `ask`: those holding one answer, so this process knows them too."""
        self._to_other_processes({"type": "chat.presence", "present": present, "ask": ask})

    async def chat_presence(self, event: dict[str, Any]) -> None:
        """Another process opened its first socket of this session, or closed its last."""
        origin = event.get("origin")
        session_id = self.session.pk
        sockets = _LOCAL.get(session_id)
        if origin in (None, PROCESS_ID) or not sockets:
            return
        known = _REMOTE.setdefault(session_id, set())
        if event.get("present"):
            known.add(origin)
        else:
            known.discard(origin)
        # Every local socket of the session gets the event: one of them answers.
        if event.get("ask") and self is next(iter(sockets)):
            self._presence_say(present=True)

    async def chat_stop(self, event: dict[str, Any]) -> None:
        """A stop from a tab in another process (this process's stopped it already)."""
        if event.get("origin") != PROCESS_ID:
            engine.answer_stop(self.session.pk)


class RecommendationChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_RECOMMENDATION


class AnalyticsChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_ANALYTICS


class SessionChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_SESSION
