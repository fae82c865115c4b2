"""The console served for real (console pages, the drawer chat) in Debian's Chromium.

The live agent of the widget's browser tests (chat/tests/browser/live.py) with the console
on, and a console sign-in for alice and bob as `make demo` makes them. Screenshots of each
page go to `test-artifacts/console/` (gitignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.tests.browser.conftest import browser  # noqa: F401 - the shared Chromium fixture
from chat.tests.browser.live import ROOT, LiveAgent, live_agent

ARTIFACTS = ROOT / "test-artifacts" / "console"
PASSWORD = "console-browser-tests-pw"
ACCOUNTS = """
import django
django.setup()
from django.contrib.auth import get_user_model
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
for email in (ALICE_EMAIL, BOB_EMAIL):
    if not get_user_model().objects.filter(username=email).exists():
        get_user_model().objects.create_user(email, email=email, password={password!r})
"""


# Per module: stopped before the widget's tests start their own live agent, whose fresh
# MariaDB database (pass 2) has the same name.
@pytest.fixture(scope="module")
def console_agent(tmp_path_factory) -> Iterator[LiveAgent]:
    saved = os.environ.get("CONSOLE_ENABLED")
    # live_agent hands this process's environment on to daphne.
    os.environ["CONSOLE_ENABLED"] = "1"
    try:
        with live_agent(tmp_path_factory.mktemp("live-console")) as served:
            subprocess.run(
                [sys.executable, "-c", ACCOUNTS.format(password=PASSWORD)],
                env=served.env,
                cwd=ROOT,
                check=True,
                timeout=120,
            )
            yield served
    finally:
        if saved is None:
            os.environ.pop("CONSOLE_ENABLED", None)
        else:
            os.environ["CONSOLE_ENABLED"] = saved


class ConsoleTab:
    """A signed-in console tab; console errors and dialogs (an alert would be one) collected."""

    def __init__(self, page: Any, agent: LiveAgent) -> None:
        self.page = page
        self.agent = agent
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"),
        )
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def sign_in(self, email: str) -> None:
        self.page.goto(f"{self.agent.base_url}/console/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_url(f"{self.agent.base_url}/console/")

    def frames(self, frame_type: str | None = None) -> list[dict]:
        frames = self.page.evaluate("window.consoleLog.frames")
        return [f for f in frames if frame_type is None or f["type"] == frame_type]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


# Every frame the page's sockets receive, for the tests (the console page has no such hook).
FRAME_LOG = """
window.consoleLog = { frames: [], sockets: [] };
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    window.consoleLog.sockets.push(this);
    this.addEventListener("message", (e) => window.consoleLog.frames.push(JSON.parse(e.data)));
  }
};
"""


@pytest.fixture
def console_tab(browser, console_agent) -> Iterator[Any]:  # noqa: F811 - the fixture above
    contexts = []
    tabs: list[ConsoleTab] = []

    def open_(email: str, *, scripts: tuple[str, ...] = ()) -> ConsoleTab:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        for script in (FRAME_LOG, *scripts):
            context.add_init_script(script=script)
        tab = ConsoleTab(context.new_page(), console_agent)
        tab.sign_in(email)
        tabs.append(tab)
        return tab

    yield open_
    for context in contexts:
        context.close()
    for tab in tabs:
        assert tab.errors == [], "\n".join(tab.errors)
