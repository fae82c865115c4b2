"""Run every benchmark (texts, chat, hardening), one process each, and print a summary.

.venv/bin/python bench/run_all.py            # all of them (about 17 minutes on 2 cores)
.venv/bin/python bench/run_all.py prompt_size endpoint_concurrency
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = (
    "prompt_size",
    "backfill_throughput",
    "endpoint_concurrency",
    "chat_sessions",
    "chat_capacity",
    "idle_connections",
    "upload_exhaustion",
    "replay_flood",
    "reports",
    "console",
    "governance_overhead",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {BENCHMARKS}")
        return 2
    failed = []
    for name in chosen:
        print(f"=== {name}", flush=True)
        started = time.monotonic()
        # Each in its own process: Django is set up once per process, on its own temp DB.
        code = subprocess.call([sys.executable, str(BENCH / f"{name}.py")])
        print(f"=== {name}: exit {code} in {time.monotonic() - started:.0f}s\n", flush=True)
        if code:
            failed.append(name)
    _summary(chosen)
    return 1 if failed else 0


def _summary(names: list[str]) -> None:
    print("=== summary")
    for name in names:
        path = BENCH / "results" / f"{name}.json"
        if not path.exists():
            continue
        figures = json.loads(path.read_text())["figures"]
        if name == "prompt_size":
            avg = figures["o200k_base"]["total"]["mean"]
            print(f"  prompt_size: avg {avg:.0f} o200k tokens (target ≤ 400)")
        elif name == "backfill_throughput":
            for run in figures["llm"]:
                print(
                    f"  backfill llm c={run['concurrency']}: {run['recs_per_s']} recs/s "
                    f"({run['share_of_ideal']:.0%} of ideal), overhead/rec "
                    f"{run['overhead_ms_per_rec']} ms"
                )
            if figures.get("template"):
                print(f"  backfill template: {figures['template']['recs_per_s']} recs/s")
        elif name == "endpoint_concurrency":
            for shape in ("closed_loop", "open_loop", "bursts"):
                if shape not in figures:
                    continue
                o = figures[shape]["overhead_ms"]
                print(
                    f"  endpoint {shape} overhead ms: p50 {o['p50']}  p95 {o['p95']}  "
                    f"max {o['max']} (target p95 ≤ 20)"
                )
        elif name == "chat_sessions":
            a, s = figures["added_latency_to_first_delta_ms"], figures["stored"]
            print(
                f"  chat {figures['sessions']} sessions: added latency to first delta ms p50 "
                f"{a['p50']}  p95 {a['p95']} (target ≤ 25); lost messages {s['lost_messages']}"
            )
        elif name == "chat_capacity":
            rows = ", ".join(
                f"{p['questions_per_s']} q/s p95 {p['added_p95_ms']}" for p in figures["points"]
            )
            print(
                f"  chat capacity: {figures['capacity_questions_per_s']} questions/s within "
                f"p95 ≤ 25 ms ({rows})"
            )
        elif name == "idle_connections":
            kb = figures["kb_per_connection"]["after_settle"]
            print(f"  idle chat connections: {kb} KB each (target ≤ 100)")
        elif name == "upload_exhaustion":
            print(
                f"  uploads: peak {figures['peak_above_idle_mb']} MiB above idle (worst mix "
                f"{figures['worst_mix']}; target ≤ 150)"
            )
        elif name == "reports":
            big = figures["offline"]["big"]
            print(
                f"  reports (2,000 resources): HTML p95 {big['html_s']['p95']} s (≤ 1.5), PDF p95 "
                f"{big['pdf_s']['p95']} s (≤ 3), peak RSS {figures['peak_rss_mb']} MB (≤ 300)"
            )
        elif name == "replay_flood":
            ratio = figures["worst_flood_p95_ratio"]
            print(
                f"  history flood: others' p95 send → first delta ×{ratio['first_delta']} of "
                f"idle, added ×{ratio['added']} (target ≤ 2)"
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
