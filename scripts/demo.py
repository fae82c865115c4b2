#!/usr/bin/env python3
"""`make demo`: prepare the local database and serve the agent with daphne.

    python scripts/demo.py serve   bootstrap, print what to open, exec daphne on AGENT_PORT
    python scripts/demo.py check   the same on a temporary SQLite database and a free port:
                                   wait for /v1/health and /v1/readiness, print them, stop

The bootstrap (migrate, infrazen_schema, seed_demo, an `admin` superuser) is idempotent, so
`make demo` can be run again and again on the same database.
"""

# This script exists to start daphne, and to GET its health URLs on 127.0.0.1.
# ruff: noqa: S310, S603, S606

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from testservers import free_port  # scripts/ is on sys.path: this runs as a script

ROOT = Path(__file__).resolve().parent.parent
ADMIN_USERNAME = "admin"
READY_TIMEOUT_S = 30.0
DEMO_TOKEN_LIFETIME_S = 12 * 3600


def bootstrap(*, password_file: Path) -> dict:
    """Prepare the configured database; return what the banner shows."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    for db in settings.DATABASES.values():
        if db["ENGINE"].endswith("sqlite3"):
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("agent_migrate", verbosity=0)
    call_command("infrazen_schema", verbosity=0)
    call_command("seed_demo")

    password = _admin_password(password_file)
    accounts = console_accounts(password_file.parent / "console-passwords.json")
    from llm import gateway

    example, chat_paths = _demo_chats()
    return {
        "database": f"{db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}",
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        "llm": gateway.describe_config(),
        "chat_paths": chat_paths,
        "admin_password": password,
        "example_recommendation_id": example.pk if example else 1,
        "password_file": password_file,
        "console_accounts": accounts,
    }


def _admin_password(password_file: Path) -> str | None:
    """Create the `admin` superuser once; its password, when this checkout still knows it."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    password = None
    if not get_user_model().objects.filter(username=ADMIN_USERNAME).exists():
        password = secrets.token_urlsafe(12)
        os.environ["DJANGO_SUPERUSER_PASSWORD"] = password
        try:
            call_command(
                "createsuperuser",
                interactive=False,
                username=ADMIN_USERNAME,
                email="admin@localhost",
                verbosity=0,
            )
        finally:
            # Not handed on to daphne's environment.
            del os.environ["DJANGO_SUPERUSER_PASSWORD"]
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
    elif password_file.exists():
        password = password_file.read_text().strip()
    return password


def _demo_chats() -> tuple[Any, list[str]]:
    """alice's example recommendation (if seeded) and chat paths with a demo token."""
    from chat.auth import SCENARIO_ANALYTICS, SCENARIO_RECOMMENDATION, chat_token_mint
    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import InfraZenUser, OptimizationRecommendation

    example = OptimizationRecommendation.objects.filter(resource_name="office").first()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    chat_paths = []
    if example is not None:
        token = chat_token_mint(
            user_id=alice.pk,
            scenario=SCENARIO_RECOMMENDATION,
            recommendation_id=example.pk,
            lifetime_s=DEMO_TOKEN_LIFETIME_S,
        )
        chat_paths.append(f"/v1/chat/rec/{example.pk}?token={token}")
    token = chat_token_mint(
        user_id=alice.pk,
        scenario=SCENARIO_ANALYTICS,
        context={"time_range_days": 30},
        lifetime_s=DEMO_TOKEN_LIFETIME_S,
    )
    chat_paths.append(f"/v1/chat/analytics?token={token}")
    return example, chat_paths


def console_accounts(path: Path) -> dict[str, str]:
    """A console sign-in for alice and bob (their emails), created once; passwords kept in
    `path` (0600) so the banner can show them again."""
    from django.contrib.auth import get_user_model

    from demo_data.personas import ALICE_EMAIL, BOB_EMAIL

    known = json.loads(path.read_text()) if path.exists() else {}
    accounts = get_user_model().objects
    for email in (ALICE_EMAIL, BOB_EMAIL):
        if not accounts.filter(username=email).exists():
            known[email] = secrets.token_urlsafe(9)
            accounts.create_user(email, email=email, password=known[email])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known))
    path.chmod(0o600)
    return known


def banner(info: dict, port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    llm = info["llm"]
    if llm["offline"]:
        llm_line = "offline (no key configured: template texts, no model calls)"
    else:
        llm_line = f"{llm['provider']}, text model {llm['model_text']}"
        if llm["problems"]:
            llm_line += f" - MISCONFIGURED: {'; '.join(llm['problems'])}"
    password = info["admin_password"] or (
        f"(unknown: not in {info['password_file']}; `manage.py changepassword admin`)"
    )
    console = [
        f"  console        {base}/   sign in as {email}, password {password}"
        if n == 0
        else f"                 or {email}, password {password}"
        for n, (email, password) in enumerate(info["console_accounts"].items())
    ]
    return "\n".join(
        [
            "",
            "InfraZen agent demo",
            *console,
            f"  database       {info['database']}",
            f"  channel layer  {info['channel_layer']}",
            f"  LLM            {llm_line}",
            "",
            f"  health         {base}/v1/health",
            f"  readiness      {base}/v1/readiness",
            f"  admin          {base}/admin/   user {ADMIN_USERNAME}, password {password}",
            f"                 (stored in {info['password_file']})",
            f"  texts          curl -s -X POST {base}/v1/generate/recommendation-text \\",
            "                   -H 'Content-Type: application/json' "
            f"-d '{{\"recommendation_id\": {info['example_recommendation_id']}}}'",
            "                 (the demo accepts token-less calls from 127.0.0.1 only)",
            *[
                f"  {'chat (alice)' if i == 0 else '':<15}ws://127.0.0.1:{port}{path}"
                for i, path in enumerate(info["chat_paths"])
            ],
            "                 (valid 12 h; more: manage.py chat_token --email E --analytics 30)",
            "",
        ]
    )


def daphne_command(port: int) -> list[str]:
    # ops.daphne.run (its daphne_command, spelled out: this script does not import the project).
    run = [sys.executable, "-m", "ops.daphne.run"]
    return [*run, "-b", "127.0.0.1", "-p", str(port), "agentsite.asgi:application"]


def serve() -> int:
    port = int(os.environ.get("AGENT_PORT", "8001"))
    info = bootstrap(password_file=ROOT / "var" / "admin-password.txt")
    print(banner(info, port), flush=True)
    os.chdir(ROOT)
    # Demo only: let a local curl call the service endpoints without a token.
    os.environ.setdefault("AGENT_ANONYMOUS_NETWORKS", "127.0.0.1/32,::1/128")
    os.environ.setdefault("CONSOLE_ENABLED", "1")
    command = daphne_command(port)
    os.execv(command[0], command)
    return 1  # not reached


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def check() -> int:
    """Serve the demo on a throwaway SQLite database; exit 0 when health and readiness are 200.

    Prints one JSON line per endpoint: {"url", "status", "body"}.
    """
    with tempfile.TemporaryDirectory(prefix="infrazen-demo-") as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/agent.sqlite3"
        os.environ.pop("AGENT_DATABASE_URL", None)  # the embedded default: one file
        bootstrap(password_file=Path(tmp) / "admin-password.txt")
        port = free_port()
        log_path = Path(tmp) / "daphne.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                daphne_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            results = _wait_and_fetch(server, port)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if results is None:
            print(f"demo-check: daphne did not answer; its log:\n{log_path.read_text()}")
            return 1
    for result in results:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if all(r["status"] == 200 for r in results) else 1


def _wait_and_fetch(server: subprocess.Popen, port: int) -> list[dict] | None:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            results = []
            for path in ("/v1/health", "/v1/readiness"):
                status, body = _get(base + path)
                results.append({"url": base + path, "status": status, "body": body})
            return results
        time.sleep(0.1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["serve", "check"])
    args = parser.parse_args()
    from django.core.management import CommandError

    try:
        return serve() if args.action == "serve" else check()
    except CommandError as exc:
        print(f"demo: bootstrap failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
