"""Other users' answers while a few sockets flood the worker with `history` replays.

Four processes: the service as one daphne process (temp SQLite, in-memory channel layer),
the fake model in its own process (chat_sessions.py's: 300 ms to first token, 50 tokens/s),
this one with the normal users, and a flooder process per flood phase (its CPU would
otherwise slow this process's clock readings).

- Normal users (`--users`, 20): each its own recommendation chat, asking a question, reading
  the answer to its final frame, thinking uniform(`--think-s`) seconds, and so on, through
  every phase. Per question, as in chat_sessions.py: send → first `assistant_delta` on the
  client, and the added latency = that − the fake model's own time to first token.
- Flooders: each socket is a chat whose session holds `--stored` (200) messages, so one
  `{"type": "history", "after": 0}` frame replays 200 of them. It sends that frame as fast as
  it can, reads whatever comes back, and when the server closes it (4429) connects again
  at once, until its phase ends. chat.limits bounds each socket (20 frames, then 1 a second;
  3 replays, then 6 a minute; closed after 200 refused frames in about 10 s); a new
  connection starts with full buckets, which is what reconnecting buys the flooder.

Phases, one after the other with the users asking throughout: idle (no flood); for each
count in `--flooders` (default 1, then 5 sockets) a flood, then a drain until the worker's
CPU is back to what the users alone take (the frames the flood left queued in it); a tail
after the last. Questions are put in the phase they were sent in.

    .venv/bin/python bench/replay_flood.py
    .venv/bin/python bench/replay_flood.py --users 10 --flooders 5 --flood-s 10 --idle-s 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import ROOT
from lib.chat import QUESTIONS, chat_env, jwt_secret_new, session_paths, ws_connect
from lib.django_env import connections_close, django_setup
from lib.fake_models import chat_model_start
from lib.flood import (
    flood_closes_logged,
    flooder_sessions_fill,
    flooder_spawn,
    server_log_kinds,
)
from lib.processes import (
    ProcessSampler,
    cpu_seconds,
    proc_status_kb,
    service_start,
    service_wait_ready,
)
from lib.results import load_note, results_write, summary

from scripts.serve import processes_stop

TARGET_RATIO = 2.0
QUESTION_TIMEOUT_S = 60.0
FLOODER_LEAD_S = 1.5  # the flooder process starts this early: its imports take ~0.3 s
# A drain phase ends when the worker's CPU over a second is back under this (users alone
# take ~0.1 core), after at least DRAIN_MIN_S.
DRAIN_CORES = 0.3
DRAIN_MIN_S = 2.0


# --- the normal users ----------------------------------------------------------------------------
async def _user(
    *,
    index: int,
    port: int,
    path: str,
    stop: asyncio.Event,
    think_s: tuple[float, float],
    rows: list,
    questions: int | None = None,
) -> list[str]:
    """Ask, read the answer to its final frame, think, until `stop` (or `questions` asked)."""
    from websockets.exceptions import WebSocketException

    rng = random.Random(100 + index)
    errors: list[str] = []
    try:
        async with ws_connect(port, path) as ws:
            system = json.loads(await ws.recv())
            last = system.get("last_message_id")
            while last is not None and json.loads(await ws.recv()).get("message_id") != last:
                pass
            number = 0
            while questions is None or number < questions:
                await asyncio.sleep(rng.uniform(*think_s))
                if stop.is_set():
                    break
                number += 1
                question = f"{QUESTIONS[number % len(QUESTIONS)]} (пользователь {index}, {number})"
                row = {"question": question, "t0": time.monotonic()}
                rows.append(row)
                await ws.send(
                    json.dumps(
                        {"type": "message", "content": question, "client_id": str(number)},
                        ensure_ascii=False,
                    )
                )
                async with asyncio.timeout(QUESTION_TIMEOUT_S):
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "assistant_delta" and "t3" not in row:
                            row["t3"] = time.monotonic()
                        elif frame["type"] == "assistant":
                            row["t_final"] = time.monotonic()
                            row["status"] = frame.get("status")
                            break
                        elif frame["type"] == "error":
                            errors.append(f"error frame {frame.get('code')}")
    except (OSError, TimeoutError, ValueError, KeyError, WebSocketException) as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:160])
    return errors


@dataclass
class Phase:
    name: str
    seconds: float  # planned; a drain phase's limit
    flooders: int = 0
    drain: bool = False
    start: float = 0.0
    end: float = 0.0
    cpu_s: float = 0.0
    drained: bool | None = None
    flood: dict | None = None
    # Sockets the worker had logged as closed for flooding by the phase's end (all phases).
    flood_closes_logged: int = 0


async def _drain_wait(phase: Phase, sampler: ProcessSampler) -> None:
    """Until the worker's CPU over the last second is back under DRAIN_CORES (at least
    DRAIN_MIN_S, at most the phase's seconds): the frames a flood left queued."""
    while True:
        await asyncio.sleep(0.25)
        elapsed = time.monotonic() - phase.start
        cores = sampler.cores_over(1.0)
        if elapsed >= DRAIN_MIN_S and cores is not None and cores < DRAIN_CORES:
            phase.drained = True
            return
        if elapsed >= phase.seconds:
            phase.drained = False
            return


async def _run(
    *, port: int, pid: int, users: list[str], flooders: list[str], phases, think_s, run_dir, log
) -> tuple[list[dict], list[str], ProcessSampler]:
    rows: list[dict] = []
    stop = asyncio.Event()
    sampler = ProcessSampler(pid)
    sampler.start()
    tasks = [
        asyncio.create_task(
            _user(index=i, port=port, path=path, stop=stop, think_s=think_s, rows=rows)
        )
        for i, path in enumerate(users)
    ]
    spawned = []
    for phase in phases:
        phase.start = time.monotonic()
        if phase.flooders:
            # Started ahead (imports), it begins sending at phase.start.
            phase.start += FLOODER_LEAD_S
            process, out = flooder_spawn(
                port=port,
                paths=flooders[: phase.flooders],
                start_at=phase.start,
                name=phase.name,
                seconds=phase.seconds,
                run_dir=run_dir,
            )
            spawned.append((phase, process, out))
            await asyncio.sleep(phase.start - time.monotonic())
        cpu_start = cpu_seconds(pid)
        if phase.drain:
            await _drain_wait(phase, sampler)
        else:
            await asyncio.sleep(phase.seconds)
        phase.end = time.monotonic()
        phase.cpu_s = cpu_seconds(pid) - cpu_start
        phase.flood_closes_logged = flood_closes_logged(log)
    stop.set()
    errors = [error for group in await asyncio.gather(*tasks) for error in group]
    sampler.stop()
    for phase, process, out in spawned:
        await asyncio.to_thread(process.wait, 60)
        phase.flood = json.loads(out.read_text()) if out.exists() else None
    return rows, errors, sampler


# --- figures -------------------------------------------------------------------------------------
def _phase_figures(phase: Phase, rows: list[dict], timings: dict, samples, idle: dict | None):
    seconds = phase.end - phase.start
    mine = [row for row in rows if phase.start <= row["t0"] < phase.end]
    first = [(r["t3"] - r["t0"]) * 1000 for r in mine if "t3" in r]
    added = []
    for row in mine:
        timing = timings.get(row["question"])
        if "t3" in row and timing and timing.get("first") is not None:
            own = (timing["first"] - timing["in"]) * 1000
            added.append((row["t3"] - row["t0"]) * 1000 - own)
    rss = [kb for t, kb, _ in samples if phase.start <= t < phase.end]
    final = [(r["t_final"] - r["t0"]) * 1000 for r in mine if "t_final" in r]
    figures = {
        "seconds": round(seconds, 1),
        "flooder_sockets": phase.flooders,
        "questions": len(mine),
        "answered": sum(1 for r in mine if r.get("status") == "done"),
        "first_delta_ms": summary(first),
        "added_ms": summary(added),
        "final_answer_ms": summary(final),
        "worker_cpu_cores": round(phase.cpu_s / seconds, 3) if seconds else None,
        "flooding_closes_logged_by_end": phase.flood_closes_logged,
        "worker_rss_mb": {
            "max": round(max(rss) / 1024, 1) if rss else None,
            "end": round(rss[-1] / 1024, 1) if rss else None,
        },
    }
    if phase.drain:
        figures["drained"] = phase.drained
    if idle and first and added and idle["first_delta_ms"].get("n"):
        figures["p95_ratio_to_idle"] = {
            "first_delta": round(
                figures["first_delta_ms"]["p95"] / idle["first_delta_ms"]["p95"], 2
            ),
            "added": round(figures["added_ms"]["p95"] / max(0.1, idle["added_ms"]["p95"]), 2),
        }
    if phase.flood is not None:
        flood = phase.flood
        sent = flood["frames_sent"]
        figures["flood"] = {
            **{k: flood[k] for k in ("connections", "connect_failures", "frames_sent")},
            "message_frames_replayed": flood["message_frames"],
            "system_frames": flood["system_frames"],
            "replayed_per_frame_sent": round(flood["message_frames"] / sent, 4) if sent else None,
            "frames_sent_per_s": round(sent / phase.seconds),
            "message_frames_replayed_per_s": round(flood["message_frames"] / phase.seconds),
            "rate_limited_errors": flood["errors"].get("rate_limited", 0),
            "error_codes": flood["errors"],
            "closes": flood["closes"],
            "closes_4429": flood["closes"].get("4429", 0),
            "server_closes_seen_at_s": flood["closed_at_s"][:20],
            "flooder_process_cpu_cores": round(flood["cpu_s"] / flood["wall_s"], 2),
        }
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--flooders", default="1,5", help="sockets per flood phase, in order")
    parser.add_argument("--stored", type=int, default=200, help="messages in a flooder's chat")
    parser.add_argument("--idle-s", type=float, default=20.0)
    parser.add_argument("--flood-s", type=float, default=20.0)
    parser.add_argument(
        "--drain-max-s", type=float, default=60.0, help="longest wait for a flood's backlog"
    )
    parser.add_argument("--after-s", type=float, default=10.0, help="after the last drain")
    parser.add_argument("--think-s", default="1:3", help="a user's pause before each question")
    parser.add_argument("--ttft-ms", type=float, default=300.0)
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    parser.add_argument("--answer-tokens", default="30:60", help="fake answer length, min:max")
    parser.add_argument("--name", default="replay_flood", help="results file name")
    args = parser.parse_args(argv)

    counts = [int(part) for part in args.flooders.split(",") if part]
    phases = [Phase("idle", args.idle_s)]
    for count in counts:
        phases.append(Phase(f"flood_{count}", args.flood_s, flooders=count))
        phases.append(Phase(f"drain_{count}", args.drain_max_s, drain=True))
    phases.append(Phase("after", args.after_s))
    think_s = tuple(float(part) for part in args.think_s.split(":"))

    load_before = os.getloadavg()
    secret = jwt_secret_new()
    database_url = django_setup()
    specs = session_paths(count=args.users + max(counts) + 4, analytics_every=0, secret=secret)
    paths = [spec["path"] for spec in specs]
    warmup, users, flooders = paths[:4], paths[4 : 4 + args.users], paths[4 + args.users :]
    flooder_sessions_fill(flooders, stored=args.stored)
    connections_close()

    run_dir = Path(tempfile.mkdtemp(prefix="replay-flood-"))
    fake, base_url, timings_path = chat_model_start(
        run_dir=run_dir,
        ttft_ms=args.ttft_ms,
        tokens_per_s=args.tokens_per_s,
        answer_tokens=args.answer_tokens,
    )
    daphne = None
    log = run_dir / "daphne.log"
    started = time.monotonic()
    try:
        daphne, port = service_start(
            env=chat_env(database_url=database_url, secret=secret, model_url=base_url), log=log
        )
        service_wait_ready(daphne, port, log)
        pid = daphne.pid

        async def warm() -> list[str]:
            # Imports, the SDK client, the first queries: one question each, not counted.
            stop = asyncio.Event()
            groups = await asyncio.gather(
                *(
                    _user(
                        index=-1 - i,
                        port=port,
                        path=path,
                        stop=stop,
                        think_s=(0.0, 0.0),
                        rows=[],
                        questions=1,
                    )
                    for i, path in enumerate(warmup)
                )
            )
            return [error for group in groups for error in group]

        warm_errors = asyncio.run(warm())
        rss_before = proc_status_kb(pid)
        cpu_before = cpu_seconds(pid)
        measured_from = time.monotonic()
        rows, errors, sampler = asyncio.run(
            _run(
                port=port,
                pid=pid,
                users=users,
                flooders=flooders,
                phases=phases,
                think_s=think_s,
                run_dir=run_dir,
                log=log,
            )
        )
        measured_s = time.monotonic() - measured_from
        cpu_total = cpu_seconds(pid) - cpu_before
        rss_end = proc_status_kb(pid)
    finally:
        if daphne is not None:
            processes_stop([daphne])
        processes_stop([fake])
    wall_s = time.monotonic() - started
    load_after = os.getloadavg()
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}

    by_phase: dict[str, dict] = {}
    for phase in phases:
        by_phase[phase.name] = _phase_figures(
            phase, rows, timings, sampler.samples, by_phase.get("idle")
        )
    ratios = {
        name: figures.get("p95_ratio_to_idle", {})
        for name, figures in by_phase.items()
        if name.startswith("flood_")
    }
    worst_first = max((r.get("first_delta", 0) for r in ratios.values()), default=0)
    worst_added = max((r.get("added", 0) for r in ratios.values()), default=0)
    figures = {
        "users": args.users,
        "phases": by_phase,
        "worst_flood_p95_ratio": {"first_delta": worst_first, "added": worst_added},
        "target_ratio": TARGET_RATIO,
        "target_met_first_delta": bool(ratios) and worst_first <= TARGET_RATIO,
        "target_met_added": bool(ratios) and worst_added <= TARGET_RATIO,
        "user_errors": len(errors),
        "user_error_kinds": dict(Counter(error[:80] for error in errors)),
        "warmup_errors": warm_errors,
        "unanswered": sum(1 for row in rows if row.get("status") != "done"),
        "worker_rss_mb": {
            "before": round(rss_before["VmRSS"] / 1024, 1),
            "end": round(rss_end["VmRSS"] / 1024, 1),
            "peak": round(rss_end["VmHWM"] / 1024, 1),
        },
        "worker_cpu_cores_measured_run": round(cpu_total / measured_s, 3),
        "server_log": server_log_kinds(log),
        "measured_s": round(measured_s, 1),
        "wall_s": round(wall_s, 1),
        "load_average": {"before": load_before, "after": load_after},
    }
    _print(args, figures)
    notes = [
        "first_delta: client send → first assistant_delta on the client. added: that − the "
        f"fake model's own time from having the request to writing its first token "
        f"({args.ttft_ms:g} ms set), on CLOCK_MONOTONIC across the processes: what the service "
        "adds. Ratios: p95 in a flood phase / p95 in the idle phase; the target is ≤ 2.",
        "A question belongs to the phase it was sent in. drain_N: from the end of flood_N "
        f"until the worker's CPU over one second is under {DRAIN_CORES} cores (at least "
        f"{DRAIN_MIN_S} s, at most --drain-max-s; `drained` false when that ran out): what "
        "the flood left queued in the worker. after: a fixed time once the last drain ended.",
        'Flooders: each socket sends {"type": "history", "after": 0} as fast as its process '
        "can (yielding every 32 frames), reads everything, and reconnects at once when the "
        "server closes it. message_frames_replayed: user/assistant frames received (the 10 "
        "sent on connect included); system_frames: one per connection. The flooder process "
        f"starts {FLOODER_LEAD_S} s before its phase (imports) and sends from the phase's "
        "start.",
        "worker_cpu_cores: the daphne process's user + system CPU / the phase's seconds, of "
        "2 cores shared with the fake model, this process and the flooder process.",
        "server_log: the worker's WARNING-and-up log lines by message; refused_at_4429: how "
        "many frames chat.limits had refused on a socket when it closed it. "
        "flooding_closes_logged_by_end: those closes logged by the end of each phase, "
        "counted from the start (the log read as the phase ends).",
    ]
    notes += load_note(load_before, load_after, inflated="latencies and CPU")
    path = results_write(
        args.name,
        parameters={
            "users": args.users,
            "think_s": args.think_s,
            "flooder_sockets_per_phase": counts,
            "stored_messages_per_flooder_chat": args.stored,
            "idle_s": args.idle_s,
            "flood_s": args.flood_s,
            "drain_max_s": args.drain_max_s,
            "after_s": args.after_s,
            "fake_ttft_ms": args.ttft_ms,
            "fake_tokens_per_s": args.tokens_per_s,
            "fake_answer_tokens": args.answer_tokens,
            "server": "daphne (1 process), DEBUG off",
            "database": "SQLite temp file",
            "channel_layer": "in-memory",
            "socket_limits": "defaults: 20 frames then 1/s; 3 replays then 6/min; 4429 "
            "after 200 refused in ~10 s",
        },
        figures=figures,
        notes=notes,
    )
    print(f"  → {path.relative_to(ROOT)}")
    return figures


def _print(args, f: dict) -> None:
    print(
        f"replay_flood: daphne (1 process), {f['users']} users thinking {args.think_s} s, "
        f"flooder chats of {args.stored} messages; measured {f['measured_s']} s"
    )
    for name, p in f["phases"].items():
        a, d = p["added_ms"], p["first_delta_ms"]
        ratio = p.get("p95_ratio_to_idle")
        drained = "" if "drained" not in p else (" drained" if p["drained"] else " NOT drained")
        latency = (
            f"first delta p50 {d['p50']:6.0f} p95 {d['p95']:6.0f} ms; added p50 {a['p50']:7.1f} "
            f"p95 {a['p95']:7.1f} ms"
            if a.get("n")
            else "no questions"
        )
        print(
            f"  {name:8} {p['seconds']:5.1f} s{drained}, {p['questions']:3} questions: {latency}"
            + (f" (p95 ×{ratio['first_delta']} / ×{ratio['added']} of idle)" if ratio else "")
            + f"; worker {p['worker_cpu_cores']} cores, RSS ≤ {p['worker_rss_mb']['max']} MiB"
            + f"; flooding closes logged so far {p['flooding_closes_logged_by_end']}"
        )
        if flood := p.get("flood"):
            print(
                f"  {'':8} flood: {flood['frames_sent']} history frames sent on "
                f"{flood['connections']} connections → {flood['message_frames_replayed']} "
                f"messages replayed; rate_limited errors {flood['rate_limited_errors']}, "
                f"closes {flood['closes']}; flooder process {flood['flooder_process_cpu_cores']}"
                " cores"
            )
    r = f["worst_flood_p95_ratio"]
    verdict = "met" if f["target_met_first_delta"] else "MISSED"
    print(
        f"  worst flood p95 / idle p95: first delta ×{r['first_delta']} (target ≤ "
        f"{TARGET_RATIO:g}: {verdict}), added ×{r['added']}"
        f" ({'met' if f['target_met_added'] else 'missed'}); unanswered {f['unanswered']}, "
        f"errors {f['user_errors']}"
    )
    print(f"  worker log: {f['server_log']}")


if __name__ == "__main__":
    main()
