"""ops/daphne/run.py: every launcher starts daphne through it, on the loop AGENT_EVENT_LOOP
names (uvloop unless told otherwise), chosen before daphne creates its loop, with the GIL
switch interval AGENT_GIL_SWITCH_MS sets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from ops.daphne.run import EventLoopUnknown, daphne_command, event_loop_install, worker_setup
from scripts.serve import agent_command
from scripts.workers import daphne_command as worker_command

ROOT = Path(__file__).resolve().parents[2]
DAPHNE_LOOP = (
    "import daphne.server, sys; "
    "sys.stdout.write(type(daphne.server.twisted_loop).__module__.split('.')[0]); "
    "sys.stdout.write(' %g' % (sys.getswitchinterval() * 1000))"
)


def _daphne_loop(event_loop: str | None, switch_ms: str | None = None) -> CompletedProcess:
    """The module of the loop daphne creates and the GIL switch interval in ms, in a process
    set up as the launchers' workers are."""
    names = ("AGENT_EVENT_LOOP", "AGENT_GIL_SWITCH_MS")
    env = {k: v for k, v in os.environ.items() if k not in names}
    for name, value in zip(names, (event_loop, switch_ms), strict=True):
        if value is not None:
            env[name] = value
    script = "import os; from ops.daphne.run import worker_setup; worker_setup(dict(os.environ)); "
    script += DAPHNE_LOOP
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("event_loop", "switch_ms", "seen"),
    [(None, None, "uvloop 5"), ("asyncio", "2", "asyncio 2"), ("uvloop", "0.5", "uvloop 0.5")],
)
def test_daphne_serves_on_the_loop_named_with_the_switch_interval_set(event_loop, switch_ms, seen):
    result = _daphne_loop(event_loop, switch_ms)
    assert result.returncode == 0, result.stderr
    assert result.stdout == seen


def test_a_switch_interval_that_is_not_a_number_stops_the_start():
    with pytest.raises(EventLoopUnknown, match="AGENT_GIL_SWITCH_MS='fast'"):
        worker_setup({"AGENT_EVENT_LOOP": "asyncio", "AGENT_GIL_SWITCH_MS": "fast"})


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
