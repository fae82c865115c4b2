"""py-spy on the service's processes (py-spy is in requirements-dev.txt)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from . import ROOT

# A sample whose innermost frame is one of these is a thread waiting, not working.
IDLE_FRAMES = ("_worker (concurrent/futures/thread.py:81)", "EpollSelector.select (selectors.py")


def py_spy_start(pid: int, raw: Path, *, rate: int, flags: tuple[str, ...]) -> subprocess.Popen:
    """py-spy sampling `pid` into `raw` until py_spy_stop."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install -r requirements-dev.txt")
    command = [str(spy), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
    command += ["--nonblocking", *flags, "-o", str(raw)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _samples(sampler: subprocess.Popen, raw: Path) -> Iterator[tuple[list[str], int]]:
    """Stop the sampler; (frames, count) per line of its raw output, which is removed
    (kept with BENCH_PROFILE_KEEP_RAW=1, for a closer look: py-spy's collapsed stacks)."""
    sampler.send_signal(signal.SIGINT)
    sampler.wait(timeout=60)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        yield stack.split(";"), int(count)
    if not os.environ.get("BENCH_PROFILE_KEEP_RAW"):
        raw.unlink()


def _top(table: dict[str, int], total: int, shown: int, indent: str = "") -> list[str]:
    ranked = sorted(table.items(), key=lambda kv: -kv[1])[:shown]
    return [f"{indent}{100 * count / max(1, total):6.1f}%  {frame}" for frame, count in ranked]


def threads_profile_start(pid: int, raw: Path, *, cpu: bool = False) -> subprocess.Popen:
    """Every thread, idle or not: the service waits (on its one database thread) as much as
    it computes, so GIL-only samples would hide where the time goes. `cpu`: only the thread
    holding the GIL, where the process's one core of Python goes."""
    flags = ("--gil", "--threads") if cpu else ("--idle", "--threads")
    return py_spy_start(pid, raw, rate=200, flags=flags)


def threads_profile_write(
    sampler: subprocess.Popen, raw: Path, out: Path, *, limit: int = 30, cpu: bool = False
) -> None:
    """Stop py-spy; write per thread its busy share and the top functions while busy."""
    threads: dict[str, dict] = defaultdict(
        lambda: {
            "total": 0,
            "idle": 0,
            "inclusive": defaultdict(int),
            "own": defaultdict(int),
            "outermost": defaultdict(int),
        }
    )
    for frames, count in _samples(sampler, raw):
        thread = threads[frames[0].split(": ", 1)[-1]]
        thread["total"] += count
        if frames[-1].startswith(IDLE_FRAMES):
            thread["idle"] += count
            continue
        for frame in set(frames[1:]):
            thread["inclusive"][frame] += count
        thread["own"][frames[-1]] += count
        # Where the stack starts: samples py-spy could not unwind to the thread's start
        # show up here rather than hiding in the inclusive table.
        thread["outermost"][frames[1] if len(frames) > 1 else "(no Python frame)"] += count
    lines = [
        "py-spy, only the thread holding the GIL (--gil --threads), 200 samples/s"
        if cpu
        else "py-spy, every thread, idle included (--idle --threads), 200 samples/s",
        "",
    ]
    for name, thread in sorted(threads.items(), key=lambda kv: -kv[1]["total"]):
        total, busy = thread["total"], thread["total"] - thread["idle"]
        lines.append(
            f"== thread {name}: {total} samples, busy {100 * busy / max(1, total):.1f}% "
            "(shares below: of its busy samples)"
        )
        tables = (
            ("inclusive", thread["inclusive"], limit),
            ("self", thread["own"], limit),
            ("outermost frame", thread["outermost"], 8),
        )
        for title, table, shown in tables:
            lines.append(f"  {title}:")
            lines += _top(table, busy, shown, indent="  ")
        lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"  profile → {out.relative_to(ROOT)}")


def gil_profile_start(pids: list[int], raw: Path) -> list[subprocess.Popen]:
    """py-spy on each process, only while it holds the GIL, into raw.<index>."""
    return [
        py_spy_start(pid, Path(f"{raw}.{index}"), rate=250, flags=("--gil",))
        for index, pid in enumerate(pids)
    ]


def gil_profile_write(samplers: list[subprocess.Popen], raw: Path, out: Path, limit: int = 40):
    """Stop the samplers; write the inclusive and self share of the top functions."""
    inclusive: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    total = 0
    for index, sampler in enumerate(samplers):
        for frames, count in _samples(sampler, Path(f"{raw}.{index}")):
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    lines = [f"py-spy samples while holding the GIL: {total}", "", "inclusive:"]
    lines += _top(inclusive, total, limit)
    lines += ["", "self:"]
    lines += _top(own, total, limit)
    out.write_text("\n".join(lines) + "\n")
    print(f"  profile → {out.relative_to(ROOT)}")
