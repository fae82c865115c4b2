"""The production shape, live: nginx (deploy/nginx) in front of `make serve`'s launcher.

With the real servers (pass 2 of `make test`) that is two workers on MariaDB (InfraZen's
database and the agent's own) and Redis, as in production; on the embedded defaults one
worker on SQLite. Either way with AGENT_ENV=prod settings: HTTPS behind the proxy, secure
cookies, the /agent prefix, static files collected and served by nginx.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chat.tests.browser.conftest import browser  # noqa: F401 (the deploy tests' Chromium)
from chat.tests.browser.live import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    INFRAZEN_ORIGIN,
    ROOT,
    SECRET,
    LiveAgent,
    _bootstrap,
    _database_urls,
)
from llm.fake_server import FakeLLMServer
from scripts.nginx_front import NginxFront, nginx_front
from scripts.testservers import free_port

SERVICE_TOKEN = "deploy-tests-service-token-" + "x" * 20


@dataclass
class Production:
    agent: LiveAgent
    front: NginxFront

    @property
    def base_url(self) -> str:
        """For the browser tests' open_tab(served=...): where the page's client connects."""
        return self.front.public_url

    @property
    def ids(self):
        return self.agent.ids

    @property
    def model(self) -> FakeLLMServer:
        return self.agent.model


def production_env(*, directory: Path, model: FakeLLMServer, public_port: int) -> dict[str, str]:
    """An /etc/infrazen/agent.env as deploy/README.md has it, for this machine."""
    public = f"https://127.0.0.1:{public_port}"
    return {
        **os.environ,
        # InfraZen's database and the agent's own, fresh on MariaDB (as the browser tests').
        **_database_urls(directory, "deploy"),
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        "AGENT_ENV": "prod",
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "AGENT_SERVICE_JWT_SECRET": SECRET,
        "AGENT_SERVICE_TOKEN": SERVICE_TOKEN,
        "AGENT_PUBLIC_URL": f"{public}/agent",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": public,
        "CHAT_ALLOWED_ORIGINS": INFRAZEN_ORIGIN,
        "CLIENT_IP_HEADER": "X-Real-IP",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model.base_url,
        "LLM_API_KEY": "deploy-tests",
        "LLM_FALLBACK_MODELS": "",
        "STATIC_ROOT": str(directory / "static"),
        "CHAT_UPLOAD_DIR": str(directory / "uploads"),
        "LOG_LEVEL": "WARNING",
        "BROWSER_ADMIN_USERNAME": ADMIN_USERNAME,
        "BROWSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextlib.contextmanager
def production_served(directory: Path) -> Iterator[Production]:
    model = FakeLLMServer().start()
    agent = None
    try:
        public_port = free_port()
        env = production_env(directory=directory, model=model, public_port=public_port)
        collected = manage(env, "collectstatic", "--noinput")
        assert collected.returncode == 0, collected.stderr
        agent = LiveAgent(
            port=free_port(),
            workers=2 if env["REDIS_URL"] else 1,
            # InfraZen's tables and the demo tenants, as the InfraZen app would have them
            # (infrazen_schema refuses AGENT_ENV=prod: those tables are not the agent's).
            ids=_bootstrap({**env, "AGENT_ENV": "dev"}),
            model=model,
            log=directory / "daphne.log",
            env=env,
        )
        agent.start()
        with nginx_front(
            directory / "nginx",
            port=public_port,
            agent_port=agent.port,
            static_root=directory / "static",
            token=SERVICE_TOKEN,
        ) as front:
            yield Production(agent, front)
    finally:
        if agent is not None:
            agent.stop()
        model.stop()


@pytest.fixture(scope="session")
def production(tmp_path_factory) -> Iterator[Production]:
    with production_served(tmp_path_factory.mktemp("production")) as served:
        yield served
