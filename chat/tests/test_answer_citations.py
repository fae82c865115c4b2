"""A finished answer's figures traced to its data, end to end (real ASGI router, real engine,
the fake model over HTTP): the final frame cites what matched, an invented figure is marked in
the frame, the row and the record, and the admin transcript shows it; markup stays text."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chat.citations import UNVERIFIED_MARK
from chat.models import AgentMessageFigures
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatMessage
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)

# The `rec` fixture saves 1 000 ₽ a month (conftest.make_recommendation).
HONEST = "Экономия **1 000 ₽/мес**, то есть 12 000 ₽ в год."
LYING = HONEST + " А за год набежит 987 654 ₽."


async def ask(alice, rec, fake_llm, answer: str | None) -> dict:
    """The final frame of one question; `answer` None: no model, the offline assistant."""
    if answer is not None:
        fake_llm.enqueue(
            Reply.calls(
                [{"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}]
            ),
            Reply.answer(answer),
        )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.send({"type": "message", "content": "Сколько сэкономлю?", "client_id": "c-1"})
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()
    return final


async def test_the_final_frame_cites_each_figure_to_its_tool_result(alice, rec, fake_llm):
    final = await ask(alice, rec, fake_llm, HONEST)

    assert final["content"] == HONEST
    assert final["unverified"] == []
    [citation] = final["citations"]
    assert citation["n"] == 1 and citation["tool"] == "get_recommendation"
    assert citation["label"] == "Читаю рекомендацию" and citation["summary"]
    assert citation["figures"] == ["1 000 ₽/мес", "12 000 ₽"]
    record = await AgentMessageFigures.objects.aget(message_id=final["message_id"])
    assert (record.cited, record.unverified, record.user_id) == (2, 0, alice.pk)
    assert record.citations == final["citations"]


async def test_an_invented_figure_is_marked_in_the_frame_the_row_and_the_record(
    alice, rec, fake_llm
):
    final = await ask(alice, rec, fake_llm, LYING)

    marked = HONEST + f" А за год набежит 987 654 ₽{UNVERIFIED_MARK}."
    assert final["content"] == marked
    assert final["unverified"] == ["987 654 ₽"]
    assert final["citations"][0]["figures"] == ["1 000 ₽/мес", "12 000 ₽"]
    row = await ChatMessage.objects.aget(pk=final["message_id"])
    assert row.content == marked
    record = await AgentMessageFigures.objects.aget(message_id=final["message_id"])
    assert (record.cited, record.unverified, record.unverified_figures) == (2, 1, ["987 654 ₽"])


async def test_an_answer_with_markup_and_an_invented_figure_stays_text(alice, rec, fake_llm):
    final = await ask(alice, rec, fake_llm, "<script>alert(1)</script> Итого 987 654 ₽.")

    assert final["content"] == (
        f"<\u200bscript>alert(1)<\u200b/script> Итого 987 654 ₽{UNVERIFIED_MARK}."
    )


async def test_an_answer_without_figures_leaves_no_record(alice, rec, fake_llm):
    final = await ask(alice, rec, fake_llm, "Рекомендуем перенести сервер.")

    assert final["citations"] == [] and final["unverified"] == []
    assert not await AgentMessageFigures.objects.aexists()


async def test_the_offline_assistant_is_cited_and_never_marked(alice, rec):
    final = await ask(alice, rec, None, None)

    assert final["model"] == "offline"
    assert UNVERIFIED_MARK not in final["content"] and final["unverified"] == []
    assert final["citations"] and final["citations"][0]["tool"] == "get_recommendation"


async def test_the_admin_transcript_counts_and_names_unverified_figures(
    alice, rec, fake_llm, async_client
):
    final = await ask(alice, rec, fake_llm, LYING.replace("987 654", "<b>987 654</b>"))
    admin = await User.objects.acreate_superuser("admin", "admin@example.com", "pw-for-tests")
    await async_client.aforce_login(admin)

    record = await AgentMessageFigures.objects.aget(message_id=final["message_id"])
    url = reverse("admin:infrazen_chatsession_change", args=[record.session_id])
    page = (await async_client.get(url)).content.decode()
    assert "Цифры: с источником 2, не проверено 1: 987 654" in page
    assert "<b>987" not in page and "&lt;" in page
    listing = await async_client.get(
        reverse("admin:chat_agentmessagefigures_changelist"), {"unverified": "yes"}
    )
    assert listing.status_code == 200 and str(final["message_id"]) in listing.content.decode()


async def test_a_failing_check_leaves_the_answer_stored_and_sent_unchecked(
    alice, rec, fake_llm, monkeypatch
):
    def broken(**_):
        raise RuntimeError("bug in the check")

    monkeypatch.setattr("chat.turns.figures_check", broken)
    final = await ask(alice, rec, fake_llm, LYING)

    assert final["status"] == "done" and final["content"] == LYING
    assert final["citations"] == [] and final["unverified"] == []
    assert (await ChatMessage.objects.aget(pk=final["message_id"])).content == LYING
