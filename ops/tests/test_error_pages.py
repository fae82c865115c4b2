"""Django's own error pages (debug or not) never reach a client: every error Django answers
itself gets the service's JSON shape, through the ASGI app daphne serves."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.tests.asgi_http import asgi_request, traceback_free
from ops.tests.error_urls import FAILING

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "internal_error"}
TEXT_URL = "/v1/generate/recommendation-text"


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "ops.tests.error_urls"


def assert_error_shape(response, status: int) -> None:
    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "code", "detail"}
    assert body["code"] == CODES[status] and body["error"] == body["detail"]
    assert traceback_free(response.body)
    assert b"secret" not in response.body
    # An error answer carries the same headers as any other.
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("status", sorted(FAILING))
def test_every_error_django_answers_itself_is_the_json_shape(failing_urls, status):
    assert_error_shape(asgi_request("GET", "/" + FAILING[status]), status)


def test_an_async_views_exception_is_the_json_500(failing_urls):
    assert_error_shape(asgi_request("GET", "/test-errors/500-async"), 500)


def test_an_unknown_path_is_the_json_404():
    # (/static/ paths: ops/tests/test_security_headers.py, through ops.static_files.)
    for path in ("/nope", "/v1/health/", "/v1/chat/rec/abc", "/v1/generate/nope"):
        assert_error_shape(asgi_request("GET", path), 404)


def test_an_exception_in_the_fast_paths_view_is_the_json_500_with_the_headers(
    monkeypatch, settings, caplog
):
    from recommendations_ai.apis import RecommendationTextGenerateApi

    async def broken(self, request):
        raise RuntimeError("an async bug with /etc/secret in its message")

    monkeypatch.setattr(RecommendationTextGenerateApi, "post", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = asgi_request("POST", TEXT_URL, body=b"{}")

    assert_error_shape(response, 500)
    assert response.headers["x-frame-options"] == "DENY"
    assert "x-request-id" in response.headers
    # The bug is logged for the operator, with its traceback.
    assert any(r.exc_info for r in caplog.records if r.name == "django.request")


def test_the_admin_shares_the_json_404_as_django_gives_one_handler_per_urlconf(admin_client):
    # Anonymous visitors to an unknown admin page are sent to the login first (Django's own
    # catch-all view); a logged-in staff user gets the URLconf's handler404.
    anonymous = asgi_request("GET", "/admin/no-such-page/")
    assert anonymous.status == 302 and "/admin/login/" in anonymous.headers["location"]

    response = admin_client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


ERROR_PAGES_SCRIPT = """
import json, os, django
django.setup()
from django.conf import settings
settings.ROOT_URLCONF = "ops.tests.error_urls"
from ops.tests.asgi_http import asgi_request, traceback_free
from ops.tests.error_urls import FAILING
answers = {"debug": settings.DEBUG}
for status, path in FAILING.items():
    r = asgi_request("GET", "/" + path)
    answers[status] = [r.status, r.headers["content-type"], traceback_free(r.body)]
print(json.dumps(answers))
"""


@pytest.mark.parametrize("agent_env", ["dev", "development", "prod"])
def test_debug_left_at_its_default_shows_no_debug_page_in_any_environment(agent_env):
    """What `make demo` serves with nothing configured (or a production start with secrets)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENT_", "DEBUG", "DJANGO_SECRET_KEY", "JWT_"))
    }
    env = {**clean, "DJANGO_SETTINGS_MODULE": "agentsite.settings", "AGENT_ENV": agent_env}
    if agent_env == "prod":
        env["DJANGO_SECRET_KEY"] = "p7Qv2-hWc9xLk4mZ8rT1bN6yF3sJ0dGa5eUoKiYwXqVnHtRlCz"
        env["AGENT_SERVICE_JWT_SECRET"] = "a-real-shared-secret-from-the-infrazen-app"
        # The requests below come over plain http, as from a loopback probe.
        env["SECURE_SSL_REDIRECT"] = "false"
    env.pop("DATABASE_URL", None)
    env["DATABASE_URL"] = "sqlite:///:memory:"
    result = subprocess.run(
        [sys.executable, "-c", ERROR_PAGES_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    assert answers.pop("debug") is False
    for status, (got, content_type, clean_body) in answers.items():
        assert got == int(status)
        assert content_type == "application/json"
        assert clean_body, status
