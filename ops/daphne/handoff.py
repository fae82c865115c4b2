"""A worker of `make serve` (scripts/workers.py) says when it serves, and hands off on SIGUSR2.

Several daphne workers accept from one listening socket. Two things the supervisor needs
from each, installed by agentsite.asgi when daphne runs the process:

- Ready: once daphne listens, the worker writes one byte to the pipe named by
  AGENT_READY_FD and closes it. A rolling restart starts the new worker and stops the old
  one only after that byte, so the port always has a worker taking connections.
- Hand-off (SIGUSR2, the rolling restart's stop): the worker stops accepting first (the
  others take every new connection) and then stops as on SIGTERM, draining its running
  answers (ops.daphne.shutdown). A plain SIGTERM keeps accepting while it drains, so
  a whole service being stopped answers /v1/readiness 503 rather than refusing connections.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import Any

from ops.daphne import method_wrap

logger = logging.getLogger(__name__)

READY_FD_ENV = "AGENT_READY_FD"
HANDOFF_SIGNAL = signal.SIGUSR2

_ports: list[Any] = []


def _ready_tell() -> None:
    fd = os.environ.pop(READY_FD_ENV, "")
    if not fd.isdigit():
        return
    with contextlib.suppress(OSError):
        os.write(int(fd), b"r")
        os.close(int(fd))


def _handoff() -> None:
    from twisted.internet import reactor

    for port in _ports:
        port.stopListening()
    logger.info("hand-off: this worker accepts no new connections and drains")
    reactor.stop()


def _listen_success(original: Any, self: Any, port: Any) -> Any:
    _ports.append(port)
    result = original(self, port)
    _ready_tell()
    return result


def daphne_handoff_install() -> None:
    """Report readiness and stop on SIGUSR2 (only when daphne runs this process)."""
    server_module = sys.modules.get("daphne.server")
    if server_module is None:
        return
    method_wrap(server_module.Server, "listen_success", _listen_success)

    def on_signal(_signum: int, _frame: Any) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(_handoff)

    signal.signal(HANDOFF_SIGNAL, on_signal)
