"""/metrics behind `scripts/serve.py`: one scrape holds every worker's numbers, and a dead
worker's live gauges leave the sums while its counters stay."""

from __future__ import annotations

import os
import signal
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from ops.tests.test_metrics import _value
from ops.tests.test_serve_workers import _all_serving, _serving, _stopped, _until, children_of


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def _health(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=5) as response:
        return response.status


def test_one_scrape_adds_up_both_workers_and_forgets_a_killed_ones_live_gauges(tmp_path):
    metrics_dir = tmp_path / "metrics"
    os.environ["AGENT_METRICS_DIR"] = str(metrics_dir)
    try:
        parent, port = _serving(tmp_path)
    finally:
        del os.environ["AGENT_METRICS_DIR"]
    try:
        assert _all_serving(parent)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: _health(port), range(60)))
        assert statuses == [200] * 60
        text = _scrape(port)
        health = {"route": "/v1/health", "method": "GET", "status": "200"}

        assert _value(text, "infrazen_agent_http_requests_total", **health) == 60
        assert _value(text, "infrazen_agent_workers_live") == 2
        assert _value(text, "infrazen_agent_workers_configured") == 2
        writers = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
        assert {str(pid) for pid in children_of(parent.pid)} <= writers

        killed = children_of(parent.pid)[0]
        os.kill(killed, signal.SIGKILL)
        assert _until(lambda: "starting another" in parent.log.read_text())
        assert _until(
            lambda: len(children_of(parent.pid)) == 2 and killed not in children_of(parent.pid)
        )
        assert _until(lambda: _value(_scrape(port), "infrazen_agent_workers_live") == 2)
        # Counters keep what the dead worker counted: a total never goes down.
        assert _value(_scrape(port), "infrazen_agent_http_requests_total", **health) == 60
    finally:
        _stopped(parent)
