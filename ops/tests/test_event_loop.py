"""ops/daphne/run.py: every launcher starts daphne through it, on the loop AGENT_EVENT_LOOP
names (uvloop unless told otherwise), chosen before daphne creates its loop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from ops.daphne.run import EventLoopUnknown, daphne_command, event_loop_install
from scripts.serve import agent_command
from scripts.workers import daphne_command as worker_command

ROOT = Path(__file__).resolve().parents[2]
DAPHNE_LOOP = (
    "import daphne.server, sys; "
    "sys.stdout.write(type(daphne.server.twisted_loop).__module__.split('.')[0])"
)


def _daphne_loop(event_loop: str | None) -> CompletedProcess:
    """The module of the loop daphne creates, in a process started as the launchers do."""
    env = {k: v for k, v in os.environ.items() if k != "AGENT_EVENT_LOOP"}
    if event_loop is not None:
        env["AGENT_EVENT_LOOP"] = event_loop
    script = (
        "import os; from ops.daphne.run import DEFAULT, event_loop_install; "
        "event_loop_install(os.environ.get('AGENT_EVENT_LOOP') or DEFAULT); " + DAPHNE_LOOP
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(("event_loop", "module"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_daphne_serves_on_the_loop_named(event_loop, module):
    result = _daphne_loop(event_loop)
    assert result.returncode == 0, result.stderr
    assert result.stdout == module


def test_an_unknown_loop_stops_the_start_with_what_to_set():
    with pytest.raises(EventLoopUnknown) as raised:
        event_loop_install("tokio")
    assert "AGENT_EVENT_LOOP='tokio'" in str(raised.value)
    assert "uvloop, asyncio" in str(raised.value)

    result = _daphne_loop("tokio")
    assert result.returncode != 0
    assert "AGENT_EVENT_LOOP='tokio' is not known" in result.stderr


def test_every_launcher_starts_daphne_through_it():
    run = daphne_command()
    assert run == [sys.executable, "-m", "ops.daphne.run"]
    assert agent_command(host="127.0.0.1", port=8001)[:3] == run
    assert worker_command(5, [])[:3] == run
    demo = (ROOT / "scripts" / "demo.py").read_text()
    assert '[sys.executable, "-m", "ops.daphne.run"]' in demo
