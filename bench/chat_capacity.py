"""How many questions a second the chat serves within the 25 ms target: a think-time sweep.

`chat_sessions.py` measures one load shape. This runs it once per think time, from users who
read the answer before asking again down to none at all (back to back), and reports the
question rate each shape reached next to its added latency. The highest rate whose p95 stays
≤ 25 ms is the setup's capacity on this machine.

Every point: 200 sessions × 5 questions, sockets opening over 15 s (the users' shape of
chat_sessions.py), each user thinking before every question (`--open-late`); the fake model
as in chat_sessions.py. A session's first question is reported apart: it comes with its
socket, whose context pack is still being prepared when the think time is short. Each
point's own results go to bench/results/chat_capacity/<name>/.

    .venv/bin/python bench/chat_capacity.py
    .venv/bin/python bench/chat_capacity.py --think 4:8,2:4 --name chat_capacity_quick
    .venv/bin/python scripts/testservers.py run -- sh -c '.venv/bin/python \
        bench/chat_capacity.py --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" \
        --workers 2 --name chat_capacity_redis_mariadb_w2'
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import RESULTS, ROOT
from lib.results import results_write

from scripts.testservers import mysql_database_fresh

TARGET_P95_ADDED_MS = 25.0
THINK_DEFAULT = "10:20,6:12,4:8,2:4,1:2,0:0"
RAMP_S = 15.0


def _point(args: argparse.Namespace, think: str) -> dict:
    name = f"chat_capacity/{args.name}/think_{think.replace(':', '-')}"
    command = [
        sys.executable,
        str(ROOT / "bench" / "chat_sessions.py"),
        "--think-s",
        think,
        "--ramp-s",
        str(RAMP_S),
        "--open-late",
        "--workers",
        str(args.workers),
        "--name",
        name,
    ]
    if args.database_url:
        suffix = "cap_" + think.replace(":", "_").replace(".", "")
        command += ["--database-url", mysql_database_fresh(args.database_url, suffix)]
    if args.redis_url:
        command += ["--redis-url", args.redis_url]
    print(f"=== think {think} s", flush=True)
    code = subprocess.call(command)
    if code:
        raise SystemExit(f"chat_sessions.py exited {code} at think time {think}")
    figures = json.loads((RESULTS / f"{name}.json").read_text())["figures"]
    added, stored = figures["added_latency_to_first_delta_ms"], figures["stored"]
    by_number = figures["added_by_question_number_ms"]
    return {
        "think_s": think,
        "questions_per_s": figures["questions_per_s"],
        "added_p50_ms": added["p50"],
        "added_p95_ms": added["p95"],
        "added_max_ms": added["max"],
        "first_question_p95_ms": by_number["1"]["p95"],
        "later_questions_worst_p95_ms": max(s["p95"] for n, s in by_number.items() if n != "1"),
        "service_cpu_cores": figures["cpu_cores_used"]["service"],
        "lost_messages": stored["lost_messages"],
        "target_met": added["p95"] <= TARGET_P95_ADDED_MS,
        "results": f"bench/results/{name}.json",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--think",
        default=THINK_DEFAULT,
        help="think times to run, min:max seconds, comma-separated (0:0 is back to back)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a MySQL/MariaDB URL whose user may create databases: each point gets a new one",
    )
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--name", default=None, help="default chat_capacity[_w<n>]")
    args = parser.parse_args()
    if args.name is None:
        args.name = "chat_capacity" + (f"_w{args.workers}" if args.workers > 1 else "")
    points = [_point(args, think.strip()) for think in args.think.split(",") if think.strip()]
    met = [p["questions_per_s"] for p in points if p["target_met"] and p["questions_per_s"]]
    capacity = max(met, default=None)

    setup = (
        f"{args.workers} daphne process{'es' if args.workers > 1 else ''}, "
        f"{'the given database' if args.database_url else 'SQLite'}, "
        f"{'Redis' if args.redis_url else 'in-memory'} channel layer"
    )
    print(f"chat_capacity: {setup}; 200 sessions × 5 questions, sockets opening over {RAMP_S} s")
    print(
        f"  {'think s':>8} {'q/s':>6} {'p50 ms':>8} {'p95 ms':>8} {'q1 p95':>8} "
        f"{'q2+ p95':>8} {'CPU':>6} {'lost':>5}"
    )
    for p in points:
        print(
            f"  {p['think_s']:>8} {p['questions_per_s'] or 0:6.1f} {p['added_p50_ms']:8.1f} "
            f"{p['added_p95_ms']:8.1f} {p['first_question_p95_ms']:8.1f} "
            f"{p['later_questions_worst_p95_ms']:8.1f} {p['service_cpu_cores']:6.2f} "
            f"{p['lost_messages']:5d}" + ("" if p["target_met"] else "  over 25 ms")
        )
    print(
        "  highest rate with p95 added latency ≤ 25 ms: "
        + (f"{capacity} questions/s" if capacity else "none of the rates run")
    )
    path = results_write(
        args.name,
        parameters={
            "think_s": args.think,
            "workers": args.workers,
            "database": "DATABASE_URL given" if args.database_url else "SQLite temp file",
            "channel_layer": "redis" if args.redis_url else "in-memory",
            "sessions": 200,
            "questions_per_session": 5,
            "ramp_s": RAMP_S,
            "open_late": True,
        },
        figures={
            "points": points,
            "target_p95_added_ms": TARGET_P95_ADDED_MS,
            "capacity_questions_per_s": capacity,
        },
        notes=[
            "One chat_sessions.py run per think time; questions_per_s is the rate from the "
            "first question sent to the last. Runs are sequential, nothing else running.",
            "The machine has 2 cores, shared by the service, the fake model and the load "
            "generator: compare setups from the same day only.",
        ],
    )
    print(f"  → {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
