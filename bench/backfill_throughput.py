"""Backfill throughput: the LLM path at several concurrencies, and the template fast path.

2,000 recommendations (the demo set cloned) on a temp SQLite file; an in-process
FakeLLMServer answers every request after a fixed latency with a valid structured answer
(the template text for the request's own facts), so the model path succeeds. Each run
starts from no texts at all.

    .venv/bin/python bench/backfill_throughput.py
    .venv/bin/python bench/backfill_throughput.py --runs 32:2000 --profile 32
    python scripts/testservers.py run --no-redis -- sh -c \
        '.venv/bin/python bench/backfill_throughput.py --runs "" --database-url "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.django_env import clone_recommendations, fake_llm_and_django, texts_reset
from lib.fake_models import TemplateAnswers
from lib.results import peak_rss_mb, results_write, summary

TOTAL = 2000
DEFAULT_LATENCY_S = 0.8
# concurrency:recommendations. Concurrency 1 and 8 run on samples: at 0.8 s a request,
# 2,000 recommendations would take 27 and 3.5 minutes.
DEFAULT_RUNS = "1:50,8:400,32:2000,64:2000"
TARGET_C32_SHARE = 0.85
TARGET_TEMPLATE_RATE = 1000


def _peak_rss_reset() -> bool:
    """Reset VmHWM (Linux ≥ 4.0) so each run reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _profile_text(profiler: cProfile.Profile, limit: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def llm_run(*, concurrency: int, count: int, latency_s: float, profile: bool) -> dict:
    from llm.models import LLMCall
    from recommendations_ai.backfill import backfill_run, backfill_select

    texts_reset()
    recs = backfill_select(limit=count)
    rss_reset = _peak_rss_reset()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    stats = backfill_run(recommendations=recs, mode="llm", concurrency=concurrency)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    n = stats.done + stats.failed
    llm_ms = list(LLMCall.objects.values_list("latency_ms", flat=True))
    llm_s_per_rec = sum(llm_ms) / 1000 / n if n else 0.0
    latencies = stats.latencies
    mean_latency = sum(latencies) / len(latencies) if latencies else 0.0
    ideal = concurrency / latency_s if count >= concurrency else count / latency_s
    rate = n / wall if wall else 0.0
    result = {
        "concurrency": concurrency,
        "recommendations": n,
        "wall_s": round(wall, 2),
        "recs_per_s": round(rate, 2),
        "ideal_recs_per_s": round(ideal, 2),
        "share_of_ideal": round(rate / ideal, 3) if ideal else None,
        "latency_s": summary(latencies),
        "llm_requests": len(llm_ms),
        "llm_s_per_rec": round(llm_s_per_rec, 4),
        # Time a recommendation spends in the service around its model call(s).
        "overhead_ms_per_rec": round((mean_latency - llm_s_per_rec) * 1000, 1),
        # The same against the fake server's fixed latency: includes the SDK and HTTP.
        "overhead_vs_fake_latency_ms": round((mean_latency - latency_s) * 1000, 1),
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_scope": "this run" if rss_reset else "process so far",
        "sources": dict(stats.by_source),
        "failed": stats.failed,
    }
    if profiler:
        result["profile"] = _profile_text(profiler)
    return result


def template_run(*, count: int) -> dict:
    from recommendations_ai.backfill import backfill_run, backfill_select

    texts_reset()
    rss_reset = _peak_rss_reset()
    started = time.perf_counter()
    recs = backfill_select(limit=count)
    selected = time.perf_counter()
    stats = backfill_run(recommendations=recs, mode="template")
    wall = time.perf_counter() - started
    n = stats.done + stats.failed
    return {
        "recommendations": n,
        "wall_s": round(wall, 3),
        "select_s": round(selected - started, 3),
        "recs_per_s": round(n / wall, 1) if wall else 0.0,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_scope": "this run" if rss_reset else "process so far",
        "sources": dict(stats.by_source),
        "failed": stats.failed,
    }


def _runs(spec: str) -> list[tuple[int, int]]:
    runs = []
    for part in filter(None, spec.split(",")):
        concurrency, _, count = part.partition(":")
        runs.append((int(concurrency), int(count or TOTAL)))
    return runs


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=TOTAL, help="recommendations in the DB")
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_S * 1000)
    parser.add_argument("--runs", default=DEFAULT_RUNS, help="concurrency:count,...")
    parser.add_argument("--no-template", action="store_true", help="skip the template run")
    parser.add_argument("--profile", type=int, default=None, help="cProfile this concurrency")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty database to use instead of a temp SQLite file, e.g. MariaDB from "
        "scripts/testservers.py (results go to backfill_throughput_<vendor>.json)",
    )
    args = parser.parse_args(argv)
    latency_s = args.latency_ms / 1000

    answers = TemplateAnswers()
    with fake_llm_and_django(default=answers, ttfb_s=latency_s, database_url=args.database_url):
        from django.db import connection

        from recommendations_ai.selectors import recommendations_missing_texts

        clone_recommendations(args.total)
        answers.prepare(recommendations_missing_texts(include_done=True))

        figures: dict = {"llm": [], "template": None}
        database = f"{connection.vendor} {connection.Database.__name__}"
        if connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                database = f"MariaDB/MySQL {cursor.fetchone()[0]} through PyMySQL"
        print(
            f"backfill_throughput: {args.total} recommendations, fake LLM latency "
            f"{latency_s * 1000:.0f} ms, {database}"
        )
        for concurrency, count in _runs(args.runs):
            run = llm_run(
                concurrency=concurrency,
                count=min(count, args.total),
                latency_s=latency_s,
                profile=args.profile == concurrency,
            )
            profile = run.pop("profile", None)
            figures["llm"].append(run)
            lat = run["latency_s"]
            print(
                f"  llm  c={concurrency:<3} n={run['recommendations']:<5} "
                f"{run['recs_per_s']:6.2f} recs/s ({run['share_of_ideal']:.0%} of ideal "
                f"{run['ideal_recs_per_s']:.0f})  latency p50 {lat['p50']:.3f}s "
                f"p95 {lat['p95']:.3f}s  overhead/rec {run['overhead_ms_per_rec']:.1f} ms "
                f"(vs fake latency {run['overhead_vs_fake_latency_ms']:.1f} ms)  "
                f"rss {run['peak_rss_mb']} MiB  sources {run['sources']}"
            )
            if profile:
                (Path(__file__).parent / "results" / "backfill_profile.txt").write_text(profile)
                print("    profile → bench/results/backfill_profile.txt")
        if not args.no_template:
            run = template_run(count=args.total)
            figures["template"] = run
            print(
                f"  template n={run['recommendations']}  {run['recs_per_s']:.0f} recs/s "
                f"(wall {run['wall_s']:.2f}s incl. select {run['select_s']:.2f}s)  "
                f"rss {run['peak_rss_mb']} MiB  sources {run['sources']}"
            )

    c32 = next((r for r in figures["llm"] if r["concurrency"] == 32), None)
    targets = {}
    if c32:
        targets["c32_recs_per_s"] = {
            "target": round(TARGET_C32_SHARE * 32 / latency_s, 1),
            "value": c32["recs_per_s"],
            "met": c32["recs_per_s"] >= TARGET_C32_SHARE * 32 / latency_s,
        }
    if figures["template"]:
        targets["template_recs_per_s"] = {
            "target": TARGET_TEMPLATE_RATE,
            "value": figures["template"]["recs_per_s"],
            "met": figures["template"]["recs_per_s"] >= TARGET_TEMPLATE_RATE,
        }
    figures["targets"] = targets
    figures["fake_answer_misses"] = answers.misses
    for name, t in targets.items():
        print(f"  target {name} ≥ {t['target']}: {'met' if t['met'] else 'MISSED'} ({t['value']})")
    name = "backfill_throughput"
    if args.database_url:
        name += "_" + args.database_url.split(":", 1)[0]
    path = results_write(
        name,
        parameters={
            "total_recommendations": args.total,
            "fake_latency_ms": latency_s * 1000,
            "runs": args.runs,
            "database": database if args.database_url else "SQLite temp file",
        },
        figures=figures,
        notes=[
            "The fake LLM server runs in the benchmark's own process (threads), so its "
            "request handling shares the GIL and the 2 cores with the service.",
            "overhead_ms_per_rec = mean per-recommendation latency (BackfillStats.latencies) "
            "minus the LLM time per recommendation summed from LLMCall.latency_ms.",
            "Concurrency 1 and 8 run on samples to keep the run bounded.",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
