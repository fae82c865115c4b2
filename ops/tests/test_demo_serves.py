"""`make demo` serves health and readiness: its bootstrap and daphne, end to end.

Runs `scripts/demo.py check`, which bootstraps a throwaway SQLite database exactly as
`make demo` does (migrate, infrazen_schema, seed_demo, admin user), serves it with daphne on a
free port and fetches both endpoints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_bootstraps_and_serves_health_and_readiness():
    # The embedded defaults, whatever the surrounding test pass points at.
    env = {**os.environ, "REDIS_URL": ""}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            answer = json.loads(line)
            answers[answer["url"].rsplit("/", 1)[-1]] = answer
    assert answers["health"]["status"] == 200
    assert answers["health"]["body"]["status"] == "healthy"
    assert answers["readiness"]["status"] == 200
    assert answers["readiness"]["body"]["status"] == "ready"
