"""The answers running in this process: one owner for reserving a session, starting its
answer, stopping it, and draining them all at shutdown.

A session has at most one running answer per process; that is what makes a second question
while one is running a `busy` error rather than a second parallel answer. The protocol:

  reserve  claim the session while the question is stored (False: an answer runs already)
  release  give a reservation back when the question could not be stored
  start    the answer runs as its own task; the session is released when it ends
  stop     cancel it (a `stop` frame); drain: a shutdown lets them finish, then stops them

chat.engine drives it (and the consumer passes on a stop heard from another process); the
sockets and the replay read `running`/`running_id`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Coroutine
from typing import Any

from core.shutdown import shutdown_begin


class RunningAnswers:
    def __init__(self) -> None:
        # session id → its running answer (None while the answer is being set up).
        self._tasks: dict[str, asyncio.Task | None] = {}
        # Their answers' message ids: the row a replay leaves out while it is streamed here.
        self._answer_ids: dict[str, int] = {}
        # Answers asked to stop, and those of them stopped by a shutdown.
        self._stop_requested: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
        self._interrupted: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
        # Answers being stored (see `finish`): a shutdown waits for them.
        self._finishing: set[asyncio.Future] = set()

    # --- reading ----------------------------------------------------------------------------
    def running(self, session_id: str) -> bool:
        return session_id in self._tasks

    def running_id(self, session_id: str) -> int | None:
        """The message id of the answer running in this process for the session, if any."""
        return self._answer_ids.get(session_id)

    def any(self) -> bool:
        return bool(self._tasks)

    def count(self) -> int:
        """Answers running (or being set up) in this process."""
        return len(self._tasks)

    # --- the protocol -----------------------------------------------------------------------
    def reserve(self, session_id: str) -> bool:
        """Claim the session for a new answer; False when one is already running here."""
        if session_id in self._tasks:
            return False
        self._tasks[session_id] = None
        return True

    def release(self, session_id: str) -> None:
        self._tasks.pop(session_id, None)

    def start(
        self, *, session_id: str, answer_id: int, run: Coroutine[Any, Any, str]
    ) -> asyncio.Task:
        """Run the answer as its own task; the session is released when it ends."""
        task = asyncio.create_task(run)
        self._tasks[session_id] = task
        self._answer_ids[session_id] = answer_id
        task.add_done_callback(lambda done: self.release_own(session_id, done))
        return task

    def release_own(self, session_id: str, task: asyncio.Task | None) -> None:
        """Release the session if `task` still holds it (a next answer may hold it already)."""
        if self._tasks.get(session_id) is task:
            del self._tasks[session_id]
            self._answer_ids.pop(session_id, None)

    def stop(self, session_id: str) -> bool:
        """Cancel the session's running answer in this process, if there is one.

        The cancel closes the model's stream at once. Libraries on the way (the Redis client
        among them) do not all let a cancellation through, so the stop is also recorded, and
        the answer checks it (`stop_requested`) before each frame it sends.
        """
        task = self._tasks.get(session_id)
        if task is None or task.done():
            return False
        self._stop_requested.add(task)
        task.cancel()
        return True

    def stop_requested(self, task: asyncio.Task | None) -> bool:
        return task in self._stop_requested

    def cancelled(self, task: asyncio.Task) -> bool:
        """The answer's task took its cancellation; True when a shutdown interrupted it
        (rather than a `stop`)."""
        task.uncancel()
        self._stop_requested.discard(task)
        if task in self._interrupted:
            self._interrupted.discard(task)
            return True
        return False

    async def finish(self, store: Coroutine[Any, Any, None]) -> None:
        """Store the answer so that a second `stop` (or a shutdown) cannot lose it."""
        finishing = asyncio.ensure_future(store)
        self._finishing.add(finishing)
        finishing.add_done_callback(self._finishing.discard)
        await asyncio.shield(finishing)

    # --- shutdown ---------------------------------------------------------------------------
    async def drain(self, *, grace_s: float, store_timeout_s: float = 10.0) -> tuple[int, int]:
        """Mark the process as shutting down (core.shutdown: the chat refuses new questions,
        readiness answers 503), let the running answers finish for up to `grace_s`, then
        interrupt the rest. An interrupted answer ends like a failed one (an `error` frame, a
        `failed` final frame) and is stored with what was streamed and RESTART_MARKER, so
        after the restart the chat shows how far it got. Returns how many answers finished
        and how many were interrupted.
        """
        shutdown_begin()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        finished: set[asyncio.Task] = set()
        while True:
            tasks = self._tasks.values()
            running = {task for task in tasks if task is not None and not task.done()}
            # A question being stored right now (None) becomes a running answer in a moment.
            setting_up = any(task is None for task in tasks)
            remaining = deadline - loop.time()
            if not running and (not setting_up or remaining <= 0):
                return len(finished), 0
            if remaining <= 0:
                break
            if running:
                done, _ = await asyncio.wait(running, timeout=remaining)
                finished |= done
            else:
                await asyncio.sleep(min(0.05, remaining))
        for task in running:
            self._interrupted.add(task)
            self._stop_requested.add(task)
            task.cancel()
        # Each stores its partial answer on the way out (shielded, see `finish`); one that
        # was already being stored goes on with that while its task ends at once.
        await asyncio.wait(running, timeout=store_timeout_s)
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=store_timeout_s)
        return len(finished), len(running)


ANSWERS = RunningAnswers()
