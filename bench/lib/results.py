"""Figures and the results files: bench/results/<name>.json with the date, the commit, the
parameters and the environment."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import RESULTS, ROOT


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def wall_and_cpu_ms(function: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread's) ms per run: on a shared machine the wall clock also
    counts the time other processes held the core."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        function()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 3),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_note(before: tuple[float, ...], after: tuple[float, ...], *, inflated: str) -> list[str]:
    """A note when other work shared the 2 cores during a run (load average over 1.5):
    `inflated` names the figures it may have inflated."""
    if max(before[0], after[0]) <= 1.5:
        return []
    return [
        f"The 2 cores were shared with other work (load average {before[0]:.1f} "
        f"before, {after[0]:.1f} after): {inflated} may be inflated by it; "
        "memory figures are not affected."
    ]


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    import django

    info = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "django": django.get_version(),
    }
    from importlib.metadata import PackageNotFoundError, version

    for name in ("openai", "instructor", "pydantic", "httpx2", "daphne", "channels"):
        with contextlib.suppress(PackageNotFoundError):
            info[name] = version(name)
    return info


def results_write(name: str, *, parameters: dict, figures: dict, notes: list[str]) -> Path:
    """bench/results/<name>.json with the date, commit, parameters and environment."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "parameters": parameters,
        "environment": environment(),
        "figures": figures,
        "notes": notes,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return path


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
