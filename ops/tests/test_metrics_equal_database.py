"""After a scripted workload across two workers, one scrape of /metrics holds exactly what the
database recorded: model requests, their tokens and roubles, and the texts answered; after a
chat workload (questions with a tool call each) the chat answers, the tool calls (the model's
and the context pack's, by origin) and each answer's tokens and roubles too."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from websockets.sync.client import connect

from chat.flask_tokens import chat_token_mint_for_tests
from llm.fake_server import FakeLLMServer, Reply
from ops.tests.test_metrics import _value
from ops.tests.test_serve_workers import _all_serving, _stopped
from scripts.testservers import free_port

ROOT = Path(__file__).resolve().parents[2]
RATE = 100.0
CHAT_SECRET = "metrics-test-jwt-secret-0123456789abcdef"
# The InfraZen app's page in development (allowed by default).
CHAT_ORIGIN = "http://localhost:5001"


def _families(text: str, name: str, **labels: str) -> float:
    """The sum of every series of one metric (with these labels)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(key) == value for key, value in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def _post(port: int, recommendation_id: int) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/generate/recommendation-text",
        data=json.dumps({"recommendation_id": recommendation_id}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@contextlib.contextmanager
def _two_workers(tmp_path: Path, model: FakeLLMServer, **extra_env: str) -> Iterator[int]:
    """The demo data in a SQLite file, served by two workers of scripts/serve.py on the fake
    model: the port, while it serves."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'agent.sqlite3'}",
        "AGENT_DATABASE_URL": "",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "AGENT_METRICS_DIR": str(tmp_path / "metrics"),
        "AGENT_ANONYMOUS_NETWORKS": "127.0.0.1/32",
        "AI_TEXT_MODE": "llm",
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model.base_url,
        "LLM_API_KEY": "metrics-test",
        "LLM_MODEL_TEXT": "text/primary",
        "LLM_FALLBACK_MODELS": "",
        "LLM_PRICES_JSON": json.dumps({"text/primary": [1.0, 2.0]}),
        "USD_RUB_RATE": str(RATE),
        **extra_env,
    }
    for command in ("agent_migrate", "infrazen_schema", "seed_demo"):
        subprocess.run(
            [sys.executable, "manage.py", command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    port = free_port()
    log = tmp_path / "serve.log"
    parent = subprocess.Popen(
        [
            sys.executable,
            "scripts/serve.py",
            "--workers",
            "2",
            "-p",
            str(port),
            "--per-process-channel-layer",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    parent.log = log
    try:
        assert _all_serving(parent)
        yield port
    finally:
        _stopped(parent)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def _both_workers_counted(tmp_path: Path) -> None:
    # Both workers answered (each wrote counters of its own): the scrape summed them.
    writers = {path.stem.rsplit("_", 1)[1] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(writers) >= 2


def _model_calls_match(text: str, db: sqlite3.Connection) -> None:
    calls, prompt, completion, cost = db.execute(
        "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd)"
        " FROM agent_llm_calls"
    ).fetchone()
    assert calls > 0
    assert _families(text, "infrazen_agent_model_requests_total") == calls
    assert _value(text, "infrazen_agent_model_tokens_total", kind="prompt") == prompt
    assert _value(text, "infrazen_agent_model_tokens_total", kind="completion") == completion
    assert _families(text, "infrazen_agent_model_cost_rub_total") == pytest.approx(
        float(cost) * RATE
    )


@pytest.mark.timeout(300)
def test_the_scraped_counters_equal_the_database_rows(tmp_path):
    database = tmp_path / "agent.sqlite3"
    with FakeLLMServer() as model, _two_workers(tmp_path, model) as port:
        with sqlite3.connect(database) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM optimization_recommendations")]
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda i: _post(port, i), ids[:24]))
        text = _scrape(port)

    assert statuses == [200] * 24
    _both_workers_counted(tmp_path)
    with sqlite3.connect(database) as db:
        _model_calls_match(text, db)
        texts = db.execute("SELECT COUNT(*) FROM agent_text_generations").fetchone()[0]
    assert _families(text, "infrazen_agent_text_generations_total") == texts == 24


def _chat_reply(body: dict) -> Reply:
    """Every question: one tool call, then the answer on the tool's result."""
    if body["messages"][-1]["role"] == "tool":
        return Reply.answer("Готово: данные учтены.")
    return Reply.calls([{"name": "get_user_context", "arguments": {}}])


def _chat(port: int, session: tuple[str, str], questions: int) -> list[str]:
    """Ask `questions` questions on one chat socket: each answer's final status."""
    path, token = session
    statuses = []
    url = f"ws://127.0.0.1:{port}{path}?token={token}"
    with connect(url, origin=CHAT_ORIGIN, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "system"
        for number in range(questions):
            ws.send(json.dumps({"content": f"Вопрос {number + 1}: что с расходами?"}))
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if frame["type"] == "assistant" and frame.get("status"):
                    statuses.append(frame["status"])
                    break
    return statuses


def _chat_sessions(database: Path) -> list[tuple[str, str]]:
    """A recommendation chat on each of the demo's first recommendations, an analytics chat
    per owner: tokens minted as the InfraZen app mints them."""
    with sqlite3.connect(database) as db:
        owned = db.execute(
            "SELECT r.id, p.user_id FROM optimization_recommendations r"
            " JOIN cloud_providers p ON p.id = r.provider_id ORDER BY r.id LIMIT 8"
        ).fetchall()
    mint = functools.partial(chat_token_mint_for_tests, secret=CHAT_SECRET)
    sessions = [
        (f"/v1/chat/rec/{rec}", mint(user_id=user, recommendation_id=rec)) for rec, user in owned
    ]
    for user in sorted({user for _, user in owned}):
        sessions.append(("/v1/chat/analytics", mint(user_id=user, scenario="analytics")))
    return sessions


@pytest.mark.timeout(300)
def test_after_a_chat_workload_the_scraped_counters_equal_the_database_rows(tmp_path):
    database = tmp_path / "agent.sqlite3"
    limits = {"questions_per_minute": 1000, "tool_calls_per_minute": 1000}
    with (
        FakeLLMServer(default=_chat_reply) as model,
        _two_workers(
            tmp_path,
            model,
            AGENT_SERVICE_JWT_SECRET=CHAT_SECRET,
            AGENT_ROLE_LIMITS_JSON=json.dumps({"user": limits}),
        ) as port,
    ):
        sessions = _chat_sessions(database)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda s: _chat(port, s, 2), sessions))
        text = _scrape(port)

    assert statuses == [["done", "done"]] * len(sessions)
    _both_workers_counted(tmp_path)
    with sqlite3.connect(database) as db:
        _model_calls_match(text, db)
        answers = db.execute("SELECT COUNT(*) FROM chat_messages WHERE role = 'assistant'")
        # The model's own calls (round 1 on) and the context pack's reads (round 0), each
        # counted under its origin.
        tool_calls, pack_reads, pack_ok = db.execute(
            "SELECT SUM(round > 0), SUM(round = 0), SUM(round = 0 AND ok) FROM agent_tool_calls"
        ).fetchone()
        costs = db.execute(
            "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_rub)"
            " FROM agent_message_costs"
        ).fetchone()
        answered = answers.fetchone()[0]
    assert _families(text, "infrazen_agent_chat_answers_total") == answered == 2 * len(sessions)
    assert _families(text, "infrazen_agent_chat_answers_total", status="done") == answered
    calls = functools.partial(_families, text, "infrazen_agent_tool_calls_total")
    assert calls(origin="model") == tool_calls == answered
    assert calls(origin="model", outcome="ok") == tool_calls
    assert calls(origin="context") == pack_reads > 0
    assert calls(origin="context", outcome="ok") == pack_ok
    assert calls() == tool_calls + pack_reads
    # Each answer's own cost row sums to what the model metrics counted.
    assert costs[0] == answered
    assert _value(text, "infrazen_agent_model_tokens_total", kind="prompt") == costs[1]
    assert _value(text, "infrazen_agent_model_tokens_total", kind="completion") == costs[2]
    assert _families(text, "infrazen_agent_model_cost_rub_total") == pytest.approx(float(costs[3]))
