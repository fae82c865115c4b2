"""The agent served for real, for the browser tests.

daphne on a free loopback port with a database of its own holding the demo data (migrate,
infrazen_schema, seed_demo, as `make demo` runs them), and the fake model in this process,
so a test scripts the model's replies and sees what the service sent it. A browser then
talks to the service exactly as a user's does: its own WebSocket, fetch, Origin header and
CORS rules.

On the embedded defaults (the first pass of `make test`) that is one daphne process on a
SQLite file with the in-memory channel layer. With the real servers (the second pass:
DATABASE_URL on MariaDB, REDIS_URL) it is production's shape: two new databases on that
MariaDB (InfraZen's and the agent's own), Redis, and two daphne workers behind one port
(scripts/serve.py), so two tabs may land on different processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llm.fake_server import FakeLLMServer
from scripts.serve import agent_spawn, agent_wait_ready, processes_stop
from scripts.testservers import free_port, mysql_database_fresh

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 60.0
SECRET = "browser-tests-jwt-secret-0123456789abcdef"
# The InfraZen app's own page in development (allowed by default) and a page that is not.
INFRAZEN_ORIGIN = "http://localhost:5001"
FOREIGN_ORIGIN = "http://evil.localhost:5002"
# The admin's superuser, as `make demo` creates one.
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "browser-tests-admin-password"
SHUTDOWN_GRACE_S = 4
# What the InfraZen app's server sends to /v1/generate/recommendation-text.
SERVICE_TOKEN = "browser-tests-service-token"


@dataclass(frozen=True)
class DemoIds:
    alice: int
    bob: int
    demo: int
    # Each test chats about its own recommendation: the same user and recommendation
    # reopen the same session (contract §4.2), whose history another test would replay.
    alice_recommendations: tuple[int, ...]
    bob_recommendations: tuple[int, ...]


@dataclass
class LiveAgent:
    port: int
    workers: int
    ids: DemoIds
    model: FakeLLMServer
    log: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        """Serve on `port` (again, after `stop`: the same database, as after a deploy)."""
        self.process = agent_spawn(
            port=self.port,
            env=self.env,
            log=self.log,
            workers=self.workers,
            log_append=self.log.exists(),
        )
        try:
            agent_wait_ready(self.process, port=self.port, timeout=START_TIMEOUT_S)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None

    def stop(self) -> float:
        """SIGTERM, as a deploy stops it; returns the seconds it took to exit."""
        started = time.monotonic()
        if self.process is not None:
            processes_stop([self.process])
            self.process = None
        return time.monotonic() - started

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _database_urls(directory: Path, name: str) -> dict[str, str]:
    """DATABASE_URL and AGENT_DATABASE_URL of the live agent: on MariaDB two fresh databases,
    InfraZen's and the agent's own, as in production; else one SQLite file holding both."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        return {
            "DATABASE_URL": mysql_database_fresh(url, name),
            "AGENT_DATABASE_URL": mysql_database_fresh(url, f"{name}_own"),
        }
    return {"DATABASE_URL": f"sqlite:///{directory / 'agent.sqlite3'}", "AGENT_DATABASE_URL": ""}


def _environment(*, directory: Path, model: FakeLLMServer, offline: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        **_database_urls(directory, "browser_offline" if offline else "browser"),
        # Empty: the in-memory channel layer.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "AGENT_SERVICE_JWT_SECRET": SECRET,
        "AGENT_SERVICE_TOKEN": SERVICE_TOKEN,
        "CHAT_ALLOWED_ORIGINS": INFRAZEN_ORIGIN,
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model.base_url,
        "LLM_API_KEY": "browser-tests",
        "LLM_FALLBACK_MODELS": "",
        "CHAT_UPLOAD_DIR": str(directory / "uploads"),
        "LOG_LEVEL": "WARNING",
        # A deploy's SIGTERM lets running answers finish this long (test_restart.py).
        "CHAT_SHUTDOWN_GRACE_S": str(SHUTDOWN_GRACE_S),
        "DEBUG": "false",
        "BROWSER_ADMIN_USERNAME": ADMIN_USERNAME,
        "BROWSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # One live agent serves a whole module of tests asking as alice within a minute:
        # the per-minute limits (issue 20) have tests of their own (chat/tests/test_quota.py).
        "AGENT_ROLE_LIMITS_JSON": json.dumps(
            {
                role: {"questions_per_minute": 1000, "tool_calls_per_minute": 1000}
                for role in ("user", "admin", "super_admin", "demouser")
            }
        ),
    }
    if offline:
        # `make demo` without a key: the deterministic assistant, no model calls.
        env["LLM_PROVIDER"] = "offline"
    return env


def _bootstrap(env: dict[str, str]) -> DemoIds:
    done = subprocess.run(
        [sys.executable, "-m", "chat.tests.browser.bootstrap"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S * 2,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bootstrap failed:\n{done.stdout}\n{done.stderr}")
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    return DemoIds(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in ids.items()}
    )


@contextlib.contextmanager
def live_agent(directory: Path, *, offline: bool = False) -> Iterator[LiveAgent]:
    """Bootstrap a database in `directory`, serve it, and stop everything on the way out.
    `offline`: no model configured (the fake model is still there, to show it is not called).
    """
    model = FakeLLMServer().start()
    agent = None
    try:
        env = _environment(directory=directory, model=model, offline=offline)
        agent = LiveAgent(
            port=free_port(),
            workers=2 if env["REDIS_URL"] else 1,
            ids=_bootstrap(env),
            model=model,
            log=directory / "daphne.log",
            env=env,
        )
        agent.start()
        yield agent
    finally:
        if agent is not None:
            agent.stop()
        model.stop()
