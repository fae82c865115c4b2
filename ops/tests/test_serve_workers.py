"""`scripts/serve.py`: several daphne workers on one port, stopped together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scripts.serve import agent_health as _health
from scripts.testservers import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, str(ROOT / "scripts" / "serve.py")]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def env_without_redis(tmp_path: Path) -> dict:
    env = {**os.environ, "REDIS_URL": "", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    # One SQLite file for both (pass 2 exports a MariaDB AGENT_DATABASE_URL).
    env["AGENT_DATABASE_URL"] = ""
    env["LOG_LEVEL"] = "WARNING"
    return env


def test_it_refuses_several_workers_without_a_shared_channel_layer(tmp_path):
    result = subprocess.run(
        [*SERVE, "--workers", "2", "-p", str(free_port())],
        env=env_without_redis(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr


def test_two_workers_serve_one_port_and_stop_with_the_parent(tmp_path):
    port = free_port()
    parent = subprocess.Popen(
        [*SERVE, "--workers", "2", "-p", str(port), "--per-process-channel-layer"],
        cwd=ROOT,
        env=env_without_redis(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body, until = None, time.monotonic() + 30
        while body is None and time.monotonic() < until:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["status"] == "healthy"
        workers = children_of(parent.pid)
        assert len(workers) == 2
        # Each worker serves on uvloop's event loop (ops/daphne/run.py), once it has started.
        assert all(_loads(pid, "/uvloop/loop.", timeout=30) for pid in workers)

        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 0
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def _loads(pid: int, library: str, *, timeout: float) -> bool:
    """Whether process `pid` has `library` mapped within `timeout` seconds."""
    until = time.monotonic() + timeout
    while library not in Path(f"/proc/{pid}/maps").read_text():
        if time.monotonic() > until:
            return False
        time.sleep(0.2)
    return True


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _serving(tmp_path: Path, *, workers: int = 2, extra: tuple[str, ...] = ()):
    """The supervisor on a free port, its output in a file (read by `_output`)."""
    port = free_port()
    log = tmp_path / "serve.log"
    parent = subprocess.Popen(
        [*SERVE, "--workers", str(workers), "-p", str(port), "--per-process-channel-layer", *extra],
        cwd=ROOT,
        env=env_without_redis(tmp_path),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    parent.log = log
    return parent, port


def _output(parent) -> str:
    return parent.log.read_text(errors="replace")


def _until(predicate, timeout: float = 30.0):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def _all_serving(parent) -> bool:
    """Every worker has said it listens (a second one may still be starting before that)."""
    return _until(lambda: "workers, pids" in _output(parent), timeout=60)


def _stopped(parent: subprocess.Popen) -> str:
    if parent.poll() is None:
        parent.send_signal(signal.SIGTERM)
        try:
            parent.wait(timeout=40)
        except subprocess.TimeoutExpired:
            parent.kill()
            parent.wait()
    return _output(parent)


def test_a_killed_worker_is_started_again_while_the_other_serves(tmp_path):
    parent, port = _serving(tmp_path)
    try:
        assert _all_serving(parent)
        killed, kept = children_of(parent.pid)
        os.kill(killed, signal.SIGKILL)
        # The survivor answers at once; the slot gets a new worker.
        statuses = [_health(port) for _ in range(20)]
        assert statuses == [200] * 20
        workers = _until(
            lambda: (w := children_of(parent.pid)) and len(w) == 2 and killed not in w and w
        )
        assert kept in workers and killed not in workers
        assert _until(lambda: "starting another" in _output(parent))
        assert parent.poll() is None
    finally:
        output = _stopped(parent)
    assert f"worker {killed} (slot" in output


def test_a_reload_replaces_every_worker_without_a_refused_request(tmp_path):
    parent, port = _serving(tmp_path)
    try:
        assert _all_serving(parent)
        before = set(children_of(parent.pid))
        parent.send_signal(signal.SIGHUP)
        statuses = []
        assert _until(
            lambda: statuses.append(_health(port)) or "reload done" in _output(parent), timeout=90
        )
        after = set(children_of(parent.pid))
        assert len(after) == 2 and not after & before, (before, after)
        assert statuses and set(statuses) == {200}, statuses
    finally:
        _stopped(parent)


def test_a_worker_that_cannot_start_stops_the_service_instead_of_looping(tmp_path):
    parent, _ = _serving(tmp_path, workers=1, extra=("--no-such-daphne-option",))
    assert parent.wait(timeout=60) == 1
    assert "did not start; stopping" in _output(parent)
