"""`python -m ops.daphne.run [daphne's options] app`: daphne on the event loop that
AGENT_EVENT_LOOP names, the command every launcher starts (scripts/serve.py, workers.py,
demo.py).

`uvloop` (the default): libuv's event loop, written in C. Every streamed chat answer is a
hundred or so model chunks and WebSocket frames through the loop; the standard loop's
callbacks, timers and socket reads are Python, uvloop's are not. bench/chat_sessions.py at
19 questions/s on a quiet machine, two pairs of runs: 0.45 cores of service CPU against
0.53-0.59, p95 added latency 34-35 ms against 49-144. The text endpoint's CPU per request is
the same on both (8.2 and 8.1 ms). `asyncio`: the standard library's loop.

daphne creates its loop when `daphne.server` is imported, so the choice is made before that.
"""

from __future__ import annotations

import asyncio
import os
import sys

EVENT_LOOPS = ("uvloop", "asyncio")
DEFAULT = "uvloop"


class EventLoopUnknown(SystemExit):
    pass


def event_loop_install(name: str) -> None:
    """Make `name` the loop every new event loop of this process is (before daphne's)."""
    if name not in EVENT_LOOPS:
        raise EventLoopUnknown(
            f"AGENT_EVENT_LOOP={name!r} is not known: set it to one of {', '.join(EVENT_LOOPS)}"
        )
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def daphne_command() -> list[str]:
    """The start of a command that runs daphne through this module."""
    return [sys.executable, "-m", "ops.daphne.run"]


def main() -> None:
    event_loop_install(os.environ.get("AGENT_EVENT_LOOP") or DEFAULT)
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
