"""The widget shows where an answer's figures come from (issue 21 §4), in a real browser
against the live service: an [n] chip per source that opens its summary, the unverified
figures marked in the text and named under it, and nothing from the model or the data runs."""

from __future__ import annotations

import pytest

from chat.citations import UNVERIFIED_MARK
from chat.tests.browser.test_widget import (  # noqa: F401 (open_drawer is a fixture)
    ANSWER,
    FINAL,
    HOSTILE,
    open_drawer,
    slot,
)
from chat.tests.browser.widget_page import sql_execute
from llm.fake_server import Reply

pytestmark = pytest.mark.browser

# A recommendation no other browser test chats about (see test_widget.SLOTS).
SLOT = 11


def test_cited_figures_get_chips_and_an_invented_one_is_marked(open_drawer, agent):  # noqa: F811
    rec, _ = slot(agent, SLOT)
    sql_execute(
        agent,
        "UPDATE optimization_recommendations SET estimated_monthly_savings = ?, "
        "resource_name = ? WHERE id = ?",
        (12345.67, HOSTILE, rec),
    )
    agent.model.enqueue(
        Reply.calls([{"name": "get_recommendation", "arguments": {"recommendation_id": rec}}]),
        Reply.answer(
            "Экономия **12 346 ₽/мес**, а не 987 654 ₽. <script>window.pwned = 1</script>"
        ),
    )
    drawer = open_drawer(rec_index=SLOT)
    drawer.ask("Сколько я сэкономлю?")
    drawer.wait(FINAL)

    final = drawer.frames("assistant")[-1]
    assert final["unverified"] == ["987 654 ₽"]
    [citation] = final["citations"]
    assert citation["figures"] == ["12 346 ₽/мес"]
    answer = drawer.page.locator(ANSWER).last
    text = answer.locator(".chat-message-content").inner_text().replace("\u200b", "")
    assert f"987 654 ₽{UNVERIFIED_MARK}." in text
    assert "<script>window.pwned = 1</script>" in text
    chip = answer.locator(".ac-cite")
    assert chip.count() == 1 and chip.locator("summary").inner_text() == "[1]"
    assert not chip.locator(".ac-cite-body").is_visible()
    chip.locator("summary").click()
    body = chip.locator(".ac-cite-body")
    assert body.is_visible() and citation["label"] in body.inner_text()
    assert "12 346 ₽/мес" in chip.locator(".ac-cite-figures").inner_text()
    assert "987 654 ₽" in answer.locator(".ac-unverified").inner_text()
    assert answer.locator("script, img").count() == 0
    assert drawer.page.evaluate("window.pwned") is None
