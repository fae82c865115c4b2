"""A new client of the chat protocol, in a real browser, against the live service.

Acceptance of issue 4: deltas, tool events and a final answer with tokens and cost; `stop`
mid-stream ends the stream at once, stores the partial answer and closes the request to
the model; two tabs both receive the stream; a reconnect with `after` replays nothing twice.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

from chat.tests.browser.conftest import token_for
from chat.tests.browser.live import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    FOREIGN_ORIGIN,
    SERVICE_TOKEN,
)
from llm.fake_server import Reply

pytestmark = pytest.mark.browser

SOCKET_OPEN = """async (url) => {
    window.got = [];
    window.closed = null;
    const socket = new WebSocket(url);
    socket.onmessage = (event) => window.got.push(JSON.parse(event.data));
    socket.onclose = (event) => { window.closed = {code: event.code, reason: event.reason}; };
    window.socket = socket;
    await new Promise((opened, failed) => { socket.onopen = opened; socket.onerror = failed; });
}"""
LONG_ANSWER = " ".join(f"слово{n}" for n in range(300))


def _socket(open_tab, agent, *, rec: int, after: int | None = None, context=None):
    token = token_for(user_id=agent.ids.alice, scenario="recommendation", recommendation_id=rec)
    url = f"ws://127.0.0.1:{agent.port}/v1/chat/rec/{rec}?token={token}"
    if after is not None:
        url += f"&after={after}"
    tab = open_tab(page="blank", context=context)
    tab.page.evaluate(SOCKET_OPEN, url)
    tab.page.wait_for_function("window.got.some(f => f.type === 'system')")
    return tab


def _got(tab, frame_type: str | None = None) -> list[dict]:
    frames = tab.page.evaluate("window.got")
    return [f for f in frames if frame_type is None or f["type"] == frame_type]


def _send(tab, frame: dict) -> None:
    tab.page.evaluate("(text) => window.socket.send(text)", json.dumps(frame, ensure_ascii=False))


def _final(tab) -> str:
    return "window.got.some(f => f.type === 'assistant' && f.status)"


def test_two_tabs_get_the_stream_and_a_stop_from_either_ends_it(browser, open_tab, agent):
    agent.model.enqueue(Reply.answer(LONG_ANSWER, tokens_per_s=20))
    rec = agent.ids.alice_recommendations[5]
    context = browser.new_context(permissions=["local-network-access"])
    try:
        asking = _socket(open_tab, agent, rec=rec, context=context)
        other = _socket(open_tab, agent, rec=rec, context=context)
        assert _got(asking, "system")[0]["session_id"] == _got(other, "system")[0]["session_id"]

        _send(asking, {"type": "message", "content": "Расскажи подробно", "client_id": "q-1"})
        other.page.wait_for_function(
            "window.got.filter(f => f.type === 'assistant_delta').length >= 2"
        )
        _send(other, {"type": "stop"})
        for tab in (asking, other):
            tab.page.wait_for_function(_final(tab))

        # The model's stream was closed, long before its 300 words.
        assert agent.model.wait_for_disconnect(timeout=5)
        assert agent.model.disconnects[-1].chunks_sent < 150
        echoed = _got(asking, "user")[-1]
        assert echoed["client_id"] == "q-1" and echoed["content"] == "Расскажи подробно"
        for tab in (asking, other):
            final = _got(tab, "assistant")[-1]
            streamed = "".join(f["content"] for f in _got(tab, "assistant_delta"))
            assert final["status"] == "stopped"
            assert final["reply_to"] == echoed["message_id"]
            assert streamed and LONG_ANSWER.startswith(streamed)
            assert final["content"].startswith(streamed.strip())
            assert final["content"] != streamed.strip()  # the stored answer says it was stopped
        # The partial answer was stored: a new socket gets it in the history.
        later = _socket(open_tab, agent, rec=rec, context=context)
        replayed = _got(later, "assistant")
        assert replayed[-1]["content"] == _got(asking, "assistant")[-1]["content"]
    finally:
        context.close()


def test_a_new_client_gets_tool_events_and_the_cost_and_resumes_after_what_it_saw(open_tab, agent):
    rec = agent.ids.alice_recommendations[6]
    agent.model.enqueue(
        Reply.calls([{"name": "list_top_alternatives", "arguments": {"recommendation_id": rec}}]),
        Reply.answer("Дешевле всего у Selectel."),
        Reply.answer("Миграция займёт около дня."),
    )
    tab = _socket(open_tab, agent, rec=rec)
    _send(tab, {"type": "message", "content": "Какие есть альтернативы?", "client_id": "a"})
    tab.page.wait_for_function(_final(tab))

    kinds = [f["type"] for f in _got(tab)]
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("assistant_delta")
    call = _got(tab, "tool_call")[0]
    assert call["name"] == "list_top_alternatives" and call["label"]
    assert _got(tab, "tool_result")[0]["ok"] is True
    final = _got(tab, "assistant")[-1]
    assert final["status"] == "done" and final["content"] == "Дешевле всего у Selectel."
    assert final["tokens"] > 0 and final["cost_usd"] > 0 and final["model"]
    assert final["tool_calls"] == 1

    # The client saw everything up to the final answer; reconnecting after it, it is told
    # nothing again, and the conversation goes on.
    seen = final["message_id"]
    tab.page.evaluate("window.socket.close()")
    again = _socket(open_tab, agent, rec=rec, after=seen)
    assert [f["type"] for f in _got(again)] == ["system"]
    assert _got(again, "system")[0]["last_message_id"] == seen
    _send(again, {"type": "message", "content": "Сколько займёт миграция?", "client_id": "b"})
    again.page.wait_for_function(_final(again))
    assert _got(again, "assistant")[-1]["content"] == "Миграция займёт около дня."

    # Having seen only the first question, a client gets the rest once, in order.
    question_id = _got(tab, "user")[0]["message_id"]
    behind = _socket(open_tab, agent, rec=rec, after=question_id)
    replay = [(f["type"], f["content"]) for f in _got(behind) if f["type"] != "system"]
    assert replay == [
        ("assistant", "Дешевле всего у Selectel."),
        ("user", "Сколько займёт миграция?"),
        ("assistant", "Миграция займёт около дня."),
    ]


def test_the_live_agent_runs_on_the_servers_of_this_test_pass(agent):
    """Pass 2 of `make test` must put the browser in front of MariaDB, Redis and two workers,
    not quietly on the embedded defaults again."""
    ready = urllib.request.Request(
        f"{agent.base_url}/v1/readiness", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    try:
        with urllib.request.urlopen(ready, timeout=5) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as refused:
        # A 503 names its failing check: say which, not just the status.
        raise AssertionError(refused.read().decode()) from None
    checks = {check["name"]: check for check in body["checks"]}
    real_servers = os.environ.get("DATABASE_URL", "").startswith("mysql")
    assert checks["database"]["detail"]["vendor"] == ("mysql" if real_servers else "sqlite")
    layer = checks["channel_layer"]["detail"]["backend"]
    assert layer == ("RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer")
    assert agent.workers == (2 if os.environ.get("REDIS_URL") else 1)


def test_a_model_failing_mid_stream_shows_an_error_and_the_next_question_works(open_tab, agent):
    rec = agent.ids.alice_recommendations[7]
    agent.model.enqueue(
        Reply.cut(LONG_ANSWER, after_chunks=40, tokens_per_s=20),
        Reply.answer("Теперь ответ полный."),
    )
    tab = _socket(open_tab, agent, rec=rec)
    _send(tab, {"type": "message", "content": "Первый вопрос", "client_id": "1"})
    tab.page.wait_for_function("window.got.some(f => f.type === 'assistant_delta')")
    # One answer at a time per session: a second question meanwhile is told so, not queued.
    _send(tab, {"type": "message", "content": "Второй вопрос", "client_id": "2"})
    tab.page.wait_for_function("window.got.some(f => f.type === 'error')")
    busy = _got(tab, "error")[0]
    assert busy["code"] == "busy" and busy["client_id"] == "2"
    tab.page.wait_for_function(_final(tab))

    failed = _got(tab, "assistant")[-1]
    streamed = "".join(f["content"] for f in _got(tab, "assistant_delta"))
    assert failed["status"] == "failed"
    assert streamed and failed["content"].startswith(streamed.strip())
    error = _got(tab, "error")[-1]
    assert error["code"] == "model_error" and error["message_id"] == failed["message_id"]
    assert "Traceback" not in error["message"] and error["message"].endswith("ещё раз.")

    _send(tab, {"type": "message", "content": "Ещё раз", "client_id": "3"})
    tab.page.wait_for_function("window.got.filter(f => f.type === 'assistant').length >= 2")
    assert _got(tab, "assistant")[-1]["content"] == "Теперь ответ полный."
    # Both questions that were taken and both answers are stored, in order.
    later = _socket(open_tab, agent, rec=rec)
    history = [(f["type"], f["content"]) for f in _got(later) if f["type"] != "system"]
    assert [kind for kind, _ in history] == ["user", "assistant", "user", "assistant"]
    assert history[0] == ("user", "Первый вопрос") and history[1][1] == failed["content"]


START_FROM_PAGE = """async ([base, token, body]) => {
    try {
        const response = await fetch(base + "/v1/chat/start", {
            method: "POST",
            headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
            body: JSON.stringify(body),
        });
        return {status: response.status, body: await response.json()};
    } catch (error) { return {status: "blocked"}; }
}"""


def test_a_page_starts_a_session_and_chats_over_its_socket(open_tab, agent):
    """POST /v1/chat/start from the InfraZen page (a CORS preflight: it sends Authorization),
    then /v1/chat/ws?session=<id>; a page of another origin cannot start one."""
    rec = agent.ids.alice_recommendations[8]
    token = token_for(user_id=agent.ids.alice, scenario="recommendation", recommendation_id=rec)
    body = {"scope": "recommendation", "recommendation_id": rec}
    tab = open_tab(page="blank")
    started = tab.page.evaluate(START_FROM_PAGE, [agent.base_url, token, body])
    assert started["status"] == 201 and started["body"]["status"] == "created"
    reused = tab.page.evaluate(START_FROM_PAGE, [agent.base_url, token, body])
    assert reused["status"] == 200 and reused["body"]["session_id"] == started["body"]["session_id"]

    agent.model.enqueue(Reply.answer("Ответ в сессии."))
    url = f"ws://127.0.0.1:{agent.port}{started['body']['ws_url']}&token={token}"
    tab.page.evaluate(SOCKET_OPEN, url)
    tab.page.wait_for_function("window.got.some(f => f.type === 'system')")
    assert _got(tab, "system")[0]["session_id"] == started["body"]["session_id"]
    _send(tab, {"type": "message", "content": "Вопрос", "client_id": "s"})
    tab.page.wait_for_function(_final(tab))
    assert _got(tab, "assistant")[-1]["content"] == "Ответ в сессии."

    foreign = open_tab(page="blank", origin=FOREIGN_ORIGIN)
    assert foreign.page.evaluate(START_FROM_PAGE, [agent.base_url, token, body]) == {
        "status": "blocked"
    }


def test_the_admin_shows_a_browser_chat_and_its_tool_calls(open_tab, agent):
    """The transcript and audit trail of a chat held in the browser, as staff see them."""
    rec = agent.ids.alice_recommendations[9]
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer("Ответ для журнала."),
    )
    chat = _socket(open_tab, agent, rec=rec)
    session_id = _got(chat, "system")[0]["session_id"]
    _send(chat, {"type": "message", "content": "Вопрос для журнала", "client_id": "j"})
    chat.page.wait_for_function(_final(chat))

    staff = open_tab(page="blank").page
    staff.goto(
        f"{agent.base_url}/admin/login/?next=/admin/infrazen/chatsession/{session_id}/change/"
    )
    staff.fill("#id_username", ADMIN_USERNAME)
    staff.fill("#id_password", ADMIN_PASSWORD)
    staff.click("input[type=submit]")
    staff.wait_for_url(f"**/admin/infrazen/chatsession/{session_id}/change/")
    transcript = staff.inner_text("#content")
    assert "Вопрос для журнала" in transcript and "Ответ для журнала." in transcript
    assert transcript.index("Вопрос для журнала") < transcript.index("Ответ для журнала.")
    # Read-only: no save button on a transcript.
    assert staff.locator("input[name=_save]").count() == 0

    staff.click("text=вызовов инструментов моделью: 1")
    staff.wait_for_url("**/admin/chat/toolcallaudit/**")
    rows = staff.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "get_recommendation" in row and str(agent.ids.alice) in row
