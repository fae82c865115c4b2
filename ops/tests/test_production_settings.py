"""AGENT_ENV=prod refuses development defaults at start-up, with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG = {
    "AGENT_ENV": "prod",
    "AGENT_SERVICE_JWT_SECRET": "a-real-shared-secret-from-the-infrazen-app",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DEBUG": "false",
}


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "JWT_", "DEBUG"))}
    clean.pop("DJANGO_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "agentsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_with_real_secrets():
    result = start(**STRONG)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_the_default_jwt_secret():
    env = {**STRONG, "AGENT_SERVICE_JWT_SECRET": "", "JWT_SECRET_KEY": ""}
    result = start(**env)
    assert result.returncode != 0
    assert "AGENT_SERVICE_JWT_SECRET" in result.stderr
    env["JWT_SECRET_KEY"] = "dev-jwt-secret-change-in-production"
    assert "AGENT_SERVICE_JWT_SECRET" in start(**env).stderr


def test_production_refuses_debug_and_the_default_django_secret():
    result = start(**{**STRONG, "DEBUG": "true"})
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr
    env = dict(STRONG)
    env.pop("DJANGO_SECRET_KEY")
    assert "DJANGO_SECRET_KEY" in start(**env).stderr


def test_the_jwt_secret_falls_back_to_the_infrazen_apps_name():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.AGENT_SERVICE_JWT_SECRET)",
        ],
        cwd=ROOT,
        env={**os.environ, "JWT_SECRET_KEY": "from-flask", "AGENT_SERVICE_JWT_SECRET": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "from-flask"
