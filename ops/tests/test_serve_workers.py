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

from scripts.testservers import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, str(ROOT / "scripts" / "serve.py")]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def env_without_redis(tmp_path: Path) -> dict:
    env = {**os.environ, "REDIS_URL": "", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
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

        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 0
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
