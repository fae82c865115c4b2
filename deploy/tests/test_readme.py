"""Every command in deploy/README.md, run (readme_runner.py), against the real servers.

Install, the environment file, the grants on a MariaDB holding InfraZen's tables, migrate,
the admin's user, static files, the first texts, nginx's configuration, the service and its
timers started, a zero-downtime upgrade and a rollback. Then what the grants allow is what
the service needs: it writes its texts, its chat rows and nothing else of InfraZen's.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
import pytest

from deploy.tests.readme_runner import Shell, paths_block, readme_blocks, shell_make
from llm.fake_server import FakeLLMServer
from scripts.serve import agent_health as _health
from scripts.testservers import free_port

ROOT = Path(__file__).resolve().parents[2]
INFRAZEN_DB, AGENT_DB = "infrazen", "infrazen_agent"
RELOAD_TIMEOUT_S = 120.0


def test_every_block_is_valid_shell():
    for block in readme_blocks():
        done = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
        assert done.returncode == 0, (block, done.stderr)


def _release(target: Path) -> Path:
    """This checkout's files (tracked and new, nothing ignored): the release to install."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            (target / name.decode()).write_bytes(source.read_bytes())
    return target


def _admin(url: str):
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        autocommit=True,
    )


def _infrazen_database(url: str) -> None:
    """InfraZen's database as the app has it: its tables (its DDL) and some tenants."""
    admin = _admin(url)
    with admin.cursor() as cursor:
        for name in (INFRAZEN_DB, AGENT_DB):
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute("DROP USER IF EXISTS 'infrazen_agent'@'127.0.0.1'")
        cursor.execute(f"CREATE DATABASE `{INFRAZEN_DB}` CHARACTER SET utf8mb4")
    admin.close()
    env = {**os.environ, "DATABASE_URL": url.rsplit("/", 1)[0] + f"/{INFRAZEN_DB}"}
    env.pop("AGENT_DATABASE_URL", None)
    for command in (["infrazen_schema"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr


def _env_filled(path: Path, *, url: str, password: str, model: FakeLLMServer, port: int, var):
    """Step 2's "fill in every CHANGE-ME", for this machine."""
    server = urlsplit(url)
    database = f"mysql://infrazen_agent:{password}@127.0.0.1:{server.port}"
    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "AGENT_SERVICE_JWT_SECRET": secrets.token_urlsafe(40),
        "AGENT_SERVICE_TOKEN": secrets.token_urlsafe(40),
        "AGENT_PUBLIC_URL": "https://127.0.0.1/agent",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "DATABASE_URL": f"{database}/{INFRAZEN_DB}",
        "AGENT_DATABASE_URL": f"{database}/{AGENT_DB}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "AGENT_PORT": str(port),
        "STATIC_ROOT": f"{var}/static",
        "CHAT_UPLOAD_DIR": f"{var}/uploads",
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model.base_url,
        "LLM_API_KEY": "readme-test",
        "AI_TEXT_MODE": "template",
    }
    lines = [
        line
        for line in path.read_text().splitlines()
        if line.partition("=")[0] not in values and not line.startswith("OPENROUTER_API_KEY")
    ]
    path.write_text("\n".join(lines + [f"{k}={v}" for k, v in values.items()]) + "\n")
    return values


def _run(shell: Shell, prelude: str, *blocks: str) -> None:
    done = shell.run(prelude + "\n".join(blocks))
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"


def _workers(shell: Shell) -> set[int]:
    pid = int((shell.state / "infrazen-agent.service.pid").read_text())
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def _reloaded(shell: Shell, before: set[int], port: int) -> list[int]:
    """Health answers while the workers are replaced; returns every status seen."""
    statuses, until = [], time.monotonic() + RELOAD_TIMEOUT_S
    while time.monotonic() < until:
        statuses.append(_health(port))
        now = _workers(shell)
        if len(now) == len(before) and not now & before:
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"workers not replaced: before {before}, now {_workers(shell)}")


def _text(port: int, token: str, rec: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/generate/recommendation-text",
        data=json.dumps({"recommendation_id": rec}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _chat_turn(url: str, port: int, secret: str) -> list[dict]:
    """A question and its answer on a recommendation's chat: the chat tables' grants at work
    (a new session, a user row, the answer's placeholder and its final text)."""
    from websockets.sync.client import connect

    from chat.flask_tokens import chat_token_mint_for_tests

    admin = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id, p.user_id FROM `{INFRAZEN_DB}`.optimization_recommendations r "
            f"JOIN `{INFRAZEN_DB}`.resources s ON s.id = r.resource_id "
            f"JOIN `{INFRAZEN_DB}`.cloud_providers p ON p.id = s.provider_id LIMIT 1"
        )
        rec, user = cursor.fetchone()
    admin.close()
    token = chat_token_mint_for_tests(user_id=user, recommendation_id=rec, secret=secret)
    frames = []
    with connect(f"ws://127.0.0.1:{port}/v1/chat/rec/{rec}?token={token}") as socket:
        frames.append(json.loads(socket.recv(timeout=30)))
        socket.send(json.dumps({"type": "message", "content": "Что делать?", "client_id": "1"}))
        while not (frames[-1]["type"] == "assistant" and frames[-1].get("status")):
            frames.append(json.loads(socket.recv(timeout=60)))
            assert frames[-1]["type"] != "error", frames[-1]
    return frames


def _tables(url: str, database: str) -> set[str]:
    admin = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (database,),
        )
        names = {row[0] for row in cursor.fetchall()}
    admin.close()
    return names


def _service_stop(shell: Shell) -> None:
    """SIGTERM, as `systemctl stop` sends it; wait for the drain (init reaps the process)."""
    pid_file = shell.state / "infrazen-agent.service.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    until = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists() and time.monotonic() < until:
        time.sleep(0.1)


@pytest.mark.mariadb
@pytest.mark.redis
# A virtualenv installed from requirements.lock, hashes checked (pip's cache makes it a
# minute or two), and the workers replaced twice.
@pytest.mark.timeout(900)
def test_the_readme_installs_upgrades_and_rolls_back(tmp_path):
    url = os.environ["DATABASE_URL"]
    blocks = readme_blocks()
    root = tmp_path / "machine"
    paths = {name: f"{root}{value}" for name, value in paths_block(blocks).items()}
    paths["RELEASE"] = str(_release(tmp_path / "release"))
    _infrazen_database(url)
    infrazen_tables = _tables(url, INFRAZEN_DB)
    server = urlsplit(url)
    mysql = [
        shutil.which("mysql") or "/usr/bin/mysql", "-h", "127.0.0.1", "-P", str(server.port),
        "-u", server.username, f"-p{server.password}",
    ]  # fmt: skip
    shell = shell_make(root, paths=paths, mysql=mysql)
    password = secrets.token_hex(16)
    prelude = "\n".join(
        [
            *(f"{k}={v}" for k, v in paths.items()),
            f"AGENT_DB_PASSWORD={password}",
            f"ADMIN_PASSWORD={secrets.token_hex(12)}",
            # Step 4's helper, which steps 7 and 8 use too.
            next(line for line in blocks[4].splitlines() if line.startswith("as_agent()")),
            "",
        ]
    )
    model = FakeLLMServer().start()
    port = free_port()
    try:
        _run(shell, prelude, blocks[1], blocks[2])
        env = _env_filled(
            Path(paths["AGENT_ETC"]) / "agent.env",
            url=url,
            password=password,
            model=model,
            port=port,
            var=paths["AGENT_VAR"],
        )
        _run(shell, prelude, blocks[3], blocks[4], blocks[5], blocks[6])

        # Served, with the texts of the first backfill written through the column grants.
        assert _health(port) == 200
        admin = _admin(url)
        with admin.cursor() as cursor:
            cursor.execute(
                f"SELECT id, ai_short_description FROM `{INFRAZEN_DB}`.optimization_recommendations"
            )
            rows = cursor.fetchall()
        admin.close()
        assert rows and all(text for _, text in rows)
        assert _text(port, env["AGENT_SERVICE_TOKEN"], rows[0][0])["short_description_html"]
        answered = _chat_turn(url, port, env["AGENT_SERVICE_JWT_SECRET"])
        assert answered[-1]["status"] == "done" and answered[-1]["content"]
        # InfraZen's schema holds what InfraZen defines, nothing of the agent's.
        assert _tables(url, INFRAZEN_DB) == infrazen_tables
        assert "agent_text_generations" in _tables(url, AGENT_DB)
        timers = [c for c in shell.calls() if c[:2] == ["systemctl", "enable"] and "--now" in c]
        assert any(unit.endswith(".timer") for call in timers for unit in call)

        before = _workers(shell)
        assert len(before) == 2
        _run(shell, prelude, blocks[7])
        assert set(_reloaded(shell, before, port)) == {200}

        upgraded = _workers(shell)
        _run(shell, prelude, blocks[8])
        assert set(_reloaded(shell, upgraded, port)) == {200}
        assert not Path(f"{paths['AGENT_HOME']}.previous").exists()
    finally:
        _service_stop(shell)
        model.stop()
