"""Screenshots stay in the conversation (issue 21 §3): a pasted image is read once by the
vision model alongside its answer, the reading is stored with the user message, and later
turns get it in their history, also after the image itself has been purged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from chat.image_memory import readings_in_history
from chat.image_prompts import READING_QUESTION
from chat.images import chat_images_purge
from chat.models import ChatImage, ChatImageReading, ToolCallAudit
from chat.tests.image_helpers import (
    READING,
    answer_requests,
    image_store,
    is_look,
    is_reading,
)
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from chat.transcript import transcript_html
from infrazen.clock import utc_now
from infrazen.models import ChatMessage, ChatSession
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_IMAGE_TTL_S = 3600


async def ask(client: ChatClient, question: str) -> dict:
    await client.ask(question)
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    return final


def _expire(image: ChatImage) -> None:
    ChatImage.objects.filter(pk=image.pk).update(created_at=utc_now() - timedelta(hours=2))
    chat_images_purge()


async def test_the_reading_is_stored_and_two_turns_later_the_model_still_gets_it(
    alice, rec, fake_llm
):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.answer(READING), when=is_reading)
    fake_llm.enqueue(
        Reply.answer("На скриншоте два графика."),
        Reply.answer("Пожалуйста."),
        Reply.answer("На втором графике трафик: 3,2 ТБ за месяц."),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    assert (await ask(client, f"[image:{image.pk}] что на скриншоте?"))["status"] == "done"

    question = await ChatMessage.objects.filter(role="user").aget()
    reading = await ChatImageReading.objects.aget()
    assert (reading.message_id, reading.image_id, reading.position) == (question.pk, image.pk, 1)
    assert (reading.session_id, reading.user_id) == (question.session_id, alice.pk)
    assert reading.text == READING and reading.model == "vision/primary"
    # One vision call read it: the reading question with the image, its row accounted.
    (sent,) = [body for body in fake_llm.chat_requests() if is_reading(body)]
    assert sent["model"] == "vision/primary"
    parts = sent["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": READING_QUESTION}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    calls = LLMCall.objects.filter(purpose="chat_image_reading", outcome="ok", user_id=alice.pk)
    assert await calls.acount() == 1

    await ask(client, "Спасибо")
    # The image expires and is purged; what was read from it stays.
    await database_sync_to_async(_expire)(image)
    assert not await ChatImage.objects.filter(pk=image.pk).aexists()
    assert await ChatImageReading.objects.filter(image_id=image.pk).aexists()

    final = await ask(client, "а что на втором графике?")
    assert final["content"] == "На втором графике трафик: 3,2 ТБ за месяц."
    third = answer_requests(fake_llm)[2]
    history = json.dumps(third["messages"], ensure_ascii=False)
    assert READING in history and str(image.pk) in history
    assert f"[image:{image.pk}]" not in history and "image_url" not in history
    assert third["messages"][-1] == {"role": "user", "content": "а что на втором графике?"}
    # Read once: later turns reuse the reading.
    assert len([body for body in fake_llm.chat_requests() if is_reading(body)]) == 1
    await client.close()

    # The admin transcript shows the reading under the question.
    session = await ChatSession.objects.aget(pk=question.session_id)
    html = await database_sync_to_async(transcript_html)(session=session)
    assert "изображение 1 прочитано" in html and "3,2 ТБ" in html


async def test_a_failed_reading_never_fails_the_answer_and_later_turns_say_so(alice, rec, fake_llm):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.error(400), when=is_reading)
    fake_llm.enqueue(Reply.answer("На скриншоте счёт."), Reply.answer("Не вижу его больше."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    assert (await ask(client, f"[image:{image.pk}] что тут?"))["status"] == "done"
    assert not await ChatImageReading.objects.aexists()
    await ask(client, "а что там было?")
    history = json.dumps(answer_requests(fake_llm)[1]["messages"], ensure_ascii=False)
    assert "прочитать не удалось" in history and str(image.pk) in history
    await client.close()


async def test_a_pasted_image_already_read_is_not_read_again(alice, rec, fake_llm):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.answer(READING), when=is_reading)
    fake_llm.enqueue(Reply.answer("Первый ответ."), Reply.answer("Второй ответ."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await ask(client, f"[image:{image.pk}] что тут?")
    await ask(client, f"[image:{image.pk}] а ещё раз?")
    await client.close()
    assert len([body for body in fake_llm.chat_requests() if is_reading(body)]) == 1
    assert await ChatImageReading.objects.acount() == 1


async def test_the_model_looks_again_with_analyze_screenshot_in_a_later_turn(alice, rec, fake_llm):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.answer(READING), when=is_reading)
    fake_llm.route(Reply.answer("Пик 14.11: 12 400 ₽."), when=is_look)
    call = {"image_id": str(image.pk), "question": "какой пик на первом графике?"}
    fake_llm.enqueue(
        Reply.answer("На скриншоте два графика."),
        Reply.calls([{"name": "analyze_screenshot", "arguments": call}]),
        Reply.answer("Пик был 14 ноября: 12 400 ₽."),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await ask(client, f"[image:{image.pk}] что на скриншоте?")

    await client.send({"type": "message", "content": "какой там пик?", "client_id": "c-2"})
    got = await client.until("assistant")
    await answers_settled()
    await client.close()
    (result,) = [frame for frame in got if frame["type"] == "tool_result"]
    assert result["ok"] and result["summary"] == "Скриншот просмотрен"
    assert got[-1]["content"] == "Пик был 14 ноября: 12 400 ₽."
    tool_message = answer_requests(fake_llm)[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and "12 400" in tool_message["content"]
    audit = await ToolCallAudit.objects.aget(tool="analyze_screenshot")
    assert audit.ok and audit.user_id == alice.pk
    looks = LLMCall.objects.filter(purpose="chat_analyze_screenshot", user_id=alice.pk)
    assert await looks.acount() == 1


def test_readings_reach_only_their_own_users_session(alice, bob):
    image_id = "0b3f8c1e-2d4a-4f6b-9c8d-7e6f5a4b3c2d"
    ChatImageReading.objects.create(
        image_id=image_id, message_id=1, session_id="s-alice", user_id=alice.pk, text=READING
    )
    history = [{"role": "user", "content": f"[image:{image_id}] что тут?"}]

    mine = readings_in_history(history, session_id="s-alice", user_id=alice.pk)
    assert READING in mine[0]["content"] and "[image:" not in mine[0]["content"]
    for session_id, user_id in (("s-alice", bob.pk), ("s-bob", bob.pk), ("s-bob", alice.pk)):
        theirs = readings_in_history(history, session_id=session_id, user_id=user_id)
        assert READING not in theirs[0]["content"]
        assert "прочитать не удалось" in theirs[0]["content"]
