"""Soak on the production shape, with faults: does anything get lost, doubled or stuck?

nginx with the shipped config (deploy/nginx, HTTPS) in front of `make serve`'s launcher (two
workers), MariaDB (InfraZen's database and the agent's own) and Redis, all started here on
loopback, and the fake model failing `--fail-rate` of its calls. For `--minutes`:

- `--users` chat users over wss://…/agent/v1/chat/, each its own session, thinking
  `--think` seconds (uniform) before each question, as in the chat benchmark; every question
  is unique, so a stored row can be matched to what was sent. A socket that closes is
  reopened after 1 s (the stock client's first retry); a question whose answer never came
  is asked again only if the replay (read up to the `system` frame's last message) does not
  show it stored.
- `--text-clients` InfraZen syncs calling the text endpoint through the public URL back to
  back, from the InfraZen host (nginx adds the token), each for a new recommendation.

Faults, at fixed fractions of the run: one worker SIGKILLed (20 %), Redis restarted (40 %),
MariaDB unreachable for 10 s (SIGSTOP/SIGCONT, 60 %). Each fault's window is the 30 s after
it; "before" is the 30 s before the first.

Figures: questions sent, user rows and assistant rows stored for them, duplicates, lost
questions, answers marked interrupted, reconnect times after each fault, text requests over
25 s or not 200, and p95 latencies (chat: question to first delta; text: wall) per window.
Targets: 0 lost questions, 0 duplicate rows, every client back within 10 s of a fault, 0 text
requests over 25 s.

    .venv/bin/python bench/soak.py                       # 10 minutes, 200 users
    .venv/bin/python bench/soak.py --minutes 3 --users 50 --name soak_quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import ssl
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.chat import session_paths
from lib.django_env import clone_recommendations, connections_close, django_setup
from lib.fake_models import flaky_model_start
from lib.limits import UNLIMITED_ENV
from lib.results import percentile, results_write, summary

from scripts.nginx_front import nginx_front
from scripts.serve import agent_spawn, agent_wait_ready, processes_stop
from scripts.testservers import (
    free_port,
    mysql_database_fresh,
    redis_restart,
    start_mariadb,
    start_redis,
)

SECRET = "soak-jwt-secret-0123456789abcdef-0123456789"
TOKEN = "soak-service-token-0123456789abcdef-0123"
INTERRUPTED = "прерван"
WINDOW_S = 30.0
RECONNECT_TARGET_S = 10.0
TEXT_LIMIT_S = 25.0
FAULTS = (("worker killed", 0.2), ("redis restarted", 0.4), ("mariadb unreachable 10 s", 0.6))


# --- the stack ------------------------------------------------------------------------------
def _prepare(
    *, db_url: str, agent_db: str, redis_url: str, users: int, texts: int
) -> tuple[list[dict], list[int]]:
    """InfraZen's tables with the demo tenants, the agent's, and the ids the load uses."""
    django_setup(database_url=db_url, agent_database_url=agent_db, env={"REDIS_URL": redis_url})
    paths = session_paths(count=users, analytics_every=5, secret=SECRET)
    text_ids = clone_recommendations(texts)
    connections_close()
    return paths, text_ids


def _service_env(*, db: str, agent_db: str, redis: str, model_url: str, public: str) -> dict:
    # The users are a few demo personas behind 200 sockets: the daily budgets and the
    # per-minute limits are lifted as in every load benchmark (bench/lib/limits.py).
    return {
        **os.environ,
        **UNLIMITED_ENV,
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        "DATABASE_URL": db,
        "AGENT_DATABASE_URL": agent_db,
        "REDIS_URL": redis,
        "AGENT_SERVICE_JWT_SECRET": SECRET,
        "AGENT_SERVICE_TOKEN": TOKEN,
        "AGENT_PUBLIC_URL": f"{public}/agent",
        "CLIENT_IP_HEADER": "X-Real-IP",
        "CHAT_ALLOWED_ORIGINS": public,
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model_url,
        "LLM_API_KEY": "soak",
        "LLM_FALLBACK_MODELS": "",
        "AI_TEXT_MODE": "llm",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }


# --- the load -------------------------------------------------------------------------------
class Log:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.questions: list[dict] = []
        self.texts: list[dict] = []
        self.drops: list[dict] = []
        self.faults: list[dict] = []

    def now(self) -> float:
        return time.monotonic() - self.started


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _user(log: Log, *, base: str, path: str, until: float, think: tuple[float, float]):
    from websockets.asyncio.client import connect

    chance = random.Random(path)
    pending: dict | None = None
    asked = 0
    while log.now() < until:
        dropped_at = None
        try:
            async with connect(
                base + path, ssl=_tls(), compression=None, ping_interval=None, open_timeout=30
            ) as socket:
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
                    if frame["type"] == "system":
                        break
                if log.drops and (last := _last_drop(log, path)) and "back_at" not in last:
                    last["back_at"] = log.now()
                replay = await _replay_read(socket, frame.get("last_message_id"))
                if pending is not None:
                    stored = any(f.get("content") == pending["content"] for f in replay)
                    if not stored:
                        await _ask(socket, pending, log)
                    else:
                        pending["status"] = "stored before the drop"
                        pending = None
                while log.now() < until:
                    if pending is None:
                        await _think(socket, chance.uniform(*think))
                        asked += 1
                        pending = {
                            "content": f"Вопрос {asked} сессии {path[-12:]}: что дальше?",
                            "client_id": uuid.uuid4().hex,
                            "path": path,
                        }
                        log.questions.append(pending)
                        await _ask(socket, pending, log)
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 90))
                    if frame.get("type") == "assistant_delta" and "first_delta_s" not in pending:
                        pending["first_delta_s"] = log.now() - pending["sent_at"]
                    elif (frame.get("type") == "assistant" and frame.get("status")) or (
                        frame.get("type") == "error"
                        and frame.get("client_id") == pending["client_id"]
                    ):
                        pending["status"] = frame.get("status") or frame.get("code")
                        pending["done_at"] = log.now()
                        pending = None
        except Exception as exc:  # noqa: BLE001 - any drop: closed, refused, timed out
            dropped_at = log.now()
            log.drops.append({"path": path, "at": dropped_at, "error": type(exc).__name__})
        if dropped_at is not None:
            # The stock client's first retry.
            await asyncio.sleep(1.0)


async def _replay_read(socket, last_id: int | None) -> list[dict]:
    """The replay after the `system` frame, up to its last message (`last_message_id`), as a
    client that shows the history reads it. A gap in the frames proves nothing: a worker
    that took over a hundred reconnects at once sends each socket's replay with pauses."""
    replay: list[dict] = []
    while last_id is not None:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
        replay.append(frame)
        if frame.get("message_id") == last_id and frame.get("type") in ("user", "assistant"):
            break
    return replay


def _last_drop(log: Log, path: str) -> dict | None:
    return next((d for d in reversed(log.drops) if d["path"] == path), None)


async def _think(socket, seconds: float) -> None:
    """Reading, as a browser tab does: a socket closed meanwhile is noticed at once."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        try:
            await asyncio.wait_for(socket.recv(), left)
        except TimeoutError:
            return


async def _ask(socket, question: dict, log: Log) -> None:
    question["sent_at"] = log.now()
    question["sends"] = question.get("sends", 0) + 1
    question.setdefault("sent_ats", []).append(round(question["sent_at"], 2))
    await socket.send(
        json.dumps(
            {"type": "message", "content": question["content"], "client_id": question["client_id"]},
            ensure_ascii=False,
        )
    )


def _text_call(url: str, rec: int) -> int | str:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url,
        data=json.dumps({"recommendation_id": rec}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30, context=_tls()) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError as exc:
        return type(exc).__name__


async def _texts(log: Log, *, url: str, ids: list[int], clients: int, until: float) -> None:
    """The InfraZen app's syncs: `requests.post`-like calls, a new connection each."""
    queue = iter(ids)

    async def one_client() -> None:
        while log.now() < until and (rec := next(queue, None)) is not None:
            started = log.now()
            status = await asyncio.to_thread(_text_call, url, rec)
            log.texts.append({"at": started, "s": log.now() - started, "status": status})

    await asyncio.gather(*(one_client() for _ in range(clients)))


# --- faults ---------------------------------------------------------------------------------
def _worker_kill(agent) -> int:
    children = Path(f"/proc/{agent.pid}/task/{agent.pid}/children").read_text().split()
    victim = int(children[0])
    os.kill(victim, signal.SIGKILL)
    return victim


async def _faults(log: Log, *, agent, redis, mariadb, duration: float) -> None:
    for name, fraction in FAULTS:
        await asyncio.sleep(max(0.0, duration * fraction - log.now()))
        entry = {"fault": name, "at": log.now()}
        if name.startswith("worker"):
            entry["pid"] = _worker_kill(agent)
        elif name.startswith("redis"):
            await asyncio.to_thread(redis_restart, redis)
        else:
            os.kill(mariadb.process.pid, signal.SIGSTOP)
            await asyncio.sleep(10)
            os.kill(mariadb.process.pid, signal.SIGCONT)
        entry["ended"] = log.now()
        log.faults.append(entry)
        print(f"soak: {name} at {entry['at']:.0f} s", flush=True)


async def _run(log: Log, *, base_ws: str, text_url: str, paths, text_ids, args, stack) -> None:
    duration = args.minutes * 60
    think = tuple(float(x) for x in args.think.split(":"))
    users = [_user(log, base=base_ws, path=p["path"], until=duration, think=think) for p in paths]
    await asyncio.gather(
        *users,
        _texts(log, url=text_url, ids=text_ids, clients=args.text_clients, until=duration),
        _faults(log, duration=duration, **stack),
    )


# --- figures --------------------------------------------------------------------------------
def _stored(db_url: str) -> dict[str, list[str]]:
    """Per stored user question (content), the assistant contents after it in its session."""
    from urllib.parse import unquote, urlsplit

    import pymysql

    parts = urlsplit(db_url)
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        database=parts.path.lstrip("/"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id, role, content FROM chat_messages ORDER BY session_id, id"
        )
        rows = cursor.fetchall()
    connection.close()
    stored: dict[str, list[str]] = {}
    last_question = None
    for _session, role, content in rows:
        if role == "user":
            stored.setdefault(content, [])
            stored[content].append("")  # one entry per stored copy
            last_question = content
        elif last_question is not None:
            stored[last_question][-1] = content
    return stored


def _window(values: list[tuple[float, float]], start: float, end: float) -> dict:
    inside = [v for at, v in values if start <= at < end]
    return {"n": len(inside), "p95_ms": round(percentile(inside, 95) * 1000, 1)}


def _figures(log: Log, stored: dict[str, list[str]]) -> dict:
    sent = log.questions
    lost = [q for q in sent if q["content"] not in stored]
    duplicates = sum(len(copies) - 1 for copies in stored.values() if len(copies) > 1)
    answered = sum(1 for q in sent if q["content"] in stored and stored[q["content"]][0])
    interrupted = sum(1 for copies in stored.values() for answer in copies if INTERRUPTED in answer)
    first_delta = [(q["sent_at"], q["first_delta_s"]) for q in sent if "first_delta_s" in q]
    texts = [(t["at"], t["s"]) for t in log.texts]
    windows = {}
    first = log.faults[0]["at"] if log.faults else log.now()
    windows["before"] = {
        "chat_first_delta": _window(first_delta, first - WINDOW_S, first),
        "text": _window(texts, first - WINDOW_S, first),
    }
    for fault in log.faults:
        start = fault["at"]
        reconnects = [
            d["back_at"] - fault["at"]
            for d in log.drops
            if start <= d["at"] < start + WINDOW_S and "back_at" in d
        ]
        never = [d for d in log.drops if start <= d["at"] < start + WINDOW_S and "back_at" not in d]
        windows[fault["fault"]] = {
            "chat_first_delta": _window(first_delta, start, start + WINDOW_S),
            "text": _window(texts, start, start + WINDOW_S),
            "sockets_dropped": len(reconnects) + len(never),
            "reconnect_s": summary(reconnects),
            "drop_to_back_s": summary(
                [
                    d["back_at"] - d["at"]
                    for d in log.drops
                    if start <= d["at"] < start + WINDOW_S and "back_at" in d
                ]
            ),
            "never_back": len(never),
        }
    last = log.faults[-1]["ended"] if log.faults else 0.0
    windows["after"] = {
        "chat_first_delta": _window(first_delta, last + WINDOW_S, last + 2 * WINDOW_S),
        "text": _window(texts, last + WINDOW_S, last + 2 * WINDOW_S),
    }
    statuses: dict[str, int] = {}
    for t in log.texts:
        statuses[str(t["status"])] = statuses.get(str(t["status"]), 0) + 1
    worst_reconnect = max(
        [w["reconnect_s"].get("max", 0.0) for k, w in windows.items() if "reconnect_s" in w]
        or [0.0]
    )
    figures = {
        "questions_sent": len(sent),
        "questions_resent_after_a_drop": sum(1 for q in sent if q.get("sends", 1) > 1),
        "user_rows": sum(len(stored[q["content"]]) for q in sent if q["content"] in stored),
        "assistant_rows_with_text": answered,
        "lost_questions": len(lost),
        "duplicate_rows": duplicates,
        "answers_marked_interrupted": interrupted,
        "answer_statuses": _count(q.get("status", "in flight at the end") for q in sent),
        "sockets_dropped": len(log.drops),
        "worst_reconnect_s": round(worst_reconnect, 2),
        "text_requests": len(log.texts),
        "text_statuses": statuses,
        "text_over_25_s": sum(1 for t in log.texts if t["s"] > TEXT_LIMIT_S),
        "windows": windows,
        "faults": log.faults,
        # What to look into when a question was stored twice: its sends, the drops of its
        # socket, what the stored copies' answers began with.
        "duplicated": [
            {
                "question": q["content"],
                "sent_at_s": q.get("sent_ats"),
                "status": q.get("status"),
                "drops_at_s": [round(d["at"], 2) for d in log.drops if d["path"] == q["path"]],
                "answers": [answer[:80] for answer in stored[q["content"]]],
            }
            for q in sent
            if len(stored.get(q["content"], [])) > 1
        ],
    }
    figures["targets_met"] = {
        "0 lost questions": figures["lost_questions"] == 0,
        "0 duplicate rows": figures["duplicate_rows"] == 0,
        "clients back within 10 s": worst_reconnect <= RECONNECT_TARGET_S
        and all(w.get("never_back", 0) == 0 for w in windows.values()),
        "0 text requests over 25 s": figures["text_over_25_s"] == 0,
    }
    return figures


def _count(values) -> dict[str, int]:
    counted: dict[str, int] = {}
    for value in values:
        counted[str(value)] = counted.get(str(value), 0) + 1
    return counted


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", default="10:20", help="seconds before each question, a:b")
    parser.add_argument("--text-clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fail-rate", type=float, default=0.10)
    parser.add_argument("--name", default="soak")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    mariadb, db_url = start_mariadb(workdir)
    redis, redis_url = start_redis(workdir)
    model = agent = None
    try:
        agent_db = mysql_database_fresh(db_url, "own")
        texts_needed = int(args.text_clients * args.minutes * 60 / 0.5) + 100
        paths, text_ids = _prepare(
            db_url=db_url,
            agent_db=agent_db,
            redis_url=redis_url,
            users=args.users,
            texts=texts_needed,
        )
        model = flaky_model_start(fail_rate=args.fail_rate)
        public_port, agent_port = free_port(), free_port()
        public = f"https://127.0.0.1:{public_port}"
        env = _service_env(
            db=db_url, agent_db=agent_db, redis=redis_url, model_url=model.base_url, public=public
        )
        agent = agent_spawn(
            port=agent_port, env=env, log=workdir / "agent.log", workers=args.workers
        )
        agent_wait_ready(agent, port=agent_port, timeout=60)
        time.sleep(5)  # every worker up, not only the first
        with nginx_front(
            workdir / "nginx",
            port=public_port,
            agent_port=agent_port,
            static_root=workdir,
            token=TOKEN,
        ):
            log = Log()
            print(
                f"soak: {args.users} users, {args.text_clients} text clients, "
                f"{args.minutes:g} min, model failing {args.fail_rate:.0%}",
                flush=True,
            )
            asyncio.run(
                _run(
                    log,
                    base_ws=f"wss://127.0.0.1:{public_port}/agent",
                    text_url=f"{public}/agent/v1/generate/recommendation-text",
                    paths=paths,
                    text_ids=text_ids,
                    args=args,
                    stack={"agent": agent, "redis": redis, "mariadb": mariadb},
                )
            )
            time.sleep(3)  # the last answers stored
        figures = _figures(log, _stored(db_url))
    finally:
        if agent is not None:
            processes_stop([agent])
        if model is not None:
            model.stop()
        with contextlib.suppress(ProcessLookupError):
            os.kill(mariadb.process.pid, signal.SIGCONT)
        redis.stop()
        mariadb.stop()
    path = results_write(
        args.name,
        parameters={
            "minutes": args.minutes,
            "users": args.users,
            "think_s": args.think,
            "text_clients": args.text_clients,
            "workers": args.workers,
            "model_fail_rate": args.fail_rate,
            "shape": "nginx (deploy/nginx, HTTPS) -> scripts/serve.py workers, MariaDB (two "
            "schemas), Redis; the fake model streaming at 50 tokens/s after 300 ms",
        },
        figures=figures,
        notes=[f"faults at {', '.join(f'{n} ({int(f * 100)} %)' for n, f in FAULTS)}"],
    )
    print(json.dumps({k: v for k, v in figures.items() if k not in ("windows", "faults")},
                     ensure_ascii=False, indent=1))  # fmt: skip
    print(f"-> {path}")
    return figures


if __name__ == "__main__":
    main()
