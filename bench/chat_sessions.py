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
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    clone_recommendations,
    django_setup,
    results_write,
    serve_until_terminated,
    summary,
    temp_database,
    worker_pids,
)

from scripts.serve import agent_spawn, agent_wait_ready, processes_stop
from scripts.testservers import free_port

TARGET_P95_ADDED_MS = 25.0
WORKERS_SETTLE_S = 5.0
START_TIMEOUT_S = 30.0
QUESTION_TIMEOUT_S = 60.0
QUESTIONS = (
    "Что это за рекомендация?",
    "Сколько я сэкономлю в месяц и в год?",
    "Какие есть альтернативы?",
    "Какие риски и сколько работы?",
    "Дай пошаговый план.",
)
ANALYTICS_QUESTIONS = (
    "Как менялись мои расходы?",
    "Были ли аномалии?",
    "Какие сервисы дороже всего?",
    "Что из рекомендаций самое выгодное?",
    "Сколько я трачу в день?",
)
# The fake model's vocabulary: one word is one streamed chunk, the fake server's token.
VOCABULARY = (
    "Сервер почти не загружен: средняя загрузка процессора за месяц около шести процентов, "
    "поэтому конфигурацию можно уменьшить без риска для работы сервиса. Перенос к другому "
    "провайдеру с той же конфигурацией снизит ежемесячные расходы примерно на треть, а за "
    "год экономия составит заметную сумму. Перед изменением сделайте снимок диска, проверьте, "
    "что адрес не привязан к другим ресурсам, и уменьшите TTL записей DNS заранее. Работа "
    "займёт около часа, простой составит несколько минут, откат возможен из снимка."
)
WORDS = VOCABULARY.split()


# --- the fake model, in its own process ---------------------------------------------------
def answer_text(question: str, *, tokens: tuple[int, int]) -> str:
    """The fake model's answer to `question`: deterministic, `tokens` words long."""
    low, high = tokens
    seed = zlib.crc32(question.encode())
    count = low + seed % (high - low + 1)
    return " ".join(WORDS[(seed + i) % len(WORDS)] for i in range(count))


def _last_user_content(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def fake_llm_serve(*, ttft_ms: float, tokens_per_s: float, tokens: tuple[int, int], out: Path):
    """Serve until SIGTERM, then write each request's own timings to `out` (JSON)."""
    from llm import fake_server

    timings: dict[str, dict] = {}

    class TimedHandler(fake_server._Handler):
        def do_POST(self) -> None:
            self.bench_in = time.monotonic()
            self.bench_first = None
            super().do_POST()
            question = getattr(self, "bench_question", None)
            if question is not None:
                timings[question] = {
                    "in": self.bench_in,
                    "first": self.bench_first,
                    "done": time.monotonic(),
                }

        def _write_chunk(self, data: bytes, *, body: dict, chunks_sent: int) -> None:
            # Chunk 0 is the role, chunk 1 the first token (written after the TTFT wait).
            if chunks_sent == 1:
                self.bench_first = time.monotonic()
                self.bench_question = _last_user_content(body)
            super()._write_chunk(data, body=body, chunks_sent=chunks_sent)

    # FakeLLMServer.start binds the module's handler class; this process serves only this.
    fake_server._Handler = TimedHandler

    def reply(body: dict):
        return fake_server.Reply.answer(answer_text(_last_user_content(body), tokens=tokens))

    server = fake_server.FakeLLMServer(
        default=reply, ttfb_s=ttft_ms / 1000, tokens_per_s=tokens_per_s
    )
    serve_until_terminated(server, on_stop=lambda: out.write_text(json.dumps(timings)))


# --- processes ----------------------------------------------------------------------------
def database_url_for(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


def daphne_start(
    *, env: dict[str, str], log: Path, app: str = "agentsite.asgi:application", workers: int = 1
) -> tuple[subprocess.Popen, int]:
    """The service under daphne on a free loopback port: one process, or `workers` daphne
    processes under scripts/serve.py (as in production; they need a Redis channel layer)."""
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        "LOG_LEVEL": "WARNING",
        # As in production (AGENT_ENV=prod refuses DEBUG): no SQL kept per query.
        "DEBUG": "false",
        **env,
    }
    process = agent_spawn(
        port=port,
        env=full_env,
        log=log,
        workers=workers,
        extra=("--access-log", os.devnull),
        app=app,
    )
    return process, port


def service_pids(process: subprocess.Popen, workers: int) -> list[int]:
    """The daphne processes: `process` itself, or the workers scripts/serve.py started."""
    return [process.pid] if workers == 1 else worker_pids(process)


def daphne_wait_ready(process: subprocess.Popen, port: int, log: Path, workers: int = 1) -> None:
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


# --- py-spy on the service ------------------------------------------------------------------
def profile_start(pid: int, raw: Path, *, cpu: bool = False) -> subprocess.Popen:
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
    if cpu:
        # Only the thread holding the GIL: where the process's one core of Python goes.
        command += ["--nonblocking", "--gil", "--threads", "-o", str(raw)]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Every thread, idle or not: the service waits (on its one database thread) as much as
    # it computes, so GIL-only samples would hide where the time goes.
    command += ["--nonblocking", "--idle", "--threads", "-o", str(raw)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# A sample whose innermost frame is one of these is a thread waiting, not working.
IDLE_FRAMES = ("_worker (concurrent/futures/thread.py:81)", "EpollSelector.select (selectors.py")


def profile_write(
    sampler: subprocess.Popen, raw: Path, out: Path, *, limit: int = 30, cpu: bool = False
) -> None:
    """Stop py-spy; write per thread its busy share and the top functions while busy."""
    sampler.send_signal(signal.SIGINT)
    sampler.wait(timeout=60)
    threads: dict[str, dict] = defaultdict(
        lambda: {
            "total": 0,
            "idle": 0,
            "inclusive": defaultdict(int),
            "own": defaultdict(int),
            "outermost": defaultdict(int),
        }
    )
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        count = int(count)
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
    raw.unlink()
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
            for frame, count in sorted(table.items(), key=lambda kv: -kv[1])[:shown]:
                lines.append(f"  {100 * count / max(1, busy):6.1f}%  {frame}")
        lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"  profile → {out.relative_to(ROOT)}")


# --- the database and the sessions ----------------------------------------------------------
def database_prepare(database_url: str | None, *, sqlite_wal: bool = False) -> str:
    """Django set up on a fresh temp SQLite file, or on `database_url`; the demo data loaded.

    `sqlite_wal` switches the file to write-ahead logging (a property of the file, so the
    service opens it that way too): what the embedded default would gain from it.
    """
    if database_url is None:
        db_path = temp_database()
        django_setup(db_path=db_path)
        if sqlite_wal:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        return database_url_for(db_path)
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("AGENT_DATABASE_URL", None)  # one database, as in _common.django_setup
    os.environ["DJANGO_SETTINGS_MODULE"] = "agentsite.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from demo_data.seed import demo_seed

    call_command("agent_migrate", verbosity=0)
    call_command("infrazen_schema", verbosity=0)
    demo_seed()
    return database_url


def session_paths(*, count: int, analytics_every: int, secret: str) -> list[dict]:
    """`count` connections, each its own chat session: distinct recommendations (cloned
    from the demo set as needed) and, every `analytics_every`-th, a distinct analytics
    range. Tokens are minted as the InfraZen app mints them."""
    from chat.tests.tokens import chat_token_mint_for_tests
    from infrazen.models import OptimizationRecommendation

    analytics = count // analytics_every if analytics_every else 0
    ids = clone_recommendations(count - analytics)
    recommendations = OptimizationRecommendation.objects.filter(pk__in=ids)
    owners = dict(recommendations.values_list("pk", "resource__provider__user"))
    users = sorted(set(owners.values()))
    paths = []
    rec_ids = iter(ids)
    for index in range(count):
        if analytics_every and index % analytics_every == analytics_every - 1:
            user_id = users[index % len(users)]
            # One session per (user, context): a distinct range per connection.
            token = chat_token_mint_for_tests(
                user_id=user_id,
                scenario="analytics",
                time_range_days=7 + index,
                secret=secret,
            )
            paths.append({"scenario": "analytics", "path": f"/v1/chat/analytics?token={token}"})
        else:
            rec_id = next(rec_ids)
            token = chat_token_mint_for_tests(
                user_id=owners[rec_id], recommendation_id=rec_id, secret=secret
            )
            paths.append(
                {"scenario": "recommendation", "path": f"/v1/chat/rec/{rec_id}?token={token}"}
            )
    return paths


def ws_connect(port: int, path: str):
    from websockets.asyncio.client import connect

    # No compression (daphne does not negotiate it); no client pings (daphne sends its own).
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        compression=None,
        ping_interval=None,
        open_timeout=60,
        max_queue=256,
    )


# --- the load generator ---------------------------------------------------------------------
class LoopLag:
    """How late this process's event loop wakes a 10 ms sleeper: is the client keeping up?"""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags_ms.append((time.monotonic() - started - 0.01) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def _session(
    *,
    index: int,
    spec: dict,
    port: int,
    questions: int,
    tokens: tuple[int, int],
    start_at: asyncio.Event,
    delay_s: float,
    connected: list,
    think_s: tuple[float, float] = (0.0, 0.0),
    rng: random.Random | None = None,
    open_late: bool = False,
) -> dict:
    """One session: connect, wait for the start, ask `questions` questions in sequence.

    Between an answer and the next question the user thinks for uniform(think_s) seconds
    (0 by default: the next question goes at once, the stress case). `open_late`: the
    socket opens only at the session's start (`delay_s` after the run's), and the user
    thinks before the first question too, as someone who opens the chat and then types.
    """
    from websockets.exceptions import WebSocketException

    result: dict = {"index": index, "scenario": spec["scenario"], "turns": [], "errors": []}
    texts = ANALYTICS_QUESTIONS if spec["scenario"] == "analytics" else QUESTIONS
    rng = rng or random.Random()
    try:
        if open_late:
            await start_at.wait()
            await asyncio.sleep(delay_s)
        async with ws_connect(port, spec["path"]) as ws:
            system = json.loads(await ws.recv())
            if system.get("type") != "system":
                result["errors"].append(f"first frame {system.get('type')}")
                connected.append(index)
                return result
            result["session_id"] = system["session_id"]
            # A session reused from an earlier run (a kept database) replays its history.
            last = system.get("last_message_id")
            while last is not None and json.loads(await ws.recv()).get("message_id") != last:
                pass
            connected.append(index)
            if not open_late:
                await start_at.wait()
                await asyncio.sleep(delay_s)
            for number in range(questions):
                if (number or open_late) and think_s[1] > 0:
                    await asyncio.sleep(rng.uniform(*think_s))
                question = f"{texts[number % len(texts)]} (сессия {index}, вопрос {number + 1})"
                turn = {"question": question, "number": number}
                result["turns"].append(turn)
                turn["t0"] = time.monotonic()
                await ws.send(
                    json.dumps(
                        {"type": "message", "content": question, "client_id": f"{index}.{number}"},
                        ensure_ascii=False,
                    )
                )
                deltas: list[str] = []
                async with asyncio.timeout(QUESTION_TIMEOUT_S):
                    while True:
                        frame = json.loads(await ws.recv())
                        kind = frame["type"]
                        if kind == "assistant_delta":
                            if not deltas:
                                turn["t3"] = time.monotonic()
                            deltas.append(frame["content"])
                        elif kind == "assistant":
                            turn["t_final"] = time.monotonic()
                            turn["status"] = frame.get("status")
                            turn["answer_id"] = frame.get("message_id")
                            turn["content_ok"] = frame.get("content") == "".join(
                                deltas
                            ).strip() and frame.get("content") == answer_text(
                                question, tokens=tokens
                            )
                            break
                        elif kind == "user":
                            turn["question_id"] = frame.get("message_id")
                        elif kind == "error":
                            result["errors"].append(f"error frame {frame.get('code')}")
    except (OSError, TimeoutError, ValueError, KeyError, WebSocketException) as exc:
        # Counted, and the other sessions go on.
        result["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
        if index not in connected:
            connected.append(index)
    return result


async def _load(
    *,
    port: int,
    specs: list[dict],
    warmup: list[dict],
    questions: int,
    tokens: tuple[int, int],
    ramp_s: float,
    on_measure,
    think_s: tuple[float, float] = (0.0, 0.0),
    open_late: bool = False,
) -> tuple[list[dict], list[dict], dict]:
    # Warm-up: a few sessions, one question each, so imports, the SDK client and the first
    # queries of the service are not in the figures.
    go = asyncio.Event()
    go.set()
    warm = await asyncio.gather(
        *(
            _session(
                index=-1 - i,
                spec=spec,
                port=port,
                questions=1,
                tokens=tokens,
                start_at=go,
                delay_s=0,
                connected=[],
            )
            for i, spec in enumerate(warmup)
        )
    )

    start_at = asyncio.Event()
    connected: list[int] = []
    rng = random.Random(7)
    tasks = [
        asyncio.create_task(
            _session(
                index=i,
                spec=spec,
                port=port,
                questions=questions,
                tokens=tokens,
                start_at=start_at,
                # Spread the first questions over the ramp, so they do not all land at once.
                delay_s=rng.uniform(0, ramp_s),
                connected=connected,
                think_s=think_s,
                rng=random.Random(1000 + i),
                open_late=open_late,
            )
        )
        for i, spec in enumerate(specs)
    ]
    connect_started = time.monotonic()
    while not open_late and len(connected) < len(specs):
        await asyncio.sleep(0.05)
    # Opening late, the sockets open during the measured run: no separate connect phase.
    connect_s = None if open_late else time.monotonic() - connect_started
    lag = LoopLag()
    lag.start()
    marks = on_measure()
    started = time.monotonic()
    start_at.set()
    results = await asyncio.gather(*tasks)
    wall = time.monotonic() - started
    lag.stop()
    return warm, results, {"connect_s": connect_s, "wall_s": wall, "lag": lag, **marks}


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
    parser.add_argument("--fake-llm-serve", metavar="TIMINGS_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers > 1 and not (args.redis_url and args.database_url):
        parser.error("several workers need --redis-url and --database-url (shared by all)")
    if args.workers > 1 and (args.profile or args.app != "agentsite.asgi:application"):
        parser.error("--profile and --app measure one daphne process (--workers 1)")
    if args.name is None:
        # Runs at other sizes, or profiled, keep the default run's results file.
        args.name = "chat_sessions" + ("" if args.sessions == 200 else f"_s{args.sessions}")
        args.name += "_profiled" if args.profile else ""
    low, high = (int(part) for part in args.answer_tokens.split(":"))
    tokens = (low, high)
    think_low, think_high = (float(part) for part in args.think_s.split(":"))
    think_s = (think_low, think_high)

    if args.fake_llm_serve:
        fake_llm_serve(
            ttft_ms=args.ttft_ms,
            tokens_per_s=args.tokens_per_s,
            tokens=tokens,
            out=Path(args.fake_llm_serve),
        )
        return {}

    limit_before, limit_after = open_files_raise(4 * (args.sessions + args.warmup) + 1024)
    secret = secrets.token_urlsafe(32)
    os.environ["AGENT_SERVICE_JWT_SECRET"] = secret
    database_url = database_prepare(args.database_url, sqlite_wal=args.sqlite_wal)
    from django.db import connections

    from llm.models import LLMCall

    specs = session_paths(
        count=args.sessions + args.warmup, analytics_every=args.analytics_every, secret=secret
    )
    warmup, specs = specs[: args.warmup], specs[args.warmup :]
    llm_rows_before = LLMCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connections.close_all()

    run_dir = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    timings_path = run_dir / "fake_timings.json"
    fake = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--fake-llm-serve",
            str(timings_path),
            "--ttft-ms",
            str(args.ttft_ms),
            "--tokens-per-s",
            str(args.tokens_per_s),
            "--answer-tokens",
            args.answer_tokens,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    daphne = sampler = None
    log = run_dir / "daphne.log"
    profile_raw = run_dir / "profile.raw"
    try:
        base_url = fake.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError("the fake model did not start")
        daphne, port = daphne_start(
            env={
                "DATABASE_URL": database_url,
                "REDIS_URL": args.redis_url or "",
                "AGENT_SERVICE_JWT_SECRET": secret,
                "LLM_PROVIDER": "openai_compatible",
                "LLM_BASE_URL": base_url,
                "LLM_API_KEY": "bench",
                "LLM_FALLBACK_MODELS": "",
            },
            log=log,
            app=args.app,
            workers=args.workers,
        )
        daphne_wait_ready(daphne, port, log, workers=args.workers)
        pids = {"service": service_pids(daphne, args.workers), "fake_llm": [fake.pid]}

        def cpu_now() -> dict[str, float]:
            return {name: sum(map(cpu_seconds, group)) for name, group in pids.items()}

        def rss_now() -> dict[str, int]:
            figures = [proc_status_kb(pid) for pid in pids["service"]]
            return {key: sum(f[key] for f in figures) for key in ("VmRSS", "VmHWM")}

        def on_measure() -> dict:
            nonlocal sampler
            if args.profile:
                sampler = profile_start(daphne.pid, profile_raw, cpu=args.profile == "cpu")
            return {
                "cpu_before": cpu_now(),
                "client_cpu_before": own_cpu_seconds(),
                "rss_before_kb": rss_now()["VmRSS"],
            }

        warm, results, run = asyncio.run(
            _load(
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
            profile_out = ROOT / "bench" / "results" / f"{base}{suffix}"
            profile_write(sampler, profile_raw, profile_out, cpu=args.profile == "cpu")
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
