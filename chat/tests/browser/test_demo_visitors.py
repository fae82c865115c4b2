"""Two visitors of InfraZen's public demo (one `demouser`) in two browsers, with the stock
chat page: neither sees the other's conversation; a reload finds one's own again (the
service's visitor cookie, set on the WebSocket handshake). The page is on the agent's own
origin, as in production, where nginx serves both under one host."""

from __future__ import annotations

import pytest

from chat.tests.browser.conftest import token_for
from llm.fake_server import Reply

pytestmark = pytest.mark.browser

QUERY = "scenario=analytics&days=30"


def _answered() -> str:
    return "window.chatLog.frames.filter(f => f.type === 'assistant' && f.status).length >= 1"


def test_two_demo_visitors_never_see_each_other_and_a_reload_keeps_ones_own(
    open_tab, agent, browser
):
    def tab(**kwargs):
        return open_tab(query=QUERY, mint=mint, origin=agent.base_url, **kwargs)

    def mint(body: dict) -> str:
        return token_for(user_id=agent.ids.demo, scenario="analytics", time_range_days=30)

    agent.model.enqueue(Reply.answer("Расходы стабильны."))
    first_browser = browser.new_context(permissions=["local-network-access"])
    try:
        first = tab(context=first_browser)
        first.wait("window.chatLog.statuses.includes('connected')")
        first.ask("Вопрос первого посетителя")
        first.wait(_answered())

        second = tab()
        second.wait("window.chatLog.frames.length >= 1")
        assert "0 сообщений" in second.frames("system")[0]["content"]
        assert not [f for f in second.frames() if "первого посетителя" in str(f.get("content"))]

        again = tab(context=first_browser)
        again.wait("window.chatLog.frames.filter(f => f.type === 'user').length >= 1")
        assert again.frames("user")[0]["content"] == "Вопрос первого посетителя"
        cookies = {c["name"]: c for c in first_browser.cookies()}
        assert cookies["infrazen_agent_visitor"]["httpOnly"] is True
    finally:
        first_browser.close()
