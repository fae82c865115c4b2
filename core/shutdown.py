"""Whether this process is shutting down, and what must drain first: set on a deploy's SIGTERM
(ops/daphne/shutdown.py).

While it is, the chat takes no new question and `/v1/readiness` answers 503, so a load
balancer sends new work to the other workers. Apps register what must finish before the
server goes down (the chat: its running answers) with `drain_register`; the server side
(ops.daphne.shutdown) runs them without importing any app.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

# (grace_s) -> (finished, interrupted)
Drain = Callable[[float], Awaitable[tuple[int, int]]]

_SHUTTING_DOWN = threading.Event()
_DRAINS: list[Drain] = []


def drain_register(drain: Drain) -> None:
    if drain not in _DRAINS:
        _DRAINS.append(drain)


def drains() -> tuple[Drain, ...]:
    return tuple(_DRAINS)


def shutdown_begin() -> None:
    _SHUTTING_DOWN.set()


def shutting_down() -> bool:
    return _SHUTTING_DOWN.is_set()
