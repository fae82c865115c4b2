"""The shipped nginx config in front of the service, for real (issue 18's acceptance).

The InfraZen app calls the agent through its public URL (contract §4.4): its server's text and
report calls without a token, its pages' chat over wss://<host>/agent/v1/chat/, and the
admin is reached at /agent/admin/. Here Debian's nginx, with deploy/nginx/*, stands in front
of the launcher `make serve` runs (two workers, MariaDB and Redis on the real-server pass).
"""

from __future__ import annotations

import io
import re
import time

import pytest
import requests
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from requests.adapters import HTTPAdapter

from chat.tests.browser.conftest import PAGE, token_for
from chat.tests.browser.live import ADMIN_PASSWORD, ADMIN_USERNAME, INFRAZEN_ORIGIN
from llm.fake_server import Reply

INFRAZEN_HOST = "127.0.0.1"
# Any other machine: an address nginx's allow list does not name.
ELSEWHERE = "127.0.0.2"
TEXT_PATH = "/v1/generate/recommendation-text"


class _From(HTTPAdapter):
    """Connections from one source address, as from another machine."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _client(production, source: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", _From(source))
    session.verify = str(production.front.certificate)
    # Else REQUESTS_CA_BUNDLE from the environment overrides the session's own `verify`.
    session.trust_env = False
    return session


def _text_call(production, rec: int, *, source: str = INFRAZEN_HOST, **kwargs):
    """What the InfraZen app's text client sends: JSON, no token, a 30 s timeout."""
    url = production.front.public_url + TEXT_PATH
    return _client(production, source).post(
        url, json={"recommendation_id": rec}, timeout=30, **kwargs
    )


def test_the_stock_text_call_through_the_public_url_gets_its_text(production):
    rec = production.ids.alice_recommendations[0]
    response = _text_call(production, rec)

    assert response.status_code == 200, response.text
    body = response.json()
    # What the app needs to store the texts: both fields, no `error` key.
    assert "error" not in body
    assert body["recommendation_id"] == rec
    assert body["short_description_html"] and body["detailed_description_html"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        # A forged hop: nginx checks the TCP peer, and overwrites the header on the way in.
        {"X-Forwarded-For": INFRAZEN_HOST, "X-Real-IP": INFRAZEN_HOST},
    ],
    ids=["plain", "spoofed X-Forwarded-For"],
)
def test_the_same_call_from_elsewhere_is_refused(production, headers):
    rec = production.ids.alice_recommendations[0]
    calls = len(production.model.chat_requests())
    response = _text_call(production, rec, source=ELSEWHERE, headers=headers)

    assert response.status_code == 403
    assert len(production.model.chat_requests()) == calls


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/render",
        "/v1/reports/render/",
        "//v1/generate/recommendation-text",
        "/v1/generate/../generate/recommendation-text",
        "/v1/generate/recommendation-text/",
    ],
)
def test_no_other_spelling_reaches_a_service_endpoint_from_elsewhere(production, path):
    """Through the catch-all location the service gets no token: it refuses on its own."""
    session = _client(production, ELSEWHERE)
    response = session.post(
        production.front.public_url + path,
        json={"recommendation_id": production.ids.alice_recommendations[0], "user_id": 1},
        timeout=30,
    )
    assert response.status_code in (401, 403, 404), (path, response.status_code, response.text)


def test_a_callers_own_token_is_replaced_not_trusted(production):
    """From the InfraZen host a wrong token changes nothing: nginx sends its own."""
    rec = production.ids.alice_recommendations[1]
    response = _text_call(production, rec, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 200, response.text


def test_liveness_and_readiness_answer_through_the_prefix(production):
    session = _client(production, ELSEWHERE)
    health = session.get(production.front.public_url + "/v1/health", timeout=10)
    ready = session.get(production.front.public_url + "/v1/readiness", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert ready.status_code == 200
    # Without the service token, the status only.
    assert set(ready.json()) == {"status"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="PNG")
    return out.getvalue()


def test_an_upload_through_nginx_works(production):
    rec = production.ids.alice_recommendations[2]
    token = token_for(
        user_id=production.ids.alice, scenario="recommendation", recommendation_id=rec
    )
    response = _client(production, ELSEWHERE).post(
        production.front.public_url + "/v1/chat/upload",
        files={"file": ("console.png", _png(), "image/png")},
        data={"token": token},
        headers={"Origin": INFRAZEN_ORIGIN},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert re.fullmatch(r"[0-9a-f-]{36}", response.json()["image_id"])


def test_the_static_files_come_from_nginx(production):
    response = _client(production, ELSEWHERE).get(
        production.front.public_url + "/static/admin/css/base.css", timeout=10
    )
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]
    # nginx's own answer, not a worker's.
    assert "X-Request-ID" not in response.headers


@pytest.fixture
def tab(browser):
    """A tab on the InfraZen page (routed), trusting the test certificate."""
    context = browser.new_context(permissions=["local-network-access"], ignore_https_errors=True)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_the_stock_chat_client_works_through_agent(production, tab):
    production.model.enqueue(Reply.answer("Через nginx всё работает."))
    rec = production.ids.alice_recommendations[3]

    def token_route(route):
        body = route.request.post_data_json or {}
        token = token_for(
            user_id=production.ids.alice,
            scenario="recommendation",
            recommendation_id=int(body["recommendation_id"]),
        )
        route.fulfill(json={"token": token, "expires_in": 86400, **body})

    tab.route(f"{INFRAZEN_ORIGIN}/api/chat/token", token_route)
    tab.route(
        lambda url: url.startswith(f"{INFRAZEN_ORIGIN}/chat?"),
        lambda route: route.fulfill(body=PAGE, content_type="text/html"),
    )
    tab.goto(
        f"{INFRAZEN_ORIGIN}/chat?agent={production.front.public_url}"
        f"&scenario=recommendation&rec={rec}"
    )
    tab.wait_for_function("window.chatLog.statuses.includes('connected')", timeout=20_000)
    tab.fill("#text", "Работает ли чат через nginx?")
    tab.click("#send")
    tab.wait_for_function(
        "window.chatLog.frames.some(f => f.type === 'assistant' && f.status)", timeout=20_000
    )
    answer = [f for f in tab.evaluate("window.chatLog.frames") if f["type"] == "assistant"]
    assert answer[-1]["content"] == "Через nginx всё работает."

    # The socket's URL held the token; nginx's log (a line once the socket closes) holds
    # the path only.
    tab.close()
    logged = ""
    for _ in range(50):
        logged = production.front.access_log.read_text()
        if f"/agent/v1/chat/rec/{rec} " in logged:
            break
        time.sleep(0.1)
    assert f"GET /agent/v1/chat/rec/{rec} " in logged
    assert "token=" not in logged and "eyJ" not in logged


@pytest.mark.browser
def test_the_admin_signs_in_under_agent_over_https(production, tab):
    base = production.front.public_url
    tab.goto(f"{base}/admin/")
    # Redirected to the login page under the prefix, styled from nginx's static files.
    assert tab.url.startswith(f"{base}/admin/login/")
    tab.fill("#id_username", ADMIN_USERNAME)
    tab.fill("#id_password", ADMIN_PASSWORD)
    tab.click("input[type=submit]")
    try:
        tab.wait_for_url(f"{base}/admin/", timeout=20_000)
    except PlaywrightTimeout:
        raise AssertionError(f"{tab.url}\n{tab.content()[:3000]}") from None
    assert tab.locator("#site-name").count() == 1
    cookies = {c["name"]: c for c in tab.context.cookies()}
    session = cookies["sessionid"]
    assert session["secure"] and session["httpOnly"] and session["path"] == "/agent/"
    # The admin's own links carry the prefix.
    hrefs = tab.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h == "/agent" or h.startswith("/agent/") for h in hrefs), hrefs
    tab.goto(f"{base}/admin/chat/toolcallaudit/")
    assert tab.url == f"{base}/admin/chat/toolcallaudit/"
