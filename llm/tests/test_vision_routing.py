from __future__ import annotations

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.tests.answers import asked

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Что на счёте?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ],
    }
]


async def test_an_image_goes_to_the_vision_model(fake_llm):
    answer = await asked(purpose="vision", messages=IMAGE_MESSAGES)

    assert answer.model == "vision/primary"
    sent = fake_llm.chat_requests()[0]
    assert sent["model"] == "vision/primary"
    assert sent["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png")


async def test_vision_calls_skip_fallbacks_that_cannot_see_images(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup", "vision/backup"]
    fake_llm.route(Reply.error(500), model="vision/primary")

    answer = await asked(purpose="vision", messages=IMAGE_MESSAGES)

    assert answer.model == "vision/backup"
    assert "text/backup" not in [r["model"] for r in fake_llm.chat_requests()]


async def test_an_explicit_vision_flag_routes_a_text_only_message_too(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(500), model="vision/primary")

    with pytest.raises(gateway.LLMUnavailable):
        await asked(purpose="vision", messages=[{"role": "user", "content": "x"}], vision=True)

    assert {r["model"] for r in fake_llm.chat_requests()} == {"vision/primary"}


async def test_streamed_vision_calls_are_routed_the_same_way(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup", "vision/backup"]
    fake_llm.route(Reply.error(404), model="vision/primary")

    events = [e async for e in gateway.stream(purpose="vision", messages=IMAGE_MESSAGES)]

    assert events[-1].completion.model == "vision/backup"


async def test_without_a_vision_capable_model_it_raises_at_once(fake_llm, settings):
    settings.LLM_VISION_MODELS = ["vision/primary"]

    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="vision", messages=IMAGE_MESSAGES, model="text/primary")

    assert raised.value.retryable is False
    assert fake_llm.requests == []
