"""Every line the service writes is JSON: the workers' logs, daphne's access log (path only,
never a query string) and the launcher's own lines; times are ISO with ms and the zone."""

from __future__ import annotations

import json
import logging
import re
import urllib.request

from ops.daphne.access_log import access_entry
from ops.logging import JsonFormatter
from ops.tests.test_serve_workers import _all_serving, _serving, _stopped

ISO_MS_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def test_the_time_is_iso_with_milliseconds_and_the_zone():
    record = logging.makeLogRecord({"msg": "x", "created": 1796627290.1234})

    line = json.loads(JsonFormatter().format(record))

    assert ISO_MS_ZONE.match(line["ts"]), line["ts"]
    assert ".123" in line["ts"]


def test_an_access_entry_keeps_the_path_and_drops_the_query():
    entry = access_entry(
        "http",
        "complete",
        {
            "path": "/v1/reports/abc.pdf?sig=secret-signature",
            "status": 200,
            "method": "GET",
            "client": "127.0.0.1:5000",
            "time_taken": 0.0123,
            "size": 10,
        },
    )

    assert entry == {
        "event": "http",
        "client": "127.0.0.1:5000",
        "path": "/v1/reports/abc.pdf",
        "method": "GET",
        "status": 200,
        "size": 10,
        "duration_ms": 12.3,
    }
    assert access_entry("http", "something-else", {}) is None


def test_a_served_worker_and_its_launcher_write_json_lines_only(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    parent, port = _serving(tmp_path, workers=1)
    try:
        assert _all_serving(parent)
        url = f"http://127.0.0.1:{port}/v1/health?token=never-logged"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
    finally:
        output = _stopped(parent)

    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert "never-logged" not in output
    access = [line for line in lines if line["logger"] == "daphne.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [("GET", "/v1/health", 200)]
    assert any(line["logger"] == "serve" and "workers, pids" in line["msg"] for line in lines)
    assert all(ISO_MS_ZONE.match(line["ts"]) for line in lines)
