"""The sessions' system prompts, each with its context pack, kept for CHAT_CONTEXT_TTL_S and
prepared before the question (prefetch).

Building the pack runs a dozen queries (~15 ms); a conversation asks several questions a
minute, and the figures behind the pack change once per sync. One method builds a prompt,
`PromptCache.prompt`: a question's turn (chat.turns) and the prefetch both go through it.
The prefetch runs on the background database thread, so a question usually finds its pack
ready instead of building it on the thread all the chat's writes go through.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict

from django.conf import settings

from chat.auth import ChatPrincipal
from chat.context import PackRun, context_pack_build
from chat.prompts import system_prompt_build
from chat.services import pack_runs_audit
from core.db import db_background
from infrazen.selectors import user_get
from llm import gateway

logger = logging.getLogger(__name__)

PREFETCH_QUEUE_MAX = 4
PROMPT_CACHE_SESSIONS = 2_000
# Prefetches past PREFETCH_QUEUE_MAX wait until no socket has opened for
# PREFETCH_DEFERRED_QUIET_S, then are built one at a time, each followed by a pause of
# PREFETCH_DEFERRED_PAUSE times its build (see _Deferred).
PREFETCH_DEFERRED_QUIET_S = 1.0
PREFETCH_DEFERRED_PAUSE = 0.5


class _Deferred:
    """The prefetches a burst of sockets (as after a restart, when every client reconnects)
    could not start at once.

    Queued all at once, their CPU-bound builds would hold the GIL while the first questions
    arrive; dropped, every first question built its pack on its own path (first questions
    p50 21-32 ms in the reconnect burst benchmark). So they wait for the burst to end, and
    are then built one by one with pauses, the answers keeping most of the core.
    """

    def __init__(self, cache: PromptCache) -> None:
        self.cache = cache
        self.waiting: OrderedDict[str, ChatPrincipal] = OrderedDict()
        self.last_added = 0.0
        self.drainer: asyncio.Task | None = None

    def add(self, *, principal: ChatPrincipal, session_id: str) -> None:
        self.waiting[session_id] = principal
        self.waiting.move_to_end(session_id)
        while len(self.waiting) > PROMPT_CACHE_SESSIONS:
            self.waiting.popitem(last=False)
        self.last_added = time.monotonic()
        drainer = self.drainer
        # A drainer left on a loop that has ended (tests run one loop each) never finishes.
        if (
            drainer is None
            or drainer.done()
            or drainer.get_loop() is not asyncio.get_running_loop()
        ):
            self.drainer = asyncio.create_task(self._drain())

    def forget(self, session_id: str) -> None:
        self.waiting.pop(session_id, None)

    async def _drain(self) -> None:
        while self.waiting:
            quiet = time.monotonic() - self.last_added
            if quiet < PREFETCH_DEFERRED_QUIET_S:
                await asyncio.sleep(PREFETCH_DEFERRED_QUIET_S - quiet)
                continue
            session_id, principal = self.waiting.popitem(last=False)
            if self.cache.half_fresh(session_id) or session_id in self.cache.prefetching:
                continue
            started = time.monotonic()
            task = self.cache.prefetch_start(principal=principal, session_id=session_id)
            await asyncio.wait({task})
            await asyncio.sleep((time.monotonic() - started) * PREFETCH_DEFERRED_PAUSE)


class PromptCache:
    def __init__(self) -> None:
        # session id → (built at, system prompt), least recently built first.
        self.entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        # One method builds a prompt (`prompt`), but on two threads: a question's turn on the
        # thread-sensitive database thread, a prefetch on the background one (core.db). Their
        # updates of `entries` (store, move to the end, evict the oldest) must not interleave:
        # one thread's eviction could pop the key the other is moving to the end (KeyError).
        # So the lock stays although only one path builds.
        self._lock = threading.Lock()
        # session id → the task preparing its prompt in the background.
        self.prefetching: dict[str, asyncio.Task] = {}
        self._building: set[str] = set()  # sessions whose prefetch is building right now
        self.deferred = _Deferred(self)

    # --- the prompts ------------------------------------------------------------------------
    def fresh(self, session_id: str, *, within: float) -> str | None:
        cached = self.entries.get(session_id)
        if cached is not None and time.monotonic() - cached[0] < within:
            return cached[1]
        return None

    def half_fresh(self, session_id: str) -> bool:
        """Younger than half its TTL: no prefetch needed yet."""
        return self.fresh(session_id, within=settings.CHAT_CONTEXT_TTL_S / 2) is not None

    def prompt(self, *, principal: ChatPrincipal, session_id: str, within: float) -> str:
        """The scenario's prompt with its context pack, built unless one younger than
        `within` is kept (sync: it reads the database)."""
        prompt = self.fresh(session_id, within=within)
        if prompt is not None:
            return prompt
        built_at = time.monotonic()
        runs: list[PackRun] = []
        pack = context_pack_build(
            user=user_get(user_id=principal.user_id),
            scenario=principal.scenario,
            recommendation_id=principal.recommendation_id,
            context=principal.context,
            runs=runs,
        )
        # Round 0: what the pack read, audited as the model's own tool calls are.
        pack_runs_audit(session_id=session_id, user_id=principal.user_id, runs=runs)
        prompt = system_prompt_build(
            scenario=principal.scenario, pack=pack, read_only=principal.is_read_only
        )
        with self._lock:
            self.entries[session_id] = (built_at, prompt)
            self.entries.move_to_end(session_id)
            while len(self.entries) > PROMPT_CACHE_SESSIONS:
                self.entries.popitem(last=False)
        return prompt

    # --- prepared before the question -------------------------------------------------------
    def prefetch(self, *, principal: ChatPrincipal, session_id: str) -> None:
        """Prepare the session's prompt off the question's path, on the background DB thread.

        Called when a socket opens and after each answer (once the prompt is half its TTL
        old). Offline chats have no prompt. At most PREFETCH_QUEUE_MAX start at once; the
        rest wait in `deferred`. A question whose pack is not ready builds it itself (a
        queued build then finds it fresh).
        """
        if not settings.CHAT_CONTEXT_PREFETCH or not gateway.llm_available():
            return
        if self.half_fresh(session_id):
            return
        loop = asyncio.get_running_loop()
        waiting = [t for t in self.prefetching.values() if not t.done() and t.get_loop() is loop]
        if self.prefetching.get(session_id) in waiting:
            return
        if len(waiting) >= PREFETCH_QUEUE_MAX:
            self.deferred.add(principal=principal, session_id=session_id)
            return
        self.prefetch_start(principal=principal, session_id=session_id)

    def prefetch_forget(self, session_id: str) -> None:
        """The session's last socket here closed: a deferred prefetch of it is not needed."""
        self.deferred.forget(session_id)

    def prefetch_start(self, *, principal: ChatPrincipal, session_id: str) -> asyncio.Task:
        task = asyncio.create_task(self._prefetch(principal=principal, session_id=session_id))
        self.prefetching[session_id] = task
        task.add_done_callback(
            lambda done: (
                self.prefetching.pop(session_id)
                if self.prefetching.get(session_id) is done
                else None
            )
        )
        return task

    async def prefetch_wait(self, session_id: str) -> None:
        """A pack being built for this session is waited for rather than built twice."""
        task = self.prefetching.get(session_id)
        if (
            session_id in self._building
            and task is not None
            and task.get_loop() is asyncio.get_running_loop()
        ):
            await asyncio.wait({task})

    def _prefetched(self, *, principal: ChatPrincipal, session_id: str) -> None:
        if self.half_fresh(session_id):
            return
        self._building.add(session_id)
        try:
            self.prompt(
                principal=principal,
                session_id=session_id,
                within=settings.CHAT_CONTEXT_TTL_S / 2,
            )
        finally:
            self._building.discard(session_id)

    async def _prefetch(self, *, principal: ChatPrincipal, session_id: str) -> None:
        try:
            await db_background(self._prefetched)(principal=principal, session_id=session_id)
        except Exception:
            # The question builds the pack itself then: a failed prefetch loses nothing.
            logger.warning("chat context prefetch failed", exc_info=True)


PROMPTS = PromptCache()
