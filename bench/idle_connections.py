"""Idle chat connections on one daphne process: memory per connection.

The service runs under daphne (one process, loopback port, temp SQLite file, in-memory channel
layer, no model needed). A warm-up opens and closes a few connections, so imports, the ORM's
compiled queries and the JWT code are in memory before the baseline. Then N authenticated
connections are opened, each to its own chat session (distinct recommendations, every fifth an
analytics range, as in chat_sessions.py), each waiting for its `system` frame, and held idle.
The daphne process's RSS is read before, right after, after a settle (idle seconds, daphne's
keep-alive pings included) and after all are closed; then the same again, to tell memory the
process keeps for reuse from memory that leaks.

    .venv/bin/python bench/idle_connections.py
    .venv/bin/python bench/idle_connections.py --connections 2000 --settle-s 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import ROOT
from lib.chat import chat_env, jwt_secret_new, session_paths, ws_connect
from lib.django_env import connections_close, django_setup
from lib.processes import (
    cpu_seconds,
    open_files_raise,
    proc_status_kb,
    service_start,
    service_wait_ready,
)
from lib.results import results_write, summary

from scripts.serve import processes_stop

TARGET_KB_PER_CONNECTION = 100.0


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _memory(pid: int) -> dict[str, int]:
    status = proc_status_kb(pid)
    return {key: status[key] for key in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}


async def _open(port: int, spec: dict, gate: asyncio.Semaphore) -> tuple[object, float]:
    """One connection, open after its system frame; (connection, seconds to the frame)."""
    async with gate:
        started = time.monotonic()
        ws = await ws_connect(port, spec["path"])
        frame = json.loads(await ws.recv())
        if frame.get("type") != "system":
            await ws.close()
            raise RuntimeError(f"first frame was {frame.get('type')}")
        return ws, time.monotonic() - started


async def _round(*, port: int, pid: int, specs: list[dict], gate, settle_s: float) -> dict:
    """Open every connection, hold them idle, close them; the readings on the way."""
    figures: dict = {}
    started = time.monotonic()
    opened = await asyncio.gather(
        *(_open(port, spec, gate) for spec in specs), return_exceptions=True
    )
    figures["open_s"] = time.monotonic() - started
    sockets = [item[0] for item in opened if isinstance(item, tuple)]
    failed = [item for item in opened if isinstance(item, BaseException)]
    figures["errors"] = [f"{type(error).__name__}: {error}"[:120] for error in failed]
    figures["connect_to_system_frame_s"] = [item[1] for item in opened if isinstance(item, tuple)]
    figures["opened"] = len(sockets)
    figures["after_open"] = _memory(pid)
    figures["fds_open"] = _open_fds(pid)

    cpu_before = cpu_seconds(pid)
    await asyncio.sleep(settle_s)
    # What holding the connections idle costs the process's one core.
    figures["idle_cpu_cores"] = (cpu_seconds(pid) - cpu_before) / settle_s
    figures["after_settle"] = _memory(pid)
    figures["still_open"] = sum(1 for ws in sockets if ws.close_code is None)

    await asyncio.gather(*(ws.close() for ws in sockets))
    await asyncio.sleep(settle_s)
    figures["after_close"] = _memory(pid)
    figures["fds_after_close"] = _open_fds(pid)
    return figures


async def _run(*, port: int, pid: int, specs: list[dict], warmup: list[dict], args) -> dict:
    gate = asyncio.Semaphore(args.connect_concurrency)
    warm = await asyncio.gather(*(_open(port, spec, gate) for spec in warmup))
    await asyncio.gather(*(ws.close() for ws, _ in warm))
    await asyncio.sleep(args.settle_s)
    before = {"before": _memory(pid), "fds_before": _open_fds(pid)}
    first = await _round(port=port, pid=pid, specs=specs, gate=gate, settle_s=args.settle_s)
    # The same connections again (their sessions exist now): does the process grow again,
    # or reuse what the first round left behind?
    again = await _round(port=port, pid=pid, specs=specs, gate=gate, settle_s=args.settle_s)
    return {**before, **first, "again": again}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20, help="opened and closed first")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--settle-s", type=float, default=10.0, help="idle wait before a reading")
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    parser.add_argument("--redis-url", default=None, help="default: in-memory channel layer")
    parser.add_argument("--name", default="idle_connections", help="results file name")
    args = parser.parse_args(argv)

    # Each connection is one socket in daphne and one here (plus the SQLite file, pipes).
    limit_before, limit_after = open_files_raise(2 * (args.connections + args.warmup) + 1024)
    secret = jwt_secret_new()
    database_url = django_setup(database_url=args.database_url)
    from infrazen.models import ChatSession

    specs = session_paths(count=args.connections + args.warmup, analytics_every=5, secret=secret)
    warmup, specs = specs[: args.warmup], specs[args.warmup :]
    connections_close()

    log = Path(tempfile.mkdtemp(prefix="idle-bench-")) / "daphne.log"
    daphne = None
    try:
        daphne, port = service_start(
            env=chat_env(database_url=database_url, secret=secret, redis_url=args.redis_url or ""),
            log=log,
        )
        service_wait_ready(daphne, port, log)
        started = _memory(daphne.pid)
        run = asyncio.run(_run(port=port, pid=daphne.pid, specs=specs, warmup=warmup, args=args))
    finally:
        if daphne is not None:
            processes_stop([daphne])
    sessions = ChatSession.objects.count()

    n = max(1, run["opened"])

    def per_connection(key: str, field: str = "VmRSS") -> float:
        return round((run[key][field] - run["before"][field]) / n, 1)

    figures = {
        "connections": args.connections,
        "opened": run["opened"],
        "still_open_after_settle": run["still_open"],
        "errors": len(run["errors"]),
        "error_kinds": sorted(set(run["errors"]))[:10],
        "chat_sessions_in_db": sessions,
        "open_s": round(run["open_s"], 2),
        "connect_to_system_frame_s": summary(run["connect_to_system_frame_s"]),
        "service_fds": {
            "before": run["fds_before"],
            "open": run["fds_open"],
            "after_close": run["fds_after_close"],
        },
        "service_rss_mb": {
            "started": round(started["VmRSS"] / 1024, 1),
            "before": round(run["before"]["VmRSS"] / 1024, 1),
            "after_open": round(run["after_open"]["VmRSS"] / 1024, 1),
            "after_settle": round(run["after_settle"]["VmRSS"] / 1024, 1),
            "after_close": round(run["after_close"]["VmRSS"] / 1024, 1),
            "peak": round(run["again"]["after_close"]["VmHWM"] / 1024, 1),
        },
        "idle_cpu_cores": round(run["idle_cpu_cores"], 4),
        "kb_per_connection": {
            "after_open": per_connection("after_open"),
            "after_settle": per_connection("after_settle"),
            "after_settle_anon": per_connection("after_settle", "RssAnon"),
            "after_close": per_connection("after_close"),
            "after_second_round_close": round(
                (run["again"]["after_close"]["VmRSS"] - run["before"]["VmRSS"]) / n, 1
            ),
        },
        "second_round": {
            "opened": run["again"]["opened"],
            "errors": len(run["again"]["errors"]),
            "rss_mb_after_settle": round(run["again"]["after_settle"]["VmRSS"] / 1024, 1),
            "rss_mb_after_close": round(run["again"]["after_close"]["VmRSS"] / 1024, 1),
        },
        "target_kb_per_connection": TARGET_KB_PER_CONNECTION,
        "target_met": run["opened"] == args.connections
        and per_connection("after_settle") <= TARGET_KB_PER_CONNECTION,
    }
    _print(args, figures, (limit_before, limit_after))
    path = results_write(
        args.name,
        parameters={
            "connections": args.connections,
            "warmup_connections": args.warmup,
            "connect_concurrency": args.connect_concurrency,
            "settle_s": args.settle_s,
            "server": "daphne (1 process), default ping interval 20 s",
            "database": "SQLite temp file" if args.database_url is None else "DATABASE_URL given",
            "channel_layer": "redis" if args.redis_url else "in-memory",
            "open_files_soft_limit": {"before": limit_before, "after": limit_after},
        },
        figures=figures,
        notes=[
            "KB per connection = (daphne VmRSS at the reading − VmRSS before the N "
            "connections, after a warm-up of opened and closed connections) / N. KB are KiB.",
            "Each connection is authenticated (HS256 token as InfraZen mints it), has its own "
            "chat session and received its system frame; the client sends nothing after that.",
            "after_close shows how much of it the process keeps once the sockets are gone "
            "(freed Python objects stay in the interpreter's arenas); second_round opens and "
            "closes the same connections again: no growth there means nothing leaks per "
            "connection.",
        ],
    )
    print(f"  → {path.relative_to(ROOT)}")
    return figures


def _print(args, f: dict, limits: tuple[int, int]) -> None:
    print(
        f"idle_connections: daphne (1 process), {args.connections} idle chat connections, "
        f"SQLite, {'Redis' if args.redis_url else 'in-memory'} channel layer"
    )
    print(f"  open-files soft limit {limits[0]} → {limits[1]} (this process and daphne)")
    c = f["connect_to_system_frame_s"]
    print(
        f"  opened {f['opened']}/{f['connections']} in {f['open_s']} s "
        f"(to system frame p50 {c.get('p50', 0) * 1000:.0f} ms, p95 {c.get('p95', 0) * 1000:.0f}"
        f" ms), still open after settle {f['still_open_after_settle']}, errors {f['errors']}"
    )
    print(f"  daphne CPU while the connections idle: {f['idle_cpu_cores']:.3f} of a core")
    fds = f["service_fds"]
    print(f"  daphne fds {fds['before']} → {fds['open']} → {fds['after_close']} after close")
    m = f["service_rss_mb"]
    print(
        f"  daphne RSS MiB: started {m['started']}, before {m['before']}, after open "
        f"{m['after_open']}, after {args.settle_s:.0f} s settle {m['after_settle']}, after close "
        f"{m['after_close']}"
    )
    k = f["kb_per_connection"]
    print(
        f"  KB per connection: after open {k['after_open']}, after settle {k['after_settle']} "
        f"(anon {k['after_settle_anon']}), still held after close {k['after_close']}"
    )
    r = f["second_round"]
    print(
        f"  the same {r['opened']} again: RSS {r['rss_mb_after_settle']} MiB open, "
        f"{r['rss_mb_after_close']} MiB after close ({k['after_second_round_close']} KB per "
        "connection above the baseline)"
    )
    verdict = "met" if f["target_met"] else "MISSED"
    print(f"  target ≤ {TARGET_KB_PER_CONNECTION:.0f} KB per idle connection: {verdict}")


if __name__ == "__main__":
    main()
