"""`python -m ops.daphne.run [daphne's options] app`: daphne on the event loop that
AGENT_EVENT_LOOP names, the command every launcher starts (scripts/serve.py, workers.py,
demo.py).

`uvloop` (the default): libuv's event loop, written in C. Every streamed chat answer is a
hundred or so model chunks and WebSocket frames through the loop; the standard loop's
callbacks, timers and socket reads are Python, uvloop's are not (bench/chat_sessions.py
measured ≈ 10 % less CPU per question). `asyncio`: the standard library's loop.

daphne creates its loop when `daphne.server` is imported, so the choice is made before that.

AGENT_GIL_SWITCH_MS: how long a thread may hold the GIL while another waits for it, in ms
(unset: Python's own 5 ms). The chat's database thread lets go of the GIL in every query and
needs it back after. 0.5 ms looked better on a loaded machine, but on a quiet one the chat
bench at 19 questions/s read the same p95 (56 vs 58 ms, 110 vs 54 in another pair) with 5-18 %
more CPU, so the default stays Python's; the setting is there to measure with.
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


def worker_setup(environ: dict[str, str]) -> None:
    """The worker process's event loop and GIL switch interval, as `environ` sets them."""
    event_loop_install(environ.get("AGENT_EVENT_LOOP") or DEFAULT)
    switch_ms = environ.get("AGENT_GIL_SWITCH_MS")
    if not switch_ms:
        return
    try:
        sys.setswitchinterval(float(switch_ms) / 1000)
    except ValueError:
        raise EventLoopUnknown(
            f"AGENT_GIL_SWITCH_MS={switch_ms!r} is not a positive number of milliseconds"
        ) from None


def main() -> None:
    worker_setup(dict(os.environ))
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
