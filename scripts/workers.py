"""The supervisor behind `make serve`: N daphne workers on one listening socket, kept at N.

- A worker that dies (a crash, the OOM killer, a `kill -9`) is started again in its slot; the
  others keep serving, and its chat clients reconnect to them or to it. A slot whose worker
  keeps dying within FAST_EXIT_S of its start is retried with a growing pause, and after
  FAST_EXITS_MAX such exits in a row the supervisor stops everything and exits 1: a broken
  release or configuration is for systemd (Restart=on-failure) and a human to see, not a
  loop of restarts.
- SIGHUP is a rolling restart (a zero-downtime upgrade: `systemctl reload`): one slot at a
  time, a new worker is started and, once it listens (ops.daphne.handoff's ready
  byte), the old one is told to hand off (SIGUSR2: it stops accepting, drains its answers
  and exits). If the new one does not come up, the old one stays and the reload stops.
- SIGTERM / SIGINT stop every worker with SIGTERM (each drains its answers), waiting up to
  STOP_TIMEOUT_S before killing what is left.
"""

# This module exists to start daphne processes.
# ruff: noqa: S603

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ops.daphne.handoff import HANDOFF_SIGNAL, READY_FD_ENV
from ops.daphne.run import daphne_command as daphne_run_command
from ops.logging import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = "agentsite.asgi:application"
# More than CHAT_SHUTDOWN_GRACE_S (15 s): a worker first lets running answers finish.
STOP_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 60.0
FAST_EXIT_S = 10.0
FAST_EXITS_MAX = 5
PAUSE_MAX_S = 10.0
POLL_S = 0.2


def _logger() -> logging.Logger:
    """The supervisor's lines, JSON like the workers' (ops.logging.JsonFormatter)."""
    log = logging.getLogger("serve")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def say(message: str) -> None:
    _logger().info(message)


def daphne_command(fd: int, extra: list[str]) -> list[str]:
    return [*daphne_run_command(), "--fd", str(fd), *extra, APPLICATION]


def processes_stop(children: list[subprocess.Popen], *, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM each, wait for them together up to `timeout`, then kill the ones left."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    until = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(timeout=max(0.1, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@dataclass
class Worker:
    slot: int
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    ready: bool = False


def _ready_wait(process: subprocess.Popen, reader: int, timeout: float) -> bool:
    """True once the worker writes its ready byte; False if it exits or time runs out."""
    until = time.monotonic() + timeout
    try:
        while time.monotonic() < until:
            readable, _, _ = select.select([reader], [], [], POLL_S)
            if readable:
                return os.read(reader, 1) == b"r"
            if process.poll() is not None:
                return False
        return False
    finally:
        os.close(reader)


def _metrics_forget(pid: int) -> None:
    """A gone worker's live gauges (open sockets, workers live) leave the sums; its counters
    stay, as a counter's total must."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class Supervisor:
    def __init__(self, *, sock: socket.socket, workers: int, extra: list[str]) -> None:
        self.sock = sock
        self.count = workers
        self.extra = extra
        self.workers: list[Worker] = []
        self.fast_exits = [0] * workers
        self.stopping = False
        self.reload_asked = False

    def spawn(self, slot: int, *, timeout: float = READY_TIMEOUT_S) -> Worker:
        reader, writer = os.pipe()
        fd = self.sock.fileno()
        try:
            process = subprocess.Popen(
                daphne_command(fd, self.extra),
                cwd=ROOT,
                pass_fds=(fd, writer),
                env={**os.environ, READY_FD_ENV: str(writer)},
            )
        finally:
            os.close(writer)
        worker = Worker(slot, process)
        worker.ready = _ready_wait(process, reader, timeout)
        return worker

    def run(self) -> int:
        # Imported now: PROMETHEUS_MULTIPROC_DIR is set (scripts/serve.py).
        from core import metrics

        metrics.workers_configured.set(self.count)
        signal.signal(signal.SIGTERM, self._stop_ask)
        signal.signal(signal.SIGINT, self._stop_ask)
        signal.signal(signal.SIGHUP, self._reload_ask)
        try:
            for slot in range(self.count):
                self.workers.append(self.spawn(slot))
                if not self.workers[-1].ready:
                    # A release or configuration that cannot start: no restart loop.
                    say(f"worker of slot {slot} did not start; stopping")
                    return 1
            say(f"{self.count} workers, pids {self.pids()}")
            while not self.stopping:
                if self.reload_asked:
                    self.reload_asked = False
                    self.rolling_restart()
                dead = [w for w in self.workers if w.process.poll() is not None]
                for worker in dead:
                    if not self.stopping and not self.replace_dead(worker):
                        return 1
                time.sleep(POLL_S)
            return 0
        finally:
            processes_stop([w.process for w in self.workers])

    def pids(self) -> str:
        return ", ".join(str(w.process.pid) for w in self.workers)

    def replace_dead(self, worker: Worker) -> bool:
        """Start the slot's worker again; False when it keeps dying (give up)."""
        slot = worker.slot
        _metrics_forget(worker.process.pid)
        lived = time.monotonic() - worker.started
        self.fast_exits[slot] = self.fast_exits[slot] + 1 if lived < FAST_EXIT_S else 0
        say(
            f"worker {worker.process.pid} (slot {slot}) exited with "
            f"{worker.process.returncode} after {lived:.1f} s; starting another"
        )
        if self.fast_exits[slot] >= FAST_EXITS_MAX:
            say(f"slot {slot} died {FAST_EXITS_MAX} times within {FAST_EXIT_S:g} s; stopping")
            return False
        if self.fast_exits[slot]:
            self._pause(min(2 ** (self.fast_exits[slot] - 1), PAUSE_MAX_S))
        if self.stopping:
            return True
        self.workers[self.workers.index(worker)] = self.spawn(slot)
        return True

    def rolling_restart(self) -> None:
        say(f"reload: replacing {self.count} workers one at a time")
        for old in list(self.workers):
            if self.stopping:
                return
            new = self.spawn(old.slot)
            if not new.ready:
                say(f"reload stopped: the new worker of slot {old.slot} did not start")
                processes_stop([new.process], timeout=5)
                return
            self.workers[self.workers.index(old)] = new
            if old.process.poll() is None:
                old.process.send_signal(HANDOFF_SIGNAL)
            try:
                old.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                old.process.kill()
                old.process.wait()
            _metrics_forget(old.process.pid)
        say(f"reload done: pids {self.pids()}")

    def _pause(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until and not self.stopping:
            time.sleep(POLL_S)

    def _stop_ask(self, _signum, _frame) -> None:
        self.stopping = True

    def _reload_ask(self, _signum, _frame) -> None:
        self.reload_asked = True
