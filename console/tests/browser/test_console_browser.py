"""The console in a real browser against the live service (issue 21, section 2).

A recommendation card's "Обсудить с FinOps" opens the drawer with the widget chat for that
recommendation, and the analytics page has the analytics chat: a question's answer visibly
streams in. axe-core finds no serious or critical violation on the three pages and on the
widget in the drawer; a screenshot of each page is kept in `test-artifacts/console/`; markup
in the data and in the model's answer shows as text.
"""

from __future__ import annotations

import time

import pytest

from chat.tests.browser.live import ADMIN_PASSWORD, ADMIN_USERNAME
from chat.tests.browser.widget_page import AXE_RUN, axe_source, sql_execute
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from llm.fake_server import Reply

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
FINAL = "() => window.consoleLog.frames.some(f => f.type === 'assistant' && f.status)"
ANSWER = "#chat-drawer .chat-message.assistant .chat-message-content"
GROWING = f"""() => {{
    const answer = document.querySelector('{ANSWER}');
    return answer && answer.innerText.length > 40 && !({FINAL})() && answer.innerText;
}}"""
WORDS = " ".join(f"слово{n}" for n in range(120))
HOSTILE = "<img src=x onerror=alert(1)>"


def wait(page, function: str, timeout: float = WAIT_MS):
    """Playwright's wait_for_function evaluates its predicate with eval, which the console's
    CSP (no 'unsafe-eval') refuses: poll with evaluate, which the CSP does not govern."""
    ends = time.monotonic() + timeout / 1000
    while not (found := page.evaluate(function)):
        if time.monotonic() > ends:
            raise AssertionError(f"timed out waiting for {function}")
        page.wait_for_timeout(20)
    return found


def _open_card(tab, index: int) -> int:
    card = tab.page.locator("article.card").nth(index)
    rec = int(card.get_attribute("data-recommendation-id"))
    card.locator("button.discuss").click()
    tab.page.wait_for_selector("#chat-drawer .chat-message.system", timeout=WAIT_MS)
    return rec


def _ask(tab, text: str) -> None:
    tab.page.fill("#chat-input", text)
    tab.page.press("#chat-input", "Enter")


def test_a_card_opens_the_drawer_chat_and_its_answer_streams_in(console_tab, console_agent):
    console_agent.model.enqueue(Reply.answer(WORDS, tokens_per_s=40))
    tab = console_tab(ALICE_EMAIL)
    page = tab.page

    rec = _open_card(tab, 0)
    socket = page.evaluate("window.consoleLog.sockets[0].url")
    assert socket.startswith(f"ws://127.0.0.1:{console_agent.port}/v1/chat/rec/{rec}?token=")
    assert page.locator("#chat-drawer").is_visible()
    assert page.evaluate("document.activeElement.id") == "chat-input"
    _ask(tab, "Что даст эта рекомендация?")
    partial = wait(page, GROWING, WAIT_MS)
    wait(page, FINAL, WAIT_MS * 2)

    final = page.locator(ANSWER).last.inner_text()
    assert len(partial) < len(final) and final.startswith(partial.split()[0])
    assert final.split() == WORDS.split()
    sent = str(console_agent.model.chat_requests()[-1]["messages"])
    assert "Что даст эта рекомендация?" in sent
    inside = "document.getElementById('chat-drawer').contains(document.activeElement)"
    for key in ["Tab"] * 20 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert page.evaluate(inside), key
    page.keyboard.press("Escape")
    assert page.locator("#chat-drawer").is_hidden()
    assert page.evaluate("document.activeElement.dataset.recommendationId") == str(rec)


def test_the_analytics_page_has_the_analytics_chat_in_the_drawer(console_tab, console_agent):
    console_agent.model.enqueue(Reply.answer("Расходы за месяц выросли на 4 %."))
    tab = console_tab(ALICE_EMAIL)
    page = tab.page
    page.goto(f"{console_agent.base_url}/console/analytics/")

    page.click("button.discuss[data-scenario=analytics]")
    page.wait_for_selector("#chat-drawer .chat-message.system", timeout=WAIT_MS)
    assert "/v1/chat/analytics?token=" in page.evaluate("window.consoleLog.sockets[0].url")
    assert page.get_attribute("#chat-input", "placeholder").startswith("Спросите про расходы")
    _ask(tab, "Как менялись расходы?")
    wait(page, FINAL, WAIT_MS)

    assert page.locator(ANSWER).last.inner_text() == "Расходы за месяц выросли на 4 %."


def test_axe_finds_nothing_serious_on_the_pages_and_the_drawer_with_screenshots(
    console_tab, console_agent
):
    console_agent.model.enqueue(Reply.answer("**Экономия** 1 200 ₽/мес.\n\n- шаг 1\n- шаг 2"))
    tab = console_tab(ALICE_EMAIL, scripts=(axe_source(),))
    page = tab.page
    found = {}
    for name, path in (
        ("recommendations", "/console/"),
        ("analytics", "/console/analytics/"),
        ("reports", "/console/reports/"),
    ):
        page.goto(console_agent.base_url + path)
        found[name] = page.evaluate(AXE_RUN, "html")
        assert tab.screenshot(name).stat().st_size > 10_000

    page.goto(f"{console_agent.base_url}/console/")
    _open_card(tab, 1)
    _ask(tab, "Кратко: что сделать?")
    wait(page, FINAL, WAIT_MS)
    found["drawer"] = page.evaluate(AXE_RUN, "#chat-drawer")
    tab.screenshot("recommendations-drawer")

    assert found == {name: [] for name in found}


def test_markup_in_the_data_and_the_answer_renders_as_text(console_tab, console_agent):
    bob = console_agent.ids.bob
    sql_execute(
        console_agent,
        "UPDATE optimization_recommendations SET title = ?, resource_name = ? "
        "WHERE provider_id IN (SELECT id FROM cloud_providers WHERE user_id = ?)",
        (HOSTILE, HOSTILE, bob),
    )
    sql_execute(
        console_agent,
        "UPDATE resources SET service_name = ? "
        "WHERE provider_id IN (SELECT id FROM cloud_providers WHERE user_id = ?)",
        (HOSTILE, bob),
    )
    console_agent.model.enqueue(
        Reply.answer(f"Ресурс {HOSTILE} и <script>window.pwned = 1</script>")
    )
    tab = console_tab(BOB_EMAIL)
    page = tab.page

    assert page.locator("main img, main script").count() == 0
    assert HOSTILE in page.locator("article.card").first.inner_text()
    _open_card(tab, 0)
    _ask(tab, f"Что с {HOSTILE}?")
    wait(page, FINAL, WAIT_MS)
    drawer = page.locator("#chat-drawer-body")
    assert drawer.locator("script, img:not(.ac-preview img)").count() == 0
    text = drawer.inner_text().replace("\u200b", "")
    assert f"Ресурс {HOSTILE} и <script>window.pwned = 1</script>" in text
    assert page.evaluate("window.pwned") is None

    page.goto(f"{console_agent.base_url}/console/analytics/")
    assert page.locator("main img, main script").count() == 0
    assert HOSTILE in page.locator("main").inner_text()


def test_staff_follow_a_console_chat_to_its_cost_and_model_calls(console_tab, console_agent):
    console_agent.model.enqueue(Reply.answer("Ответ для журнала.", cost=0.0123))
    tab = console_tab(ALICE_EMAIL)
    page = tab.page
    _open_card(tab, 2)
    session_id = page.evaluate("window.consoleLog.frames.find(f => f.type === 'system').session_id")
    _ask(tab, "Вопрос для журнала")
    wait(page, FINAL, WAIT_MS)

    page.goto(f"{console_agent.base_url}/console/")
    page.click("header.top form button")
    page.wait_for_url("**/console/login/")
    page.goto(f"{console_agent.base_url}/admin/infrazen/chatsession/{session_id}/change/")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/infrazen/chatsession/{session_id}/change/")
    assert "InfraZen · FinOps-ассистент" in page.inner_text("#header")
    content = page.inner_text("#content")
    assert "Вопрос для журнала" in content and "стоимость ответа" in content.lower()
    assert "₽ ·" in content and "object (" not in content
    tab.screenshot("admin-session")

    page.click("text=вызовов модели:")
    page.wait_for_url("**/admin/llm/llmcall/**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 1
    assert str(console_agent.ids.alice) in rows.first.inner_text()
