"""The chat widget (static/agent-chat/) in InfraZen's drawer, in a real browser, against the
live service (issue 21, section 1).

InfraZen's drawer scripts, as a stand-in page (infrazen_drawer.html), with the widget in
place of the stock chat-ui.js and chat-websocket.js: connect, a streamed answer grows before
it ends, tool chips appear and resolve, Stop ends the answer within a second and keeps what
was said, a socket killed mid-answer resumes with nothing twice or missing, two tabs agree,
a pasted screenshot is downscaled and uploaded, markup from the model or the data is text,
errors are told in Russian, it works from the keyboard, and axe finds nothing serious.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chat.tests.browser.conftest import WAIT_MS, token_for
from chat.tests.browser.widget_page import AXE_RUN, axe_source, drawer_page, page_html, sql_execute
from chat.tests.image_helpers import READING, answer_requests, is_reading
from llm.fake_server import Reply
from scripts.widget_build import GZIP_LIMIT_BYTES, widget_gzipped_bytes

pytestmark = pytest.mark.browser

# (persona, index of a recommendation) no other browser test chats about: sessions are per
# user and recommendation, and the live agent (with its chat history) is shared by the run.
SLOTS = [("bob", n) for n in range(5)] + [("alice", n) for n in (13, 14, 15, 16, 17, 18, 19)]
LONG_ANSWER = "\n\n".join(
    " ".join(f"слово{n * 10 + k}" for k in range(10)) for n in range(30)
)  # 300 distinct words in 30 paragraphs
FINAL = "window.widgetLog.frames.some(f => f.type === 'assistant' && f.status)"
ANSWER = ".chat-drawer .chat-message.assistant"


def slot(agent, index: int) -> tuple[int, Callable[[dict], str]]:
    """A recommendation and the InfraZen app's token endpoint for its owner."""
    persona, n = SLOTS[index]
    user_id = getattr(agent.ids, persona)
    rec = getattr(agent.ids, f"{persona}_recommendations")[n]

    def mint(body: dict) -> str:
        if body.get("scenario") == "analytics":
            return token_for(
                user_id=user_id,
                scenario="analytics",
                time_range_days=int(body["time_range_days"]),
                filters=body.get("filters"),
            )
        return token_for(
            user_id=user_id,
            scenario="recommendation",
            recommendation_id=int(body["recommendation_id"]),
        )

    return rec, mint


class Drawer:
    """One tab with the stand-in page and its drawer open; console errors are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.minted: list[dict] = []
        self.rec: int | None = None
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def frames(self, frame_type: str | None = None) -> list[dict]:
        frames = self.page.evaluate("window.widgetLog.frames")
        return [f for f in frames if frame_type is None or f["type"] == frame_type]

    def wait(self, expression: str, timeout: float = WAIT_MS) -> None:
        self.page.wait_for_function(expression, timeout=timeout)

    def ask(self, text: str) -> None:
        self.page.fill("#chat-input", text)
        self.page.press("#chat-input", "Enter")

    def texts(self, selector: str) -> list[str]:
        return self.page.locator(selector).all_inner_texts()


@pytest.fixture
def open_drawer(open_tab, agent, browser) -> Iterator[Callable[..., Drawer]]:
    opened: list[Drawer] = []

    def open_(*, rec_index: int, context: Any = None) -> Drawer:
        rec, mint = slot(agent, rec_index)
        tab = open_tab(page="blank", context=context, mint=mint)
        drawer = Drawer(tab.page)
        drawer.minted = tab.minted
        drawer.rec = rec
        drawer_page(tab.page, agent, rec=rec)
        opened.append(drawer)
        return drawer

    yield open_
    for drawer in opened:
        assert drawer.errors == []


def test_the_widget_is_served_by_the_agent_and_small(agent):
    for name, kind in (("agent-chat.js", "javascript"), ("agent-chat.css", "css")):
        with urllib.request.urlopen(f"{agent.base_url}/static/agent-chat/{name}") as response:
            assert response.status == 200
            assert kind in response.headers["Content-Type"]
    assert widget_gzipped_bytes()["total"] <= GZIP_LIMIT_BYTES


def test_an_answer_streams_with_tool_chips_and_its_cost(open_drawer, agent):
    rec, _ = slot(agent, 0)
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer(
            "## Итог\n\n**Экономия** есть:\n\n- первое\n- второе\n\n" + LONG_ANSWER,
            tokens_per_s=150,
        ),
    )
    drawer = open_drawer(rec_index=0)
    drawer.page.evaluate(
        """() => {
        window.seen = {running: false, lengths: []};
        new MutationObserver(() => {
            if (document.querySelector('.ac-tool.ac-running')) window.seen.running = true;
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
        setInterval(() => {
            const answer = document.querySelector('.chat-message.assistant .chat-message-content');
            const done = window.widgetLog.frames.some(f => f.type === 'assistant' && f.status);
            if (answer && !done) window.seen.lengths.push(answer.innerText.length);
        }, 50);
    }"""
    )
    drawer.ask("Что с этой рекомендацией?")
    drawer.wait(FINAL)

    seen = drawer.page.evaluate("window.seen")
    final = drawer.frames("assistant")[-1]
    growing = sorted(set(seen["lengths"]) - {0})
    assert len(growing) >= 3, "the answer did not visibly grow while it streamed"
    # Seen early: the last delta may be painted before the final frame comes.
    assert growing[0] < len(drawer.texts(f"{ANSWER} .chat-message-content")[-1]) / 2
    # The chip showed its label while the tool ran, then resolved with its summary.
    assert seen["running"]
    chip = drawer.page.locator(".ac-tool")
    assert chip.count() == 1 and "ac-ok" in chip.get_attribute("class")
    assert drawer.frames("tool_result")[0]["summary"] in chip.inner_text()
    chip.locator("summary").click()
    assert str(rec) in chip.locator(".ac-tool-args").inner_text()
    # Markdown as blocks, not HTML: a heading, bold, a list.
    answer = drawer.page.locator(ANSWER).last
    assert answer.locator("h4").inner_text() == "Итог"
    assert answer.locator("strong").first.inner_text() == "Экономия"
    assert answer.locator("li").count() == 2
    # Tokens and cost: hidden until asked for, then per answer.
    meta = answer.locator(".ac-meta")
    assert not meta.is_visible()
    drawer.page.check(".ac-cost-toggle")
    assert meta.is_visible() and f"${final['cost_usd']:.4f}" in meta.inner_text()
    assert "токен" in meta.inner_text()


def test_stop_ends_the_answer_within_a_second_and_keeps_it(open_drawer, agent):
    agent.model.enqueue(Reply.answer(LONG_ANSWER, tokens_per_s=20))
    drawer = open_drawer(rec_index=1)
    drawer.ask("Расскажи подробно")
    drawer.wait("window.widgetLog.frames.filter(f => f.type === 'assistant_delta').length >= 5")
    assert drawer.page.is_visible(".ac-stop")

    started = time.monotonic()
    drawer.page.click(".ac-stop")
    drawer.wait(FINAL, timeout=1000)
    drawer.wait("!document.querySelector('.chat-message.assistant[aria-busy]')", timeout=1000)
    assert time.monotonic() - started < 1.0
    assert drawer.frames("assistant")[-1]["status"] == "stopped"
    kept = drawer.texts(f"{ANSWER} .chat-message-content")[-1]
    assert kept.startswith("слово0 слово1") and "слово299" not in kept
    assert "Ответ остановлен" in drawer.page.locator(ANSWER).last.inner_text()
    assert not drawer.page.is_visible(".ac-stop")


def test_a_socket_killed_mid_answer_resumes_with_every_piece_once(open_drawer, agent):
    agent.model.enqueue(Reply.answer(LONG_ANSWER, tokens_per_s=40))
    drawer = open_drawer(rec_index=2)
    drawer.ask("Первый вопрос")
    drawer.wait("window.widgetLog.frames.filter(f => f.type === 'assistant_delta').length >= 20")
    drawer.page.evaluate("window.widgetLog.sockets.at(-1).close()")
    drawer.wait("window.widgetLog.sockets.length === 2")
    drawer.wait(FINAL, timeout=30_000)

    second = drawer.page.evaluate("window.widgetLog.sockets[1].url")
    asked = drawer.frames("user")[0]["message_id"]
    assert f"after={asked}" in second
    assert drawer.page.locator(ANSWER).count() == 1
    assert drawer.page.locator(".chat-drawer .chat-message.user").count() == 1
    words = drawer.texts(f"{ANSWER} .chat-message-content")[0].split()
    assert words == LONG_ANSWER.split()
    # One greeting, updated on reconnect, not a second one.
    assert drawer.page.locator(".chat-drawer .chat-message.system").count() == 1


def test_two_tabs_show_the_same_conversation(open_drawer, agent, browser):
    agent.model.enqueue(Reply.answer("Ответ для **обеих** вкладок.", tokens_per_s=30))
    context = browser.new_context(permissions=["local-network-access"])
    try:
        asking = open_drawer(rec_index=3, context=context)
        other = open_drawer(rec_index=3, context=context)
        asking.ask("Вопрос из первой вкладки")
        for tab in (asking, other):
            tab.wait(FINAL)
            tab.wait("!document.querySelector('.chat-typing')")
        for tab in (asking, other):
            assert tab.texts(".chat-drawer .chat-message.user .chat-message-content") == [
                "Вопрос из первой вкладки"
            ]
            assert tab.texts(f"{ANSWER} .chat-message-content") == ["Ответ для обеих вкладок."]
    finally:
        context.close()


PASTE_SCREENSHOT = """() => {
    const canvas = document.createElement('canvas');
    canvas.width = 3000; canvas.height = 1800;
    const g = canvas.getContext('2d');
    g.fillStyle = '#2a6'; g.fillRect(0, 0, 3000, 1800);
    g.fillStyle = '#fff'; g.font = '120px sans-serif'; g.fillText('Счёт за ноябрь', 200, 400);
    return new Promise((done) => canvas.toBlob((blob) => {
        const data = new DataTransfer();
        data.items.add(new File([blob], 'screen.png', {type: 'image/png'}));
        const input = document.querySelector('#chat-input');
        input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        done(blob.size);
    }, 'image/png'));
}"""


def test_a_pasted_screenshot_is_previewed_downscaled_and_uploaded(open_drawer, agent):
    agent.model.enqueue(Reply.answer("На скриншоте счёт."))
    drawer = open_drawer(rec_index=4)
    drawer.page.evaluate(PASTE_SCREENSHOT)
    preview = drawer.page.locator(".ac-preview")
    preview.wait_for(state="visible")
    assert (preview.get_attribute("data-width"), preview.get_attribute("data-height")) == (
        "2000",
        "1200",
    )
    with drawer.page.expect_response("**/v1/chat/upload") as uploaded:
        drawer.ask("Что на скриншоте?")
    assert uploaded.value.ok
    # With the chat token: the image is the user's own from the start.
    assert uploaded.value.request.all_headers()["authorization"].startswith("Bearer ")
    image_id = uploaded.value.json()["image_id"]
    drawer.wait(FINAL)
    assert drawer.frames("user")[-1]["content"] == f"[image:{image_id}] Что на скриншоте?"
    assert not preview.is_visible()
    assert "image_url" in json.dumps(agent.model.chat_requests()[-1]["messages"])
    bubble = drawer.page.locator(".chat-drawer .chat-message.user").last.inner_text()
    assert "изображение" in bubble and "Что на скриншоте?" in bubble


def test_a_screenshot_is_still_known_two_questions_later(open_drawer, agent):
    agent.model.route(Reply.answer(READING), when=is_reading)
    agent.model.enqueue(
        Reply.answer("На скриншоте два графика."),
        Reply.answer("Пожалуйста."),
        Reply.answer("На втором графике трафик: 3,2 ТБ за месяц."),
    )
    drawer = open_drawer(rec_index=10)
    drawer.page.evaluate(PASTE_SCREENSHOT)
    drawer.page.locator(".ac-preview").wait_for(state="visible")
    for number, question in enumerate(("Что на скриншоте?", "Спасибо!", "А что на втором?"), 1):
        drawer.ask(question)
        drawer.wait(
            "window.widgetLog.frames.filter(f => f.type === 'assistant' && f.status).length"
            f" >= {number}"
        )
    # The third question's request carries what was read from the image, not the image.
    sent = json.dumps(answer_requests(agent.model)[-1]["messages"], ensure_ascii=False)
    assert "3,2 ТБ" in sent and "image_url" not in sent
    assert drawer.texts(f"{ANSWER} .chat-message-content")[-1].startswith(
        "На втором графике трафик: 3,2 ТБ"
    )


HOSTILE = "<img src=x onerror=alert(1)>"


def test_markup_from_the_model_and_the_data_renders_as_text(open_drawer, agent):
    rec, _ = slot(agent, 5)
    sql_execute(
        agent,
        "UPDATE optimization_recommendations SET recommendation_type = ?, resource_name = ? "
        "WHERE id = ?",
        (HOSTILE, HOSTILE, rec),
    )
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer(f"Ресурс {HOSTILE} и <script>window.pwned = 1</script> `<b>код</b>`"),
    )
    drawer = open_drawer(rec_index=5)
    drawer.ask(f"Что с {HOSTILE}?")
    drawer.wait(FINAL)

    def check() -> None:
        body = drawer.page.locator("#chat-drawer-body")
        assert body.locator("script, img:not(.ac-preview img), b").count() == 0
        assert drawer.page.evaluate("window.pwned") is None
        text = body.inner_text().replace("\u200b", "")
        assert HOSTILE in text and "<script>window.pwned = 1</script>" in text
        assert "<b>код</b>" in text

    check()
    assert HOSTILE in drawer.page.locator(".ac-tool").inner_text().replace("\u200b", "")
    # Replayed from the history when the drawer opens again: still text.
    drawer.page.click(".chat-drawer-close")
    drawer.page.click(".chat-with-finops-btn")
    drawer.wait("document.querySelectorAll('#chat-drawer-body .chat-message.assistant').length")
    check()


def test_errors_are_told_in_russian_with_what_to_do(open_drawer, agent):
    agent.model.enqueue(
        Reply.cut(LONG_ANSWER, after_chunks=60, tokens_per_s=30),
        Reply.answer("Теперь полный ответ."),
    )
    drawer = open_drawer(rec_index=6)
    drawer.ask("Первый вопрос")
    drawer.wait("window.widgetLog.frames.some(f => f.type === 'assistant_delta')")
    drawer.ask("Второй вопрос")
    busy = drawer.page.locator(".ac-error", has_text="Ассистент ещё отвечает")
    busy.wait_for()
    assert "дождитесь" in busy.inner_text()
    # The refused question is marked and given back to the input.
    assert drawer.page.input_value("#chat-input") == "Второй вопрос"
    assert drawer.page.locator(".ac-unsent").count() == 1

    failed = drawer.page.locator(".ac-error", has_text="Модель не ответила")
    failed.wait_for()
    assert "ещё раз" in failed.inner_text() and "Traceback" not in failed.inner_text()
    assert "Ответ прерван" in drawer.page.locator(ANSWER).last.inner_text()
    drawer.page.press("#chat-input", "Enter")
    drawer.wait("window.widgetLog.frames.filter(f => f.type === 'assistant').length >= 2")
    assert drawer.texts(f"{ANSWER} .chat-message-content")[-1] == "Теперь полный ответ."


def test_it_works_from_the_keyboard_and_axe_finds_nothing_serious(open_tab, agent):
    rec, mint = slot(agent, 7)
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer("| Тариф | Цена |\n|---|---|\n| Старый | 100 |\n| Новый | 80 |\n\nГотово."),
    )
    tab = open_tab(page="blank", mint=mint)
    drawer = Drawer(tab.page)
    page = tab.page
    page.route(
        "**/recommendations**",
        lambda route: route.fulfill(
            body=page_html(agent, rec),
            content_type="text/html",
        ),
    )
    page.goto(f"{tab.origin}/recommendations?reconnect_ms=300")

    def tab_to(selector: str) -> None:
        for _ in range(30):
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(".chat-with-finops-btn")
    page.keyboard.press("Enter")
    page.wait_for_selector(".chat-drawer.active .chat-message.system")
    tab_to("#chat-input")
    page.keyboard.type("Сравни тарифы")
    page.keyboard.press("Enter")
    drawer.wait(FINAL)
    assert page.locator(".chat-drawer .chat-message.assistant table th").count() == 2
    tab_to(".ac-tool summary")
    page.keyboard.press("Enter")
    assert page.locator(".ac-tool[open]").count() == 1
    tab_to(".ac-cost-toggle")
    page.keyboard.press("Space")
    assert page.locator(".ac-meta").is_visible()

    labels = page.evaluate(
        """() => [...document.querySelectorAll('#chat-drawer-body :is(button, textarea, input)')]
            .map(e => e.getAttribute('aria-label') || e.labels?.[0]?.innerText || e.innerText)"""
    )
    assert all(label and label.strip() for label in labels)
    page.add_script_tag(content=axe_source())
    assert page.evaluate(AXE_RUN, ".chat-drawer") == []
    assert drawer.errors == []


def test_auto_scroll_follows_until_the_user_scrolls_up(open_drawer, agent):
    agent.model.enqueue(Reply.answer(LONG_ANSWER, tokens_per_s=60))
    drawer = open_drawer(rec_index=8)
    page = drawer.page
    drawer.ask("Длинный ответ, пожалуйста")
    at_bottom = """() => { const box = document.querySelector('.chat-messages');
        return box.scrollHeight - box.scrollTop - box.clientHeight < 48; }"""
    drawer.wait(
        "document.querySelector('.chat-messages').scrollHeight > "
        "document.querySelector('.chat-messages').clientHeight + 200"
    )
    assert page.evaluate(at_bottom)
    page.locator(".chat-messages").hover()
    page.mouse.wheel(0, -5000)
    pill = page.locator(".ac-pill")
    pill.wait_for(state="visible")
    top = page.evaluate("document.querySelector('.chat-messages').scrollTop")
    drawer.wait("document.querySelector('.chat-message.assistant').innerText.includes('слово150')")
    assert page.evaluate("document.querySelector('.chat-messages').scrollTop") == top
    pill.click()
    page.wait_for_function(at_bottom)
    assert not pill.is_visible()
    drawer.wait(FINAL, timeout=30_000)
    page.wait_for_function(at_bottom)


def test_the_analytics_drawer_fetches_its_token_as_infrazen_does(open_drawer, agent):
    agent.model.enqueue(Reply.answer("Расходы за неделю выросли на 3 %."))
    drawer = open_drawer(rec_index=9)
    assert drawer.minted == [{"scenario": "recommendation", "recommendation_id": str(drawer.rec)}]
    drawer.page.click(".chat-drawer-close")
    drawer.page.evaluate(
        "window.getChatDrawer().open({scenario: 'analytics', context: {time_range_days: 7}})"
    )
    drawer.wait("window.widgetLog.sockets.length === 2")
    drawer.page.wait_for_selector(".chat-drawer.active .chat-message.system")
    assert drawer.minted[-1] == {"scenario": "analytics", "time_range_days": 7}
    assert "/v1/chat/analytics?token=" in drawer.page.evaluate("window.widgetLog.sockets[1].url")
    # chat-integration.js rewrites the empty state and the placeholder by the stock ids.
    placeholder = drawer.page.get_attribute("#chat-input", "placeholder")
    assert placeholder.startswith("Спросите про расходы")
    drawer.ask("Как менялись расходы?")
    drawer.wait(FINAL)
    assert (
        drawer.texts(f"{ANSWER} .chat-message-content")[-1] == "Расходы за неделю выросли на 3 %."
    )
