"""Whether this process is shutting down: set on a deploy's SIGTERM (agentsite/daphne_shutdown.py).

While it is, the chat takes no new question (chat.running.RunningAnswers.drain) and `/v1/readiness`
answers 503, so a load balancer sends new work to the other workers.
"""

from __future__ import annotations

import threading

_SHUTTING_DOWN = threading.Event()


def shutdown_begin() -> None:
    _SHUTTING_DOWN.set()


def shutting_down() -> bool:
    return _SHUTTING_DOWN.is_set()
