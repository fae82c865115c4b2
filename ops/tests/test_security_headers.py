"""The same host validation and security headers on every response, whichever way through the
service served it: the middleware chain, the fast path of the text endpoint, or /static/."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from asgiref.testing import ApplicationCommunicator

from ops.service_api import ServiceASGIHandler
from ops.static_files import StaticFilesHandler
from ops.tests.asgi_http import AsgiResponse

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_URL = "/v1/generate/recommendation-text"
SERVICE_TOKEN = "security-headers-token-32-chars-x"
SECURITY_HEADERS = (
    "content-security-policy",
    "cross-origin-opener-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
)
YEAR_S = 365 * 24 * 3600


@pytest.fixture(autouse=True)
def _service_token(settings):
    settings.AGENT_SERVICE_TOKEN = SERVICE_TOKEN


def serve(
    method: str,
    path: str,
    *,
    app=None,
    scheme: str = "http",
    host: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    query_string: bytes = b"",
) -> AsgiResponse:
    """One request through an ASGI app: a fresh handler (built after the test's settings, as
    daphne builds it at start-up) unless `app` is given."""
    app = app or ServiceASGIHandler()
    raw = [(b"host", host.encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8001),
    }

    async def run():
        # Not HttpCommunicator: it cannot read a streamed (file) response.
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(10)
        content = b""
        while True:
            message = await communicator.receive_output(10)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait(10)
        return start, content

    start, content = asyncio.run(run())
    return AsgiResponse(
        status=start["status"],
        headers={k.decode().lower(): v.decode() for k, v in start["headers"]},
        body=content,
    )


def text_request(**kwargs) -> AsgiResponse:
    headers = {"authorization": f"Bearer {SERVICE_TOKEN}", "content-type": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    return serve("POST", TEXT_URL, body=b'{"recommendation_id": 987654}', headers=headers, **kwargs)


def policy(response: AsgiResponse) -> dict[str, str]:
    """The CSP header as directive -> sources (django-csp does not keep an order)."""
    header = response.headers["content-security-policy"]
    return dict(part.strip().partition(" ")[::2] for part in header.split(";"))


def security_headers(response: AsgiResponse) -> dict:
    found = {h: response.headers.get(h) for h in SECURITY_HEADERS}
    found["content-security-policy"] = policy(response)
    return found


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_fast_path_answers_with_the_chains_security_headers(settings, scheme):
    settings.SECURE_HSTS_SECONDS = YEAR_S
    fast = text_request(scheme=scheme)
    chain = serve("GET", "/v1/health", scheme=scheme)
    not_found = serve("GET", "/no-such-path", scheme=scheme)

    assert fast.status == 404 and fast.json()["code"] == "not_found"
    assert chain.status == 200
    assert security_headers(fast) == security_headers(chain) == security_headers(not_found)
    headers = security_headers(fast)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    if scheme == "https":
        assert headers["strict-transport-security"] == f"max-age={YEAR_S}"
    else:
        # HSTS means nothing over plain http, and Django sends it over TLS only.
        assert headers["strict-transport-security"] is None


def test_the_daphne_app_answers_the_fast_path_with_the_headers_too():
    """agentsite.asgi.application, as built at import with the default settings."""
    from agentsite.asgi import application

    fast = text_request(app=application)
    chain = serve("GET", "/v1/health", app=application)

    assert security_headers(fast) == security_headers(chain)
    assert fast.headers["x-content-type-options"] == "nosniff"


def test_json_answers_load_nothing_and_are_framed_nowhere():
    csp = policy(text_request())

    assert csp == {
        "default-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }


def test_the_admin_login_renders_under_a_policy_without_inline_script():
    response = serve("GET", "/admin/login/")
    html = response.body.decode()
    csp = policy(response)

    assert response.status == 200 and "<form" in html
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == csp["base-uri"] == csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    header = response.headers["content-security-policy"]
    assert "unsafe-eval" not in header and "unsafe-inline" not in header
    # What 'self' allows is all the page uses: scripts and styles from /static/, no inline
    # script, style or event handler, no other origin.
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/' in s or 'src="/admin/' in s for s in scripts)
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_admins_static_files_are_served_with_the_headers():
    response = serve("GET", "/admin/login/")
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', response.body.decode())[1]
    app = StaticFilesHandler(ServiceASGIHandler())

    css = serve("GET", stylesheet, app=app)

    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert policy(css)["default-src"] == "'self'"


@pytest.mark.parametrize("path", ["/static/../settings.py", "/static/admin/../../__init__.py"])
def test_a_static_path_climbing_out_of_the_roots_is_a_json_404(path, caplog):
    app = StaticFilesHandler(ServiceASGIHandler())
    with caplog.at_level(logging.WARNING):
        response = serve("GET", path, app=app)

    assert response.status == 404
    assert response.json()["code"] == "not_found"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    "path", [TEXT_URL, "/v1/health", "/v1/readiness", "/admin/login/", "/static/admin/css/base.css"]
)
def test_a_host_outside_allowed_hosts_is_a_json_400_on_every_path(path, caplog):
    app = StaticFilesHandler(ServiceASGIHandler())
    with caplog.at_level(logging.WARNING):
        response = serve("POST" if path == TEXT_URL else "GET", path, app=app, host="evil.example")

    assert response.status == 400
    assert response.json()["code"] == "disallowed_host"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    refusals = [r for r in caplog.records if r.name == "ops.security"]
    assert [r.levelname for r in refusals] == ["WARNING"]
    assert refusals[0].host == "evil.example"
    # A refusal, not a fault: nothing logged as an error, no traceback.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_refused_host_never_reaches_the_text_endpoints_view(monkeypatch):
    from recommendations_ai.apis import RecommendationTextGenerateApi

    async def must_not_run(self, request):
        raise AssertionError("the view ran for a refused host")

    monkeypatch.setattr(RecommendationTextGenerateApi, "post", must_not_run)

    assert text_request(host="evil.example").status == 400


def test_the_sync_path_refuses_the_host_the_same_way():
    from django.test import Client

    response = Client(HTTP_HOST="evil.example").get("/v1/health")

    assert response.status_code == 400
    assert response.json()["code"] == "disallowed_host"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_allowed_host_with_a_port_is_served(settings):
    settings.ALLOWED_HOSTS = ["agent.internal"]

    assert serve("GET", "/v1/health", host="agent.internal:8001").status == 200
    assert text_request(host="agent.internal").status == 404


def test_https_is_required_where_a_browser_comes_but_not_on_the_loopback_paths(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^v1/health$", r"^v1/readiness$", r"^v1/generate/"]

    admin = serve("GET", "/admin/login/")
    assert admin.status == 301 and admin.headers["location"] == "https://127.0.0.1/admin/login/"
    # Behind nginx, which sets X-Forwarded-Proto: no redirect loop.
    behind_nginx = serve("GET", "/admin/login/", headers={"x-forwarded-proto": "https"})
    assert behind_nginx.status == 200
    # The InfraZen app calls the agent over plain http on loopback.
    assert serve("GET", "/v1/health").status == 200
    assert serve("GET", "/v1/readiness").status == 200
    assert text_request().status == 404


def test_the_fast_path_redirects_too_when_its_path_is_not_exempt(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []

    response = text_request()

    assert response.status == 301
    assert response.headers["location"].startswith("https://127.0.0.1/v1/generate/")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [TEXT_URL, "/v1/health"])
def test_a_query_string_that_is_not_utf8_is_a_json_400_with_the_headers(path, caplog):
    """Raw bytes in the request line: Django's own answer was an empty text/html 400 from
    before the middleware, and a traceback in the log."""
    with caplog.at_level(logging.WARNING):
        response = serve("GET", path, query_string=b"after=\xff\xfe")

    assert response.status == 400
    assert response.json()["code"] == "bad_query_string"
    assert security_headers(response) == security_headers(serve("GET", "/v1/health"))
    assert [r.levelname for r in caplog.records if r.name == "ops.service_api"] == ["WARNING"]
    assert not [r for r in caplog.records if r.exc_info]
