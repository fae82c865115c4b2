"""Production settings that cannot be got wrong: every spelling of the environment means one
thing or is refused, DEBUG is off unless asked for in dev, and production refuses weak secrets.

Settings are read at import time, so each case imports them in a subprocess with its own
environment; the spelling rules themselves are checked in-process, with generated input.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from ops.settings_guard import ENVIRONMENTS, environment_normalise, secret_key_strong

ROOT = Path(__file__).resolve().parents[2]
STRONG = {
    "AGENT_ENV": "prod",
    "AGENT_SERVICE_JWT_SECRET": "a-real-shared-secret-from-the-infrazen-app",
    "DJANGO_SECRET_KEY": "p7Qv2-hWc9xLk4mZ8rT1bN6yF3sJ0dGa5eUoKiYwXqVnHtRlCz",
    "DEBUG": "false",
}
PROD_SPELLINGS = ["prod", "PROD", "production", "Production", "live", "staging", " prod "]
DEV_SPELLINGS = ["dev", "DEV", "development", "local", ""]
UNKNOWN_SPELLINGS = ["test", "testing", "stage", "prd", "prod2", "dev,prod"]
# Keys this module sets; anything the surrounding shell or test pass has set is dropped.
OWN_PREFIXES = ("AGENT_", "JWT_", "DEBUG", "DJANGO_SECRET_KEY", "SECURE_", "SERVE_STATIC")
SHOWN = [
    "AGENT_ENV",
    "DEBUG",
    "SERVE_STATIC",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_REDIRECT_EXEMPT",
]


def _environment(env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    clean.pop("TRUST_X_FORWARDED_PROTO", None)
    # The embedded SQLite unless a case names a database (pass 2 exports MariaDB's).
    clean.pop("DATABASE_URL", None)
    return {**clean, "DJANGO_SETTINGS_MODULE": "agentsite.settings", **env}


def start(**env: str) -> subprocess.CompletedProcess:
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k) for k in {SHOWN!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def started(**env: str) -> dict:
    result = start(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(**env: str) -> str:
    result = start(**env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


@pytest.mark.parametrize("spelling", PROD_SPELLINGS)
def test_every_production_spelling_starts_with_real_secrets_and_debug_off(spelling):
    shown = started(**{**STRONG, "AGENT_ENV": spelling, "DEBUG": ""})

    assert shown["AGENT_ENV"] == "prod"
    assert shown["DEBUG"] is False
    assert shown["SERVE_STATIC"] is False


@pytest.mark.parametrize("spelling", PROD_SPELLINGS)
def test_every_production_spelling_refuses_debug_and_development_secrets(spelling):
    stderr = refusal(AGENT_ENV=spelling, DEBUG="true")

    assert "DEBUG must be off" in stderr
    assert "DJANGO_SECRET_KEY" in stderr
    assert "AGENT_SERVICE_JWT_SECRET" in stderr


@pytest.mark.parametrize("spelling", DEV_SPELLINGS)
def test_debug_is_off_by_default_in_development_too(spelling):
    shown = started(AGENT_ENV=spelling)

    assert shown["AGENT_ENV"] == "dev"
    assert shown["DEBUG"] is False
    # `make demo` still serves the admin's static files from daphne.
    assert shown["SERVE_STATIC"] is True
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False


def test_development_may_still_ask_for_debug():
    assert started(AGENT_ENV="dev", DEBUG="true")["DEBUG"] is True


@pytest.mark.parametrize("spelling", UNKNOWN_SPELLINGS)
def test_an_unknown_environment_is_refused_naming_the_accepted_ones(spelling):
    stderr = refusal(**{**STRONG, "AGENT_ENV": spelling})

    assert f"AGENT_ENV={spelling!r}" in stderr
    assert "dev, development, local" in stderr
    assert "prod, production, live, staging" in stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        "abcdef",
        "k" * 49,
        "x" * 50,
        "abcd" * 20,
        "django-insecure-" + STRONG["DJANGO_SECRET_KEY"],
        "dev-only-django-secret-key-not-for-production",
    ],
)
def test_production_refuses_a_weak_django_secret_key(secret_key):
    stderr = refusal(**{**STRONG, "DJANGO_SECRET_KEY": secret_key})

    assert "DJANGO_SECRET_KEY" in stderr
    assert "at least 50 characters" in stderr


def test_production_refuses_the_default_jwt_secret():
    env = {**STRONG, "AGENT_SERVICE_JWT_SECRET": "", "JWT_SECRET_KEY": ""}
    assert "AGENT_SERVICE_JWT_SECRET" in refusal(**env)
    env["JWT_SECRET_KEY"] = "dev-jwt-secret-change-in-production"
    assert "AGENT_SERVICE_JWT_SECRET" in refusal(**env)


@pytest.mark.parametrize("secret", ["s" * 31, "ключ" * 3 + "abcdefg"])
def test_production_refuses_a_jwt_secret_under_32_bytes_and_says_why(secret):
    stderr = refusal(**{**STRONG, "AGENT_SERVICE_JWT_SECRET": secret})

    assert "32 bytes" in stderr and "RFC 7518" in stderr


def test_production_counts_the_jwt_secret_in_bytes():
    # 16 Cyrillic letters: 16 characters, 32 bytes of UTF-8.
    started(**{**STRONG, "AGENT_SERVICE_JWT_SECRET": "секретныйключикж"})


def test_production_refuses_a_short_previous_jwt_secret():
    long_enough = "an-old-secret-that-was-long-enough-1"
    stderr = refusal(**{**STRONG, "AGENT_SERVICE_JWT_PREVIOUS_SECRETS": f"{long_enough},old"})

    assert "AGENT_SERVICE_JWT_PREVIOUS_SECRETS" in stderr
    started(**{**STRONG, "AGENT_SERVICE_JWT_PREVIOUS_SECRETS": long_enough})


def test_production_refuses_a_short_service_token_and_accepts_none_or_a_long_one():
    assert "AGENT_SERVICE_TOKEN" in refusal(**{**STRONG, "AGENT_SERVICE_TOKEN": "t" * 31})
    started(**{**STRONG, "AGENT_SERVICE_TOKEN": "t" * 32})
    started(**STRONG)


def test_production_on_mysql_refuses_to_put_its_tables_in_infrazens_schema():
    mysql = "mysql://agent:pw@127.0.0.1:3306/infrazen"
    stderr = refusal(**{**STRONG, "DATABASE_URL": mysql})
    assert "AGENT_DATABASE_URL" in stderr
    started(**{**STRONG, "DATABASE_URL": mysql, "AGENT_DATABASE_URL": mysql + "_agent"})


def test_production_refuses_every_problem_at_once():
    stderr = refusal(AGENT_ENV="prod", DEBUG="true", AGENT_SERVICE_TOKEN="short")

    for key in ("DEBUG", "DJANGO_SECRET_KEY", "AGENT_SERVICE_JWT_SECRET", "AGENT_SERVICE_TOKEN"):
        assert key in stderr


def test_production_sends_cookies_over_https_only_and_asks_for_https():
    shown = started(**STRONG)

    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # The InfraZen app and the probes call over plain http on loopback: never redirected.
    exempt = shown["SECURE_REDIRECT_EXEMPT"]
    for path in ("v1/health", "v1/readiness", "v1/generate/recommendation-text", "metrics"):
        assert any(re.search(p, path) for p in exempt), path
    assert not any(re.search(p, "admin/login/") for p in exempt)


def test_check_deploy_is_clean_with_a_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_environment({**STRONG, "AGENT_SERVICE_TOKEN": "t" * 40}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output
    assert not [line for line in output.splitlines() if line.startswith("?:")], output
    assert "no issues" in output


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


# --- The spelling rules, with generated input (in-process) ----------------------------------


def _case_variants(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


@given(
    st.sampled_from(sorted(ENVIRONMENTS)).flatmap(_case_variants),
    st.sampled_from(["", " ", "\t", "\n"]),
)
def test_any_case_and_surrounding_space_of_an_accepted_spelling_is_understood(word, space):
    assert environment_normalise(value=f"{space}{word}{space}") == ENVIRONMENTS[word.lower()]


@given(st.text(max_size=20).filter(lambda s: s.strip().lower() not in ENVIRONMENTS))
def test_any_other_value_is_refused(value):
    with pytest.raises(ImproperlyConfigured, match="not understood"):
        environment_normalise(value=value)


@given(st.text(min_size=50, max_size=80))
def test_a_secret_key_is_strong_exactly_by_djangos_rule(key):
    expected = len(set(key)) >= 5 and not key.startswith("django-insecure-")
    assert secret_key_strong(key=key) is expected
