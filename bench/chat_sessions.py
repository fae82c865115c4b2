"""Concurrent chat sessions against the real service: the added latency to the first delta.

Three processes: the service under daphne (one process, loopback port), the fake model in
its own process (an OpenAI-compatible FakeLLMServer streaming at 300 ms to first token and
50 tokens/s, answers of 60–120 tokens), and this one, the load generator: 200 WebSocket
sessions (distinct recommendation and analytics sessions), each asking 5 questions in
sequence, the next one only after the final `assistant` frame of the previous.

Per question, on one clock (CLOCK_MONOTONIC is system-wide, so the processes agree):
  t0  the client sends the question                          (this process)
  t1  the fake model has the request (headers parsed)         (fake model process)
  t2  the fake model writes the first content token           (fake model process)
  t3  the client has the first `assistant_delta`              (this process)
added latency = (t3 − t0) − (t2 − t1) = (t1 − t0) + (t3 − t2): everything between the
user and the model that is not the model's own time to first token.

    .venv/bin/python bench/chat_sessions.py
    .venv/bin/python bench/chat_sessions.py --sessions 50 --questions 3 --profile
    .venv/bin/python bench/chat_sessions.py --database-url mysql://u:p@127.0.0.1:3306/db \
        --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import RESULTS, ROOT
from lib.chat import (
    chat_env,
    jwt_secret_new,
    session_paths,
)
from lib.chat_load import load_run
from lib.django_env import connections_close, django_setup
from lib.fake_models import chat_model_start, tokens_range
from lib.processes import (
    cpu_seconds,
    open_files_raise,
    own_cpu_seconds,
    proc_status_kb,
    service_pids,
    service_start,
    service_wait_ready,
)
from lib.profiling import threads_profile_start, threads_profile_write
from lib.results import results_write, summary

from scripts.serve import processes_stop

TARGET_P95_ADDED_MS = 25.0


# --- figures --------------------------------------------------------------------------------
def _stored_check(*, session_ids: list[str], expected_turns: int) -> dict:
    """What the database holds for these sessions after the run."""
    from chat.selectors import PENDING_MARKER
    from chat.services import FAILED_MARKER, STOPPED_MARKER
    from infrazen.models import ChatMessage, ChatSession

    rows = ChatMessage.objects.filter(session_id__in=session_ids)
    counts = defaultdict(int)
    pending = marked = 0
    for role, content in rows.values_list("role", "content"):
        counts[role] += 1
        if role == "assistant":
            pending += content == PENDING_MARKER
            marked += content.endswith((STOPPED_MARKER, FAILED_MARKER))
    message_counts = sum(
        ChatSession.objects.filter(pk__in=session_ids).values_list("message_count", flat=True)
    )
    return {
        "sessions": len(session_ids),
        "questions_sent": expected_turns,
        "user_rows": counts["user"],
        "assistant_rows": counts["assistant"],
        "assistant_pending_placeholders": pending,
        "assistant_stopped_or_failed": marked,
        "sessions_message_count_sum": message_counts,
        "lost_messages": max(0, expected_turns - counts["user"])
        + max(0, expected_turns - (counts["assistant"] - pending - marked)),
    }


def _gateway_ttft(after_pk: int) -> dict:
    """The gateway's own time to first token per chat call (LLMCall.ttft_ms)."""
    from llm.models import LLMCall

    values = list(
        LLMCall.objects.filter(pk__gt=after_pk, purpose__startswith="chat_")
        .exclude(ttft_ms=None)
        .values_list("ttft_ms", flat=True)
    )
    return summary([float(v) for v in values])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5, help="per session, in sequence")
    parser.add_argument("--ttft-ms", type=float, default=300.0, help="fake model: to first token")
    parser.add_argument("--tokens-per-s", type=float, default=50.0, help="fake model: speed")
    parser.add_argument("--answer-tokens", default="60:120", help="fake answer length, min:max")
    parser.add_argument(
        "--analytics-every", type=int, default=5, help="every n-th session is analytics (0: none)"
    )
    parser.add_argument("--ramp-s", type=float, default=2.0, help="first questions spread over")
    parser.add_argument(
        "--think-s",
        default="0:0",
        help="a user's pause between an answer and the next question, min:max seconds "
        "(default 0:0, back to back: the stress case)",
    )
    parser.add_argument("--warmup", type=int, default=4, help="warm-up sessions (1 question)")
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    parser.add_argument(
        "--open-late",
        action="store_true",
        help="each socket opens at its session's start over the ramp, and the user thinks "
        "(--think-s) before the first question too; default: all sockets open first",
    )
    parser.add_argument(
        "--sqlite-wal", action="store_true", help="the SQLite file in WAL mode (not the default)"
    )
    parser.add_argument("--redis-url", default=None, help="default: in-memory channel layer")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="daphne processes (scripts/serve.py; more than one needs --redis-url and a "
        "--database-url every process shares)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="wall",
        choices=("wall", "cpu"),
        help="py-spy the service during the measured run: every thread (wall, the default) "
        "or only the one holding the GIL (cpu, written to ..._profile_cpu.txt)",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="results file name (default chat_sessions, _s<n> for other --sessions, _profiled "
        "with --profile, whose samples go to chat_sessions[_s<n>]_profile.txt)",
    )
    parser.add_argument(
        "--app",
        default="agentsite.asgi:application",
        help="the ASGI application daphne serves (to measure a patched variant)",
    )
    args = parser.parse_args(argv)
    if args.workers > 1 and not (args.redis_url and args.database_url):
        parser.error("several workers need --redis-url and --database-url (shared by all)")
    if args.workers > 1 and (args.profile or args.app != "agentsite.asgi:application"):
        parser.error("--profile and --app measure one daphne process (--workers 1)")
    if args.name is None:
        # Runs at other sizes, or profiled, keep the default run's results file.
        args.name = "chat_sessions" + ("" if args.sessions == 200 else f"_s{args.sessions}")
        args.name += "_profiled" if args.profile else ""
    tokens = tokens_range(args.answer_tokens)
    think_low, think_high = (float(part) for part in args.think_s.split(":"))
    think_s = (think_low, think_high)

    limit_before, limit_after = open_files_raise(4 * (args.sessions + args.warmup) + 1024)
    secret = jwt_secret_new()
    database_url = django_setup(database_url=args.database_url, sqlite_wal=args.sqlite_wal)
    from llm.models import LLMCall

    specs = session_paths(
        count=args.sessions + args.warmup, analytics_every=args.analytics_every, secret=secret
    )
    warmup, specs = specs[: args.warmup], specs[args.warmup :]
    llm_rows_before = LLMCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connections_close()

    run_dir = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    fake, base_url, timings_path = chat_model_start(
        run_dir=run_dir,
        ttft_ms=args.ttft_ms,
        tokens_per_s=args.tokens_per_s,
        answer_tokens=args.answer_tokens,
    )
    daphne = sampler = None
    log = run_dir / "daphne.log"
    profile_raw = run_dir / "profile.raw"
    try:
        daphne, port = service_start(
            env=chat_env(
                database_url=database_url,
                secret=secret,
                model_url=base_url,
                redis_url=args.redis_url or "",
            ),
            log=log,
            app=args.app,
            workers=args.workers,
        )
        service_wait_ready(daphne, port, log, workers=args.workers)
        pids = {"service": service_pids(daphne, args.workers), "fake_llm": [fake.pid]}

        def cpu_now() -> dict[str, float]:
            return {name: cpu_seconds(*group) for name, group in pids.items()}

        def rss_now() -> dict[str, int]:
            figures = [proc_status_kb(pid) for pid in pids["service"]]
            return {key: sum(f[key] for f in figures) for key in ("VmRSS", "VmHWM")}

        def on_measure() -> dict:
            nonlocal sampler
            if args.profile:
                sampler = threads_profile_start(daphne.pid, profile_raw, cpu=args.profile == "cpu")
            return {
                "cpu_before": cpu_now(),
                "client_cpu_before": own_cpu_seconds(),
                "rss_before_kb": rss_now()["VmRSS"],
            }

        warm, results, run = asyncio.run(
            load_run(
                port=port,
                specs=specs,
                warmup=warmup,
                questions=args.questions,
                tokens=tokens,
                ramp_s=args.ramp_s,
                on_measure=on_measure,
                think_s=think_s,
                open_late=args.open_late,
            )
        )
        cpu_after = cpu_now()
        client_cpu = own_cpu_seconds() - run["client_cpu_before"]
        if sampler is not None:
            base = args.name.removesuffix("_profiled")
            suffix = "_profile_cpu.txt" if args.profile == "cpu" else "_profile.txt"
            profile_out = RESULTS / f"{base}{suffix}"
            threads_profile_write(sampler, profile_raw, profile_out, cpu=args.profile == "cpu")
            sampler = None
        daphne_memory = rss_now()
    finally:
        if sampler is not None:
            sampler.kill()
        if daphne is not None:
            processes_stop([daphne])
        processes_stop([fake])
    fake_timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}

    return report(
        args=args,
        tokens=tokens,
        warm=warm,
        results=results,
        run=run,
        cpu_after=cpu_after,
        client_cpu=client_cpu,
        daphne_memory=daphne_memory,
        fake_timings=fake_timings,
        llm_rows_before=llm_rows_before,
        open_files=(limit_before, limit_after),
        log=log,
    )


def report(
    *,
    args,
    tokens,
    warm,
    results,
    run,
    cpu_after,
    client_cpu,
    daphne_memory,
    fake_timings,
    llm_rows_before,
    open_files,
    log,
) -> dict:
    turns = [turn for result in results for turn in result["turns"]]
    errors = [error for result in results for error in result["errors"]]
    added, before_model, after_token, fake_ttft, first_delta, final, final_added = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    by_scenario: dict[str, list[float]] = defaultdict(list)
    by_number: dict[int, list[float]] = defaultdict(list)
    unmatched = 0
    scenario_of = {id(turn): result["scenario"] for result in results for turn in result["turns"]}
    for turn in turns:
        if "t3" in turn:
            first_delta.append((turn["t3"] - turn["t0"]) * 1000)
        if "t_final" in turn:
            final.append((turn["t_final"] - turn["t0"]) * 1000)
        timing = fake_timings.get(turn["question"])
        if timing is None or timing["first"] is None or "t3" not in turn:
            unmatched += 1
            continue
        own = (timing["first"] - timing["in"]) * 1000
        value = (turn["t3"] - turn["t0"]) * 1000 - own
        fake_ttft.append(own)
        added.append(value)
        before_model.append((timing["in"] - turn["t0"]) * 1000)
        after_token.append((turn["t3"] - timing["first"]) * 1000)
        by_scenario[scenario_of[id(turn)]].append(value)
        by_number[turn["number"]].append(value)
        if "t_final" in turn:
            final_added.append(
                (turn["t_final"] - turn["t0"]) * 1000 - (timing["done"] - timing["in"]) * 1000
            )

    session_ids = [r["session_id"] for r in results + warm if "session_id" in r]
    sent = sum(len(r["turns"]) for r in results + warm)
    stored = _stored_check(session_ids=session_ids, expected_turns=sent)
    statuses: dict[str, int] = defaultdict(int)
    for turn in turns:
        statuses[str(turn.get("status"))] += 1
    wall = run["wall_s"]
    cpu = {
        name: round((cpu_after[name] - run["cpu_before"][name]) / wall, 3)
        for name in run["cpu_before"]
    }
    cpu["load_generator"] = round(client_cpu / wall, 3)
    added_summary = summary(added)
    sent_at = sorted(turn["t0"] for turn in turns if "t0" in turn)
    span = sent_at[-1] - sent_at[0] if len(sent_at) > 1 else 0.0
    figures = {
        "sessions": len(results),
        "questions_per_session": args.questions,
        "questions_answered": sum(1 for t in turns if t.get("status") == "done"),
        "run_wall_s": round(wall, 2),
        "questions_per_s": round((len(sent_at) - 1) / span, 1) if span else None,
        "connect_all_s": None if run["connect_s"] is None else round(run["connect_s"], 2),
        "added_latency_to_first_delta_ms": added_summary,
        "added_by_scenario_ms": {k: summary(v) for k, v in sorted(by_scenario.items())},
        "added_by_question_number_ms": {
            str(k + 1): summary(v) for k, v in sorted(by_number.items())
        },
        "before_model_ms": summary(before_model),
        "first_token_to_client_ms": summary(after_token),
        "fake_model_ttft_ms": summary(fake_ttft),
        "gateway_ttft_ms": _gateway_ttft(llm_rows_before),
        "client_first_delta_ms": summary(first_delta),
        "client_final_answer_ms": summary(final),
        "final_answer_added_ms": summary(final_added),
        "unmatched_turns": unmatched,
        "final_statuses": dict(statuses),
        "answers_exact": sum(1 for t in turns if t.get("content_ok")),
        "errors": len(errors),
        "error_kinds": _kinds(errors),
        "stored": stored,
        "service_rss_mb": {
            "before_run": round(run["rss_before_kb"] / 1024, 1),
            "after_run": round(daphne_memory["VmRSS"] / 1024, 1),
            "peak": round(daphne_memory["VmHWM"] / 1024, 1),
        },
        "cpu_cores_used": cpu,
        "load_generator_loop_lag_ms": summary(run["lag"].lags_ms),
        "target_p95_added_ms": TARGET_P95_ADDED_MS,
        "target_added_met": bool(added) and added_summary["p95"] <= TARGET_P95_ADDED_MS,
        "target_no_lost_messages_met": stored["lost_messages"] == 0
        and stored["assistant_pending_placeholders"] == 0
        and stored["user_rows"] == sent,
    }
    _print(args, figures)
    db = "SQLite temp file" if args.database_url is None else "DATABASE_URL given"
    path = results_write(
        args.name,
        parameters={
            "sessions": args.sessions,
            "questions_per_session": args.questions,
            "warmup_sessions": args.warmup,
            "fake_ttft_ms": args.ttft_ms,
            "fake_tokens_per_s": args.tokens_per_s,
            "fake_answer_tokens": list(tokens),
            "analytics_every": args.analytics_every,
            "ramp_s": args.ramp_s,
            "think_s": args.think_s,
            "open_late": args.open_late,
            "server": "daphne (1 process)"
            if args.workers == 1
            else f"scripts/serve.py: {args.workers} daphne processes",
            "database": db,
            "channel_layer": "redis" if args.redis_url else "in-memory",
            "open_files_soft_limit": {"before": open_files[0], "after": open_files[1]},
        },
        figures=figures,
        notes=[
            "added latency = (client first assistant_delta − client send) − (the fake model's "
            "first token written − its request received), all on CLOCK_MONOTONIC across the "
            "three processes. before_model = request received at the fake − client send; "
            "first_token_to_client = client first delta − fake first token.",
            "gateway_ttft_ms: LLMCall.ttft_ms, the service's own view of the model's TTFT "
            "(includes its HTTP connect and the SDK).",
            "A token is one streamed chunk of the fake model (one word). Answers are "
            "deterministic per question; answers_exact counts final frames equal to the "
            "concatenated deltas and to the fake's text.",
            "cpu_cores_used: CPU seconds / wall seconds of the measured run, per process, "
            "on a 2-core machine. The load generator is this process (asyncio + websockets).",
            "The service logs at WARNING and has no access log in this run.",
        ],
    )
    print(f"  → {path.relative_to(ROOT)}")
    if figures["errors"]:
        print(f"  daphne log: {log}")
    return figures


def _kinds(errors: list[str]) -> dict[str, int]:
    kinds: dict[str, int] = defaultdict(int)
    for error in errors:
        kinds[error[:80]] += 1
    return dict(kinds)


def _print(args, f: dict) -> None:
    def row(label: str, s: dict, unit: str = "ms") -> None:
        if not s.get("n"):
            print(f"  {label:34} -")
            return
        print(
            f"  {label:34} p50 {s['p50']:8.1f}  p95 {s['p95']:8.1f}  max {s['max']:8.1f} {unit}"
            f"  (n {s['n']})"
        )

    server = "daphne (1 process)" if args.workers == 1 else f"{args.workers} daphne processes"
    print(
        f"chat_sessions: {server}, {f['sessions']} sessions × {args.questions} "
        f"questions, fake model {args.ttft_ms:.0f} ms TTFT, {args.tokens_per_s:.0f} tokens/s, "
        f"{'SQLite' if args.database_url is None else 'given DB'}, "
        f"{'Redis' if args.redis_url else 'in-memory'} channel layer, "
        f"think time {args.think_s} s" + (", sockets open over the ramp" if args.open_late else "")
    )
    connecting = (
        "sockets opened during the run"
        if f["connect_all_s"] is None
        else f"connecting all sessions took {f['connect_all_s']} s"
    )
    print(
        f"  run {f['run_wall_s']} s ({connecting}), "
        f"{f['questions_per_s']} questions/s from the first question sent to the last"
    )
    row("added latency to first delta", f["added_latency_to_first_delta_ms"])
    for scenario, s in f["added_by_scenario_ms"].items():
        row(f"  {scenario}", s)
    for number, s in f["added_by_question_number_ms"].items():
        row(f"  question {number}", s)
    row("  send → model has the request", f["before_model_ms"])
    row("  model's first token → client", f["first_token_to_client_ms"])
    row("fake model's own TTFT", f["fake_model_ttft_ms"])
    row("gateway's TTFT (LLMCall)", f["gateway_ttft_ms"])
    row("client: send → first delta", f["client_first_delta_ms"])
    row("client: send → final answer", f["client_final_answer_ms"])
    row("final answer − model's stream time", f["final_answer_added_ms"])
    s = f["stored"]
    print(
        f"  stored: {s['user_rows']} user + {s['assistant_rows']} assistant rows for "
        f"{s['questions_sent']} questions sent; placeholders {s['assistant_pending_placeholders']}"
        f", stopped/failed {s['assistant_stopped_or_failed']}, lost {s['lost_messages']}"
    )
    print(
        f"  final statuses {f['final_statuses']}; exact answers {f['answers_exact']}; "
        f"errors {f['errors']} {f['error_kinds'] or ''}"
    )
    m = f["service_rss_mb"]
    print(f"  service RSS {m['before_run']} → {m['after_run']} MiB, peak {m['peak']} MiB")
    print(f"  CPU cores used {f['cpu_cores_used']}")
    row("load generator loop lag", f["load_generator_loop_lag_ms"])
    verdict = "met" if f["target_added_met"] else "MISSED"
    print(f"  target p95 added latency ≤ {TARGET_P95_ADDED_MS:.0f} ms: {verdict}")
    verdict = "met" if f["target_no_lost_messages_met"] else "MISSED"
    print(f"  target zero lost messages: {verdict}")


if __name__ == "__main__":
    main()
