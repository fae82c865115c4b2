"""analyze_screenshot: the vision model looks again at the user's own live screenshot,
metered against the user's budget and with the user's personal data kept from the model."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chat.image_memory import OwnedScreenshots
from chat.models import ChatImage
from chat.tests.image_helpers import image_store, is_look
from governance.budgets import budget_status
from governance.policy import policy_for
from infrazen.clock import utc_now
from llm.fake_server import Reply
from llm.models import LLMCall
from tools import analyze_screenshot
from tools.base import ToolError
from tools.registry import tool_run
from tools.vision import screenshots_visible

NAME = analyze_screenshot.NAME
SEEN = "На втором графике трафик: 3,2 ТБ за ноябрь."


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_IMAGE_TTL_S = 3600


@pytest.fixture(autouse=True)
def chat_lookup():
    """The chat lends its image lookup while it answers (chat.image_memory)."""
    with screenshots_visible(OwnedScreenshots()):
        yield


def analyze(user, image_id, question: str = "что на втором графике?"):
    arguments = {"image_id": str(image_id), "question": question}
    return tool_run(user=user, name=NAME, arguments_json=json.dumps(arguments))


def refusal(user, image_id) -> str:
    with pytest.raises(ToolError) as refused:
        analyze(user, image_id)
    return refused.value.message


def test_the_vision_model_answers_the_question_about_the_users_own_image(alice, fake_llm):
    image = image_store(user_id=alice.pk)
    fake_llm.route(Reply.answer(SEEN), when=is_look)
    used_before = budget_status(policy=policy_for(user=alice)).tokens_used

    result = analyze(alice, image.pk, "что на втором графике? Я Алиса, пишите на alice@example.com")

    assert result.status == "ok" and result.answer == SEEN and result.reason is None
    assert result.summary() == "Скриншот просмотрен"
    (sent,) = fake_llm.chat_requests()
    assert sent["model"] == "vision/primary"
    parts = sent["messages"][-1]["content"]
    assert parts[0]["text"].startswith("что на втором графике?")
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    # Scrubbed like the chat's calls: the user's email and name never reach the model.
    body = json.dumps(sent, ensure_ascii=False)
    assert "alice@example.com" not in body and "Алиса" not in body
    # Metered like the chat's calls: the budget settles with what the provider reported.
    row = LLMCall.objects.get(purpose=analyze_screenshot.PURPOSE, user_id=alice.pk)
    used = budget_status(policy=policy_for(user=alice)).tokens_used - used_before
    assert used == row.prompt_tokens + row.completion_tokens > 0


def test_bob_is_refused_alices_image_exactly_like_a_missing_or_expired_one(alice, bob, fake_llm):
    fake_llm.route(Reply.answer(SEEN), when=is_look)
    alices = image_store(user_id=alice.pk)
    anonymous = image_store(user_id=None)
    bobs_expired = image_store(user_id=bob.pk)
    ChatImage.objects.filter(pk=bobs_expired.pk).update(created_at=utc_now() - timedelta(hours=2))
    missing = refusal(bob, "0b3f8c1e-2d4a-4f6b-9c8d-7e6f5a4b3c2d")

    assert refusal(bob, alices.pk) == missing
    assert refusal(bob, bobs_expired.pk) == missing
    assert refusal(bob, "0B3F8C1E-2D4A-4F6B-9C8D-7E6F5A4B3C2Z") == missing
    # An unclaimed upload is nobody's yet: the tool reads, it never claims.
    assert refusal(bob, anonymous.pk) == missing
    assert ChatImage.objects.get(pk=anonymous.pk).user_id is None
    assert fake_llm.chat_requests() == []
    assert analyze(alice, alices.pk).answer == SEEN


def test_without_a_model_it_answers_a_reason_code(alice):
    image = image_store(user_id=alice.pk)
    result = analyze(alice, image.pk)
    assert (result.status, result.reason, result.answer) == ("unavailable", "llm_unavailable", None)
    assert result.summary() == "Модель зрения недоступна"


def test_a_failing_vision_model_is_a_clear_tool_error(alice, fake_llm):
    image = image_store(user_id=alice.pk)
    fake_llm.route(Reply.error(400), when=is_look)
    assert refusal(alice, image.pk) == analyze_screenshot.FAILED


def test_outside_an_answer_no_image_is_visible(alice, fake_llm, chat_lookup):
    image = image_store(user_id=alice.pk)
    with screenshots_visible(None):
        assert refusal(alice, image.pk) == analyze_screenshot.MISSING
    assert fake_llm.chat_requests() == []
