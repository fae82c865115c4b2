"""A real headless Chromium against the live agent (see live.py).

The browser is Debian's `chromium`, driven by Playwright (`executable_path`, no browser
download); `make test` installs it. A page "from" the InfraZen app's origin is served by
Playwright's routing, as is the app's `POST /api/chat/token`, which mints tokens exactly as
the Flask app does (contract §4.2). Everything the page then does goes over the network to the
service, with the browser's own Origin, CORS and WebSocket behaviour.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chat.flask_tokens import chat_token_mint_for_tests
from chat.tests.browser.live import INFRAZEN_ORIGIN, SECRET, LiveAgent, live_agent

CHROMIUM = "/usr/bin/chromium"
PAGE = Path(__file__).with_name("infrazen_chat.html").read_text()
BLANK = "<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>"
# Long enough for a slow CI machine; a passing test waits only as long as it needs.
WAIT_MS = 15_000


@pytest.fixture(scope="session")
def agent(tmp_path_factory) -> Iterator[LiveAgent]:
    with live_agent(tmp_path_factory.mktemp("live-agent")) as served:
        yield served


@pytest.fixture(scope="session")
def offline_agent(tmp_path_factory) -> Iterator[LiveAgent]:
    """The agent as `make demo` serves it without a key: the offline assistant."""
    with live_agent(tmp_path_factory.mktemp("live-agent-offline"), offline=True) as served:
        yield served


@pytest.fixture(autouse=True)
def _model_script_per_test(agent):
    """Replies a test queued and did not use must not answer the next test's questions."""
    yield
    agent.model.script_clear()


# Per module, not per session: while Playwright's sync API is open its event loop is the
# thread's running loop, and the async tests that follow the browser tests could not start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or CHROMIUM
    if not Path(executable).exists():
        pytest.fail("headless Chromium is missing: run `make test` (it installs `chromium`)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def token_for(
    *,
    user_id: int,
    scenario: str,
    recommendation_id: Any = None,
    time_range_days: int = 30,
    filters: dict | None = None,
    expires_in: timedelta = timedelta(hours=24),
) -> str:
    return chat_token_mint_for_tests(
        user_id=user_id,
        scenario=scenario,
        recommendation_id=recommendation_id,
        time_range_days=time_range_days,
        filters=filters,
        secret=SECRET,
        expires_in=expires_in,
    )


class InfraZenTab:
    """One browser tab on an InfraZen page, with the app's token endpoint."""

    def __init__(self, page: Any, *, agent: LiveAgent, origin: str) -> None:
        self.page = page
        self.agent = agent
        self.origin = origin
        self.minted: list[dict] = []

    def log(self) -> dict:
        return self.page.evaluate("window.chatLog")

    def frames(self, frame_type: str | None = None) -> list[dict]:
        frames = self.page.evaluate("window.chatLog.frames")
        return [f for f in frames if frame_type is None or f["type"] == frame_type]

    def wait(self, expression: str, *, timeout: float = WAIT_MS) -> None:
        self.page.wait_for_function(expression, timeout=timeout)

    def ask(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.click("#send")


@pytest.fixture
def open_tab(browser, agent) -> Iterator[Callable[..., InfraZenTab]]:
    """Open a tab: the stock InfraZen chat page (`page="infrazen"`) or an empty page on the
    same origin for a new client's script (`page="blank"`). `mint(body)` answers the app's
    token endpoint; by default as Flask does for alice."""
    contexts = []

    def open_(
        *,
        page: str = "infrazen",
        origin: str = INFRAZEN_ORIGIN,
        query: str = "",
        mint: Callable[[dict], str] | None = None,
        context: Any = None,
        served: LiveAgent | None = None,
    ) -> InfraZenTab:
        served = served or agent
        if context is None:
            # A routed page has no address, so Chromium takes it for a public site and would
            # hold its requests to 127.0.0.1 for the user's consent (Local Network Access).
            context = browser.new_context(permissions=["local-network-access"])
            contexts.append(context)
        tab = InfraZenTab(context.new_page(), agent=served, origin=origin)

        def minted(body: dict) -> str:
            if body.get("scenario") == "analytics":
                return token_for(
                    user_id=served.ids.alice,
                    scenario="analytics",
                    time_range_days=int(body.get("time_range_days") or 30),
                    filters=body.get("filters"),
                )
            return token_for(
                user_id=served.ids.alice,
                scenario="recommendation",
                recommendation_id=int(body["recommendation_id"]),
            )

        def token_route(route: Any) -> None:
            body = route.request.post_data_json or {}
            tab.minted.append(body)
            token = (mint or minted)(body)
            route.fulfill(json={"token": token, "expires_in": 86400, **body})

        def page_route(route: Any) -> None:
            route.fulfill(body=PAGE if page == "infrazen" else BLANK, content_type="text/html")

        tab.page.route(f"{origin}/api/chat/token", token_route)
        tab.page.route(lambda url: url.startswith(f"{origin}/chat?"), page_route)
        tab.page.goto(f"{origin}/chat?agent={served.base_url}&{query}")
        return tab

    yield open_
    for context in contexts:
        context.close()
