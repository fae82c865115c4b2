"""After a scripted workload across two workers, one scrape of /metrics holds exactly what the
database recorded: model requests, their tokens and roubles, and the texts answered."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from llm.fake_server import FakeLLMServer
from ops.tests.test_metrics import _value
from ops.tests.test_serve_workers import _all_serving, _stopped
from scripts.testservers import free_port

ROOT = Path(__file__).resolve().parents[2]
RATE = 100.0


def _families(text: str, name: str) -> float:
    """The sum of every series of one metric."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def _post(port: int, recommendation_id: int) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/generate/recommendation-text",
        data=json.dumps({"recommendation_id": recommendation_id}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.mark.timeout(300)
def test_the_scraped_counters_equal_the_database_rows(tmp_path):
    database = tmp_path / "agent.sqlite3"
    with FakeLLMServer() as model:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
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
        }
        for command in ("agent_migrate", "infrazen_schema", "seed_demo"):
            subprocess.run(
                [sys.executable, "manage.py", command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        with sqlite3.connect(database) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM optimization_recommendations")]
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
            with ThreadPoolExecutor(6) as pool:
                statuses = list(pool.map(lambda i: _post(port, i), ids[:24]))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read().decode()
        finally:
            _stopped(parent)

    assert statuses == [200] * 24
    # Both workers answered (each wrote counters of its own): the scrape summed them.
    writers = {path.stem.rsplit("_", 1)[1] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(writers) >= 2
    with sqlite3.connect(database) as db:
        calls, prompt, completion, cost = db.execute(
            "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd)"
            " FROM agent_llm_calls"
        ).fetchone()
        texts = db.execute("SELECT COUNT(*) FROM agent_text_generations").fetchone()[0]
    assert calls > 0
    assert _families(text, "infrazen_agent_model_requests_total") == calls
    assert _value(text, "infrazen_agent_model_tokens_total", kind="prompt") == prompt
    assert _value(text, "infrazen_agent_model_tokens_total", kind="completion") == completion
    assert _families(text, "infrazen_agent_model_cost_rub_total") == pytest.approx(
        float(cost) * RATE
    )
    assert _families(text, "infrazen_agent_text_generations_total") == texts == 24
