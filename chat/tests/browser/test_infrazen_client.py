"""The stock InfraZen chat client, in a real browser, against the live service (contract §4.2).

Acceptance of issue 4: a client that behaves exactly like the InfraZen browser client gets
`system`, history, `typing` and a final `assistant` answer, for both endpoints; refusals
reach it with their close codes; its token-less screenshot upload works across origins.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from chat.citations import UNVERIFIED_MARK
from chat.neutralise import html_neutralise
from chat.tests.browser.conftest import token_for
from chat.tests.browser.live import FOREIGN_ORIGIN
from chat.tests.image_helpers import READING, answer_requests, is_reading
from llm.fake_server import Reply

pytestmark = pytest.mark.browser

ANSWER = "Экономия составит **1 200 ₽/мес**.\nШаг 1: <b>снимок</b> перед удалением."
# What the service sends of it: no `<` can open a tag in a client that renders raw, and the
# figure no data of the turn gives is marked (chat.citations): the stock client shows it too.
MARKED = "1 200 ₽/мес" + UNVERIFIED_MARK
SENT = html_neutralise(ANSWER).replace("1 200 ₽/мес", MARKED)


def _answered(count: int = 1) -> str:
    """Live answers only: a replayed one (history) has no `status`."""
    return (
        f"window.chatLog.frames.filter(f => f.type === 'assistant' && f.status).length >= {count}"
    )


def _last_user_text(request: dict) -> object:
    return [m for m in request["messages"] if m["role"] == "user"][-1]["content"]


def test_the_stock_client_chats_about_a_recommendation(open_tab, agent):
    agent.model.enqueue(Reply.answer(ANSWER))
    rec = agent.ids.alice_recommendations[0]
    tab = open_tab(query=f"scenario=recommendation&rec={rec}")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.wait("window.chatLog.frames.length >= 1")
    assert tab.frames()[0]["type"] == "system"
    # The .rec-card data-id is a string; Flask casts it; the token carries the int.
    assert tab.minted == [{"scenario": "recommendation", "recommendation_id": str(rec)}]

    tab.ask("Сколько я сэкономлю в месяц?")
    tab.wait(_answered())

    kinds = [f["type"] for f in tab.frames() if f["type"] in ("system", "typing", "assistant")]
    assert kinds == ["system", "typing", "assistant"]
    assert tab.frames("assistant")[-1]["content"] == SENT
    # chat-ui.js renders it: **bold** → <strong>, newlines → <br>, the rest escaped.
    bubble = tab.page.inner_html(".bubble.assistant >> nth=-1")
    assert f"<strong>{MARKED}</strong>" in bubble
    # Shown as the model wrote it (the zero-width space after `<` is invisible).
    assert "<br>" in bubble and "&lt;\u200bb&gt;снимок&lt;\u200b/b&gt;" in bubble
    assert not tab.page.is_visible("#typing")
    assert _last_user_text(agent.model.chat_requests()[-1]) == "Сколько я сэкономлю в месяц?"

    # Opening the drawer again: the same session, its history replayed after `system`.
    again = open_tab(query=f"scenario=recommendation&rec={rec}")
    again.wait("window.chatLog.frames.some(f => f.type === 'assistant')")
    replay = [(f["type"], f["content"]) for f in again.frames() if f["type"] != "system"]
    assert replay[-2:] == [("user", "Сколько я сэкономлю в месяц?"), ("assistant", SENT)]
    bubbles = again.page.locator(".bubble.user").all_inner_texts()
    assert bubbles[-1] == "Сколько я сэкономлю в месяц?"


def test_the_stock_client_chats_about_analytics(open_tab, agent):
    agent.model.enqueue(Reply.answer("За 7 дней расходы выросли на **4 %**."))
    tab = open_tab(query="scenario=analytics&days=7")
    tab.wait("window.chatLog.statuses.includes('connected')")
    assert tab.minted[0]["scenario"] == "analytics"
    assert tab.minted[0]["time_range_days"] == 7

    tab.ask("Как менялись расходы?")
    tab.wait(_answered())

    frames = tab.frames()
    assert frames[0]["type"] == "system"
    assert "typing" in [f["type"] for f in frames]
    assert tab.frames("assistant")[-1]["content"] == "За 7 дней расходы выросли на **4 %**."
    assert "<strong>4 %</strong>" in tab.page.inner_html(".bubble.assistant >> nth=-1")
    request = agent.model.chat_requests()[-1]
    assert _last_user_text(request) == "Как менялись расходы?"
    # The analytics persona, not the recommendation one, and the user's own KPIs in its pack.
    assert request["messages"][0]["role"] == "system"


def test_the_stock_client_reconnects_with_a_new_token_and_loses_nothing(open_tab, agent):
    agent.model.enqueue(Reply.answer("Первый ответ."), Reply.answer("Второй ответ."))
    rec = agent.ids.alice_recommendations[1]
    tab = open_tab(query=f"scenario=recommendation&rec={rec}&reconnect_ms=100")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.ask("Первый вопрос")
    tab.wait(_answered())

    # The network drops the socket: the client waits 1 × its step, mints a new token and
    # connects again (contract §4.2); the service replays the history, which this client
    # appends again, as it does today.
    tab.page.evaluate("window.client.ws.close()")
    tab.wait("window.chatLog.tokens === 2 && window.client.ws.readyState === WebSocket.OPEN")
    tab.wait("window.chatLog.frames.filter(f => f.type === 'system').length === 2")
    tab.wait("window.chatLog.frames.filter(f => f.type === 'assistant').length === 2")
    assert len(tab.minted) == 2
    kinds = [f["type"] for f in tab.frames()]
    replayed = [(f["type"], f["content"]) for f in tab.frames()[kinds.index("system", 1) + 1 :]]
    assert replayed == [("user", "Первый вопрос"), ("assistant", "Первый ответ.")]

    tab.ask("Второй вопрос")
    tab.wait(_answered(2))
    assert tab.frames("assistant")[-1]["content"] == "Второй ответ."
    # One model call per question: the reconnect answered nothing twice.
    questions = [_last_user_text(r) for r in agent.model.chat_requests()[-2:]]
    assert questions == ["Первый вопрос", "Второй вопрос"]


def _png() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_screenshot_from_the_stock_client_reaches_the_model(open_tab, agent):
    agent.model.route(Reply.answer(READING), when=is_reading)
    agent.model.enqueue(Reply.answer("На скриншоте красный прямоугольник."))
    rec = agent.ids.alice_recommendations[2]
    tab = open_tab(query=f"scenario=recommendation&rec={rec}")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.page.set_input_files(
        "#file", files=[{"name": "console.png", "mimeType": "image/png", "buffer": _png()}]
    )
    tab.ask("Что на скриншоте?")
    tab.wait(_answered())

    # A token-less multipart POST from the InfraZen origin: the browser let the page read
    # the answer (CORS), so the image id made it into the question.
    uploads = tab.log()["uploads"]
    assert [u["status"] for u in uploads] == [200]
    image_id = uploads[0]["data"]["image_id"]
    sent = tab.page.locator(".bubble.user").last.inner_text()
    assert sent == f"[image:{image_id}] Что на скриншоте?"
    question = _last_user_text(answer_requests(agent.model)[-1])
    parts = {part["type"]: part for part in question}
    assert parts["text"]["text"].startswith("Что на скриншоте?")
    assert parts["image_url"]["image_url"]["url"].startswith("data:image/")
    assert tab.frames("assistant")[-1]["content"] == "На скриншоте красный прямоугольник."


@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("expired", 4401, "Token expired"),
        ("signed with another secret", 4401, "Invalid token"),
        ("bob's token for alice's recommendation", 4404, "Recommendation not found"),
        ("a page of another origin", 4403, "Origin not allowed"),
    ],
)
def test_a_refused_connection_reaches_the_browser_with_its_code(
    open_tab, agent, case, code, reason
):
    rec = agent.ids.alice_recommendations[3]
    origin = FOREIGN_ORIGIN if case == "a page of another origin" else None

    def mint(body: dict) -> str:
        if case == "expired":
            return token_for(
                user_id=agent.ids.alice,
                scenario="recommendation",
                recommendation_id=rec,
                expires_in=timedelta(minutes=-5),
            )
        if case == "signed with another secret":
            return (
                token_for(
                    user_id=agent.ids.alice, scenario="recommendation", recommendation_id=rec
                )[:-4]
                + "AAAA"
            )
        user_id = agent.ids.bob if case.startswith("bob") else agent.ids.alice
        return token_for(user_id=user_id, scenario="recommendation", recommendation_id=rec)

    options = {"origin": origin} if origin else {}
    tab = open_tab(query=f"scenario=recommendation&rec={rec}", mint=mint, **options)
    tab.wait("window.chatLog.closes.length > 0")
    log = tab.log()
    # The socket was accepted and then closed: the browser sees why, the first time (not a
    # 1006 from a close handshake cut short: ops/daphne/close.py).
    assert log["closes"][0] == {"code": code, "reason": reason}, agent.log_tail()
    assert "connected" in log["statuses"]
    assert log["frames"] == []


UPLOAD_FROM_PAGE = """async (url) => {
    const form = new FormData();
    const png = new Uint8Array([137, 80, 78, 71]);
    form.append("file", new Blob([png], {type: "image/png"}), "x.png");
    try { const r = await fetch(url, {method: "POST", body: form}); return "read " + r.status; }
    catch (error) { return "blocked"; }
}"""


def test_only_the_infrazen_origin_may_read_an_upload_answer(open_tab, agent):
    url = f"{agent.base_url}/v1/chat/upload"
    # The same request (a 4-byte "PNG", refused with 400): the InfraZen page reads the
    # refusal; a page of another origin is not allowed to read anything (no CORS header).
    assert open_tab(page="blank").page.evaluate(UPLOAD_FROM_PAGE, url) == "read 400"
    foreign = open_tab(page="blank", origin=FOREIGN_ORIGIN)
    assert foreign.page.evaluate(UPLOAD_FROM_PAGE, url) == "blocked"


def test_the_stock_client_ignores_the_frames_new_clients_get(open_tab, agent):
    """Deltas, tool events and ids go to every socket; the stock client draws none of them."""
    rec = agent.ids.alice_recommendations[4]
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer("Рекомендация: удалить старый снимок."),
    )
    tab = open_tab(query=f"scenario=recommendation&rec={rec}")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.ask("Что это за рекомендация?")
    tab.wait(_answered())

    kinds = {f["type"] for f in tab.frames()}
    assert {"assistant_delta", "tool_call", "tool_result"} <= kinds
    # Only what the stock client renders became bubbles: system, the question, the answer.
    assert tab.page.locator(".bubble").count() == 3
    answer = tab.page.locator(".bubble.assistant").inner_text()
    assert answer == "Рекомендация: удалить старый снимок."
    tool_result = tab.frames("tool_result")[0]
    assert tool_result["ok"] is True and tool_result["name"] == "get_recommendation"
    # The tool ran as alice, on her recommendation, and its result went back to the model.
    tool_message = [m for m in agent.model.chat_requests()[-1]["messages"] if m["role"] == "tool"]
    assert json.loads(tool_message[0]["content"])["ok"] is True


def test_the_stock_client_on_the_demo_without_a_model(open_tab, offline_agent):
    """`make demo` without a key: the offline assistant answers from the tools, in the same
    frames, says it runs without a language model, and never calls one."""
    rec = offline_agent.ids.alice_recommendations[0]
    tab = open_tab(query=f"scenario=recommendation&rec={rec}", served=offline_agent)
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.ask("Сколько я сэкономлю в год?")
    tab.wait(_answered())

    answer = tab.frames("assistant")[-1]["content"]
    assert "₽/год" in answer
    assert "без языковой модели" in answer
    assert "<strong>" in tab.page.inner_html(".bubble.assistant >> nth=-1")

    analytics = open_tab(query="scenario=analytics&days=30", served=offline_agent)
    analytics.wait("window.chatLog.statuses.includes('connected')")
    analytics.ask("Были ли аномалии в расходах?")
    analytics.wait(_answered())
    assert "без языковой модели" in analytics.frames("assistant")[-1]["content"]
    assert offline_agent.model.chat_requests() == []
