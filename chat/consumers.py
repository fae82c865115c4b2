"""The chat WebSocket: one consumer for every endpoint and both scenarios (contract §4.2; the
URLs in chat.connection).

A refused connection is accepted, then closed with 4401/4403/4404 and a reason, so a client
can tell why (InfraZen's agent closed before accepting, which browsers see as a bare 1006).
Every frame a socket sends passes its FrameLimiter (chat.limits) before it is parsed.
The consumer is thin: a question or a stop goes to the engine (chat.engine), and the
session's frames come out through chat.fanout. It overrides none of Channels' internals; the
one change to Channels' behaviour it relies on is its base class (chat.channels_seam).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chat import engine, frames
from chat.auth import CLOSE_FORBIDDEN, ChatAuthError, ChatPrincipal, origin_allowed, token_precheck
from chat.channels_seam import DirectDispatchConsumer
from chat.connection import (
    ENDPOINT_ANALYTICS,
    ENDPOINT_RECOMMENDATION,
    ENDPOINT_SESSION,
    after_parse,
    connection_open,
    handshake_visitor,
    header,
    query_parse,
    replay_frames,
)
from chat.fanout import SESSIONS
from chat.layers import PROCESS_ID
from chat.limits import CLOSE_TOO_MANY_FRAMES, REASON_TOO_MANY_FRAMES, FrameLimiter, Refusal
from chat.prompt_cache import PROMPTS
from chat.running import ANSWERS
from core.db import db_sync_to_async
from infrazen.models import ChatSession

logger = logging.getLogger(__name__)

REASON_ORIGIN = "Origin not allowed"


class ChatConsumer(DirectDispatchConsumer):
    endpoint = ENDPOINT_RECOMMENDATION

    principal: ChatPrincipal | None = None
    session: ChatSession | None = None
    # The id of an answer another process is streaming to this session (from its frames).
    answer_elsewhere: int | None = None
    limiter: FrameLimiter | None = None
    # Closed by the server (flooding, access revoked): frames still in flight are dropped.
    closing: bool = False

    async def connect(self) -> None:
        query = query_parse(self.scope)
        visitor, headers = handshake_visitor(self.scope, query)
        await self.accept(headers=headers or None)
        if not origin_allowed(header(self.scope, b"origin")):
            await self.close(code=CLOSE_FORBIDDEN, reason=REASON_ORIGIN)
            return
        try:
            # A token far too long is refused here, without a trip to the database thread.
            token_precheck(token=query.get("token", ""))
            self.principal, self.session = await db_sync_to_async(connection_open)(
                endpoint=self.endpoint,
                query=query,
                url_kwargs=self.scope.get("url_route", {}).get("kwargs", {}),
                visitor=visitor,
            )
        except ChatAuthError as refused:
            logger.info(
                "chat connection refused: %s", refused.reason, extra={"code": refused.close_code}
            )
            await self.close(code=refused.close_code, reason=refused.reason)
            return
        self.limiter = FrameLimiter.from_settings()
        await SESSIONS.join(session_id=self.session.pk, socket=self)
        try:
            after, after_invalid = after_parse(query.get("after")), False
        except ValueError:
            after, after_invalid = None, True
        await self._replay(after=after, greet=True, after_invalid=after_invalid)
        PROMPTS.prefetch(principal=self.principal, session_id=self.session.pk)

    async def disconnect(self, code: int) -> None:
        # A running answer goes on: it is stored, and a reconnect gets it through the replay.
        joined = self.session is not None and self.limiter is not None
        if joined and await SESSIONS.leave(session_id=self.session.pk, socket=self):
            PROMPTS.prefetch_forget(self.session.pk)

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
            engine.answer_stop(self.session.pk)
        elif incoming.kind == frames.KIND_HISTORY:
            if (refused := self.limiter.replay_admit()) is not None:
                await self._refuse(refused)
                return
            await self._replay(after=incoming.after, greet=False)
        else:
            await self._ask(incoming)

    async def _ask(self, incoming: frames.ClientFrame) -> None:
        refused = await engine.question_ask(
            principal=self.principal,
            session=self.session,
            question=incoming,
            channel_name=self.channel_name,
            busy_elsewhere=self.answer_elsewhere is not None,
        )
        if refused is not None:
            await self._send(refused.frame)
            if refused.close_code is not None:
                self.closing = True
                await self.close(code=refused.close_code, reason=refused.close_reason)

    async def _replay(self, *, after: int | None, greet: bool, after_invalid: bool = False) -> None:
        replay = await replay_frames(
            session=self.session, after=after, greet=greet, after_invalid=after_invalid
        )
        if replay.elsewhere is not None:
            self.answer_elsewhere = replay.elsewhere
        for frame in replay.frames:
            await self._send(frame)

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

    async def deliver(self, frame: dict[str, Any]) -> None:
        """A frame of the session's answer (chat.fanout), from this process or another."""
        if not ANSWERS.running(self.session.pk):
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

    # --- channel-layer events: what the session's other processes send ----------------------
    async def chat_frame(self, event: dict[str, Any]) -> None:
        await SESSIONS.frame_heard(socket=self, event=event)

    async def chat_presence(self, event: dict[str, Any]) -> None:
        SESSIONS.presence_heard(session_id=self.session.pk, socket=self, event=event)

    async def chat_stop(self, event: dict[str, Any]) -> None:
        """A stop from a tab in another process (this process's stopped it already)."""
        if event.get("origin") != PROCESS_ID:
            ANSWERS.stop(self.session.pk)


class RecommendationChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_RECOMMENDATION


class AnalyticsChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_ANALYTICS


class SessionChatConsumer(ChatConsumer):
    endpoint = ENDPOINT_SESSION
