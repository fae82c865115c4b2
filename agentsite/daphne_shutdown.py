"""A deploy (SIGTERM to daphne) loses no chat answer.

On SIGTERM daphne runs its "before shutdown" trigger, `Server.kill_all_applications`, which
cancels every connection's application, and the reactor then drops the connections. A chat
answer is a task of its own (it outlives a socket: chat.running), so it went down with the
event loop: what was streamed was lost, the question stayed without an answer, and the
browser saw a 1006.

HTTP requests in flight (a recommendation text being generated for the InfraZen app's sync)
were cancelled the same way.

Installed by agentsite.asgi when it runs under daphne, this comes first, for up to
CHAT_SHUTDOWN_GRACE_S in all:
1. `chat.running.ANSWERS.drain` marks the process as shutting down (ops.shutdown):
   `/v1/readiness` answers 503, so a load balancer sends new work elsewhere, and a new
   question is refused. Running answers go on streaming to their sockets and may finish;
   the rest are stored with what was streamed and a restart marker. Meanwhile HTTP requests
   in flight may finish too.
2. Every open socket gets a close frame 1012 (Service Restart), so its client reconnects
   (to another worker, or to this one restarted) and the history replay shows the answer.
Then daphne's own shutdown runs as before (and cancels what is left).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

CLOSE_CODE_RESTART = 1012
CLOSE_REASON_RESTART = "Service restarting"
# Time for the close frames to leave before the reactor drops the connections.
CLOSE_FLUSH_S = 0.2


def daphne_shutdown_install() -> None:
    """Drain the chat's answers before daphne stops its applications."""
    # Only when daphne runs this process: importing daphne.server installs Twisted's reactor.
    server_module = sys.modules.get("daphne.server")
    if server_module is None:
        return
    server_class = server_module.Server
    original = server_class.kill_all_applications
    if getattr(original, "drains_answers", False):
        return

    def kill_all_applications(self: Any) -> Any:
        from twisted.internet import defer

        drained = defer.Deferred.fromFuture(asyncio.ensure_future(shutdown_drain(self)))
        drained.addErrback(lambda failure: logger.error("shutdown drain failed: %s", failure))
        drained.addCallback(lambda _: original(self))
        return drained

    kill_all_applications.drains_answers = True
    server_class.kill_all_applications = kill_all_applications


def _requests_in_flight(server: Any) -> set[asyncio.Future]:
    from daphne.ws_protocol import WebSocketProtocol

    return {
        details["application_instance"]
        for protocol, details in list(server.connections.items())
        if not isinstance(protocol, WebSocketProtocol)
        and details.get("application_instance") is not None
        and not details["application_instance"].done()
    }


async def _requests_finish(server: Any, *, grace_s: float) -> int:
    """Wait up to `grace_s` for the HTTP requests in flight; returns how many are left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    while (pending := _requests_in_flight(server)) and loop.time() < deadline:
        await asyncio.wait(pending, timeout=deadline - loop.time())
    return len(_requests_in_flight(server))


async def shutdown_drain(server: Any) -> None:
    from daphne.ws_protocol import WebSocketProtocol

    from chat.running import ANSWERS

    grace_s = settings.CHAT_SHUTDOWN_GRACE_S
    (finished, interrupted), requests_left = await asyncio.gather(
        ANSWERS.drain(grace_s=grace_s), _requests_finish(server, grace_s=grace_s)
    )
    closed = 0
    for protocol in list(server.connections):
        if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN:
            # sendCloseFrame: autobahn's sendClose accepts 1000 and 3000-4999 only.
            protocol.sendCloseFrame(
                code=CLOSE_CODE_RESTART, reasonUtf8=CLOSE_REASON_RESTART.encode()
            )
            closed += 1
    logger.log(
        logging.WARNING if interrupted or requests_left else logging.INFO,
        "shutdown: %d chat answers finished, %d interrupted and stored, %d sockets closed, "
        "%d HTTP requests still running",
        finished,
        interrupted,
        closed,
        requests_left,
    )
    if closed:
        await asyncio.sleep(CLOSE_FLUSH_S)
