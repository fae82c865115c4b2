"""What governance adds to a chat question and to a text request, in ms: first the budgets'
parts (a reserve + settle pair, the questions-a-minute window, the policy, the per-question sets
of them), then the whole added cost together (bench/lib/added_cost.py): quota checks, the
personal-data scrub and restore of a realistic prompt, and the metric updates (prometheus-client
in multiprocess mode, as scripts/serve.py runs it).

    python bench/governance_overhead.py                                # SQLite only
    python scripts/testservers.py run -- .venv/bin/python bench/governance_overhead.py

Each backend runs in a process of its own: SQLite (a temp file in WAL mode, as `make demo`),
and under scripts/testservers.py also MariaDB (the agent's own database, as in production)
and Redis (counters there, overrides still in MariaDB). One question at a time, then
CONCURRENCY threads at once (each with its own connection, as several workers' questions).
The issue's target: quota checks + scrubbing + metrics ≤ 1 ms p95 per chat question and per
text request (`chat_question_added_ms.total`, `text_request_added_ms.total`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.results import load_note, results_write, summary

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = 2000
WARMUP = 50
CONCURRENCY = 8
PER_THREAD = 250
COMBINED = 1000
TARGET_MS = 1.0
UNLIMITED = {
    "tokens_per_day": 10**15,
    "rub_per_day": 10**9,
    "questions_per_minute": 10**9,
    "tool_calls_per_minute": 10**9,
}


def _ms(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def _case(backend: str) -> dict:
    """In the child process: Django on the backend's database, then the timings."""
    from lib.django_env import django_setup, temp_database

    # Metrics as the workers write them: prometheus-client's multiprocess files.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    env = {
        "AGENT_ROLE_LIMITS_JSON": json.dumps({"user": UNLIMITED}),
        "AGENT_DAILY_CAP_RUB": str(10**9),
        "REDIS_URL": os.environ.get("REDIS_URL", "") if backend == "redis" else "",
    }
    if backend == "sqlite":
        django_setup(db_path=temp_database(), env=env, sqlite_wal=True)
    else:
        django_setup(
            database_url=os.environ["DATABASE_URL"],
            agent_database_url=os.environ.get("AGENT_DATABASE_URL"),
            env=env,
        )
    from django.db import connections

    from demo_data.personas import ALICE_EMAIL
    from governance.budgets import budget_reserve, budget_settle
    from governance.per_minute import question_admit
    from governance.policy import policy_for
    from infrazen.models import InfraZenUser

    user = InfraZenUser.objects.get(email=ALICE_EMAIL)
    policy = policy_for(user=user)

    def pair() -> None:
        reservation = budget_reserve(policy=policy, tokens=2400, cost_usd=Decimal("0.0009"))
        budget_settle(reservation=reservation, tokens=1700, cost_usd=Decimal("0.00061"))

    def question() -> None:
        question_admit(policy=policy)
        pair()

    def question_with_policy() -> None:
        question_admit(policy=policy_for(user=user))
        pair()

    for _ in range(WARMUP):
        question_with_policy()
    figures = {
        "pair_ms": summary([_ms(pair) for _ in range(QUESTIONS)]),
        "question_admit_ms": summary(
            [_ms(lambda: question_admit(policy=policy)) for _ in range(QUESTIONS)]
        ),
        "policy_for_ms": summary([_ms(lambda: policy_for(user=user)) for _ in range(QUESTIONS)]),
        "question_ms": summary([_ms(question) for _ in range(QUESTIONS)]),
        "question_with_policy_ms": summary([_ms(question_with_policy) for _ in range(QUESTIONS)]),
    }

    def thread() -> list[float]:
        try:
            return [_ms(question) for _ in range(PER_THREAD)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        timings = [t for part in pool.map(lambda _: thread(), range(CONCURRENCY)) for t in part]
    figures[f"question_ms_{CONCURRENCY}_threads"] = summary(timings)
    return figures | _combined(user, policy)


def _combined(user, policy) -> dict:
    """The whole added cost per chat question and per text request, and its parts."""
    from lib.added_cost import chat_question_parts, text_request_parts

    chat = chat_question_parts(user=user, policy=policy, runs=COMBINED)
    text = text_request_parts(user=user, runs=COMBINED)
    return {
        "chat_question_added_ms": _parts(chat),
        "text_request_added_ms": _parts(text),
    }


def _parts(parts: dict[str, dict[str, list[float]]]) -> dict:
    """Each part's wall-time summary, with its CPU time's beside it."""
    return {name: {**summary(ms["wall"]), "cpu": summary(ms["cpu"])} for name, ms in parts.items()}


def main() -> dict:
    backends = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith("mysql"):
        backends.append("mariadb")
    if os.environ.get("REDIS_URL") and "mariadb" in backends:
        backends.append("redis")
    load_before = os.getloadavg()
    figures = {}
    for backend in backends:
        result = subprocess.run(
            [sys.executable, __file__, "--case", backend],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        figures[backend] = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"  {backend}: {json.dumps(figures[backend])}")
    notes = [
        "pair: budget_reserve + budget_settle (user tokens, user ₽, service ₽); "
        "question_admit: ops.ratelimit's window (Redis with REDIS_URL, else the database); "
        "policy_for: the role's limits and the user's overrides row (the agent's database); "
        "question: question_admit + pair (the policy built once per chat connection); "
        "question_with_policy: policy_for + question_admit + pair.",
        "chat_question_added_ms: everything issue 20 adds to a chat question with one tool "
        "round, timed together (total) and by part: quota = the question's admission with the "
        "first request's estimate and reservation (question_reserve_ahead: one Redis script), "
        "its settle with the tool call's calls-a-minute admission and the second request's "
        "reservation (chat.quota.round_settle on next_call_estimate: one script), and the "
        "second's settle (which reports the final frame's budget in its own round trip); the "
        "scripts run on each thread's own Redis connection (governance.redis_scripts); "
        "scrub = a fresh PiiScrubber over the analytics pack, four history messages and the "
        "question, resent with a tool's arguments and result in the second request, and the "
        "answer restored in 12-character deltas; the pack and the first three history "
        "messages are the ones the session sent before (known to llm.pii.SCRUB_MEMO), the "
        "question, the previous answer and the tool's result new each time; metrics = two "
        "model requests' counters, the tool call's counter and histogram, the first delta's "
        "histogram and the answer's counter, in prometheus-client's multiprocess mode (mmap "
        "files, as under serve.py).",
        "text_request_added_ms: the owner's policy (policy_for on the owner row the "
        "recommendation's own statement brings; the overrides row kept per process for "
        "governance.policy.OVERRIDES_TTL_S) and one structured call's estimate, "
        "reserve and settle; the FACTS prompt (system + user message) of each demo "
        "recommendation in turn scrubbed (its FACTS made new each time, the system prompt "
        "known to SCRUB_MEMO) and a structured answer restored (llm.structured's "
        "copy of the completion when a placeholder was issued); the model request's counters "
        "and the text generation's counter.",
        *_met(figures),
        *load_note(load_before, os.getloadavg(), inflated="the latencies"),
    ]
    path = results_write(
        "governance_overhead",
        parameters={
            "questions": QUESTIONS,
            "warmup": WARMUP,
            "concurrency": CONCURRENCY,
            "per_thread": PER_THREAD,
            "combined_runs": COMBINED,
            "target_p95_ms": TARGET_MS,
            "backends": backends,
        },
        figures=figures,
        notes=notes,
    )
    print(f"  → {path.relative_to(ROOT)}")
    return figures


def _met(figures: dict) -> list[str]:
    """One line per backend: the two totals' p95 against the target."""
    lines = []
    for backend, found in figures.items():
        chat = found["chat_question_added_ms"]["total"]
        text = found["text_request_added_ms"]["total"]
        verdict = "met" if max(chat["p95"], text["p95"]) <= TARGET_MS else "not met"
        lines.append(
            f"{backend}: added p95 {chat['p95']} ms per chat question ({chat['cpu']['p95']} ms "
            f"of CPU), {text['p95']} ms per text request ({text['cpu']['p95']} ms of CPU); "
            f"target {TARGET_MS} ms each: {verdict} (wall time)."
        )
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        print(json.dumps(_case(sys.argv[2])))
    else:
        main()
