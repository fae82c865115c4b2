"""The service under daphne on a free loopback port, and its processes' CPU and memory
(Linux /proc)."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from pathlib import Path

from scripts.serve import agent_spawn, agent_wait_ready
from scripts.testservers import free_port
from scripts.workers import APPLICATION

START_TIMEOUT_S = 30.0
WORKERS_SETTLE_S = 5.0
# Only the measured requests reach daphne's access log: none.
NO_ACCESS_LOG = ("--access-log", os.devnull)


def service_start(
    *,
    env: dict[str, str],
    log: Path,
    app: str = APPLICATION,
    workers: int = 1,
    extra: tuple[str, ...] = NO_ACCESS_LOG,
) -> tuple[subprocess.Popen, int]:
    """The service under daphne on a free loopback port: one process, or `workers` daphne
    processes under scripts/serve.py (as in production). `env` is added to this process's
    environment; `extra`: more daphne (or scripts/serve.py) options."""
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        "LOG_LEVEL": "WARNING",
        # As in production (AGENT_ENV=prod refuses DEBUG): no SQL kept per query.
        "DEBUG": "false",
        **env,
    }
    process = agent_spawn(port=port, env=full_env, log=log, workers=workers, extra=extra, app=app)
    return process, port


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The daphne workers scripts/serve.py started (its children, Linux /proc)."""
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


def service_pids(process: subprocess.Popen, workers: int) -> list[int]:
    """The daphne processes: `process` itself, or the workers scripts/serve.py started."""
    return [process.pid] if workers == 1 else worker_pids(process)


def service_wait_ready(process: subprocess.Popen, port: int, log: Path, workers: int = 1) -> None:
    try:
        agent_wait_ready(process, port=port, timeout=START_TIMEOUT_S)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}: {log.read_text()[-2000:]}") from None
    if workers > 1:
        # One worker answered; the others start alike (their imports take ~2 s).
        time.sleep(WORKERS_SETTLE_S)


def proc_status_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon… of a process, in KiB (Linux /proc)."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            figures[key] = int(value.split()[0])
    return figures


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time of these processes (and their reaped children) so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def open_files_raise(needed: int) -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE (children inherit it); returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class ProcessSampler:
    """VmRSS and CPU seconds of `pid` every `interval_s`, in a thread (reading /proc takes
    microseconds). A context manager, or start() and stop()."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.samples: list[tuple[float, int, float]] = []  # (monotonic, VmRSS KiB, CPU s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = proc_status_kb(self.pid)["VmRSS"]
            self.samples.append((time.monotonic(), rss, cpu_seconds(self.pid)))
            self._stop.wait(self.interval_s)

    @property
    def rss_kb(self) -> list[int]:
        return [rss for _, rss, _ in self.samples]

    def cores_over(self, seconds: float) -> float | None:
        """The process's CPU over the last `seconds`, in cores."""
        recent = self.samples[-1:]
        older = [s for s in self.samples if s[0] <= recent[0][0] - seconds] if recent else []
        if not older:
            return None
        return (recent[0][2] - older[-1][2]) / (recent[0][0] - older[-1][0])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ProcessSampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
