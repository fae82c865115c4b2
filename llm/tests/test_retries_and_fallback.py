from __future__ import annotations

import time

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import asked, said

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Привет"}]


async def outcomes() -> list[tuple[str, str]]:
    return [(r.model_requested, r.outcome) async for r in LLMCall.objects.order_by("id")]


async def test_a_429_with_retry_after_is_retried_after_waiting_that_long(fake_llm, settings):
    settings.LLM_RETRY_MAX_S = 2.0
    fake_llm.enqueue(Reply.error(429, retry_after=1), Reply.structured_output(said("готово")))

    started = time.monotonic()
    answer = await asked(purpose="test", messages=MESSAGES)
    elapsed = time.monotonic() - started

    assert answer.text == "готово"
    assert elapsed >= 0.95
    assert answer.attempts == 2
    assert await outcomes() == [
        ("text/primary", LLMCall.Outcome.RATE_LIMITED),
        ("text/primary", LLMCall.Outcome.OK),
    ]
    row = await LLMCall.objects.order_by("id").afirst()
    assert row.http_status == 429


async def test_retry_after_ms_is_honoured_too(fake_llm, settings):
    settings.LLM_RETRY_MAX_S = 2.0
    fake_llm.enqueue(Reply.error(429, retry_after_ms=300), Reply.structured_output(said("готово")))

    started = time.monotonic()
    await asked(purpose="test", messages=MESSAGES)

    assert time.monotonic() - started >= 0.28


async def test_a_failing_primary_falls_back_after_its_retries_and_says_who_answered(
    fake_llm, settings
):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(500), model="text/primary")
    fake_llm.route(Reply.structured_output(said("ответ резервной модели")), model="text/backup")

    answer = await asked(purpose="test", messages=MESSAGES)

    assert answer.text == "ответ резервной модели"
    assert answer.model == "text/backup"
    assert answer.model_requested == "text/primary"
    assert [r["model"] for r in fake_llm.chat_requests()] == ["text/primary"] * 3 + ["text/backup"]
    assert await outcomes() == [("text/primary", LLMCall.Outcome.SERVER_ERROR)] * 3 + [
        ("text/backup", LLMCall.Outcome.OK)
    ]


async def test_when_every_model_fails_it_raises_a_retryable_unavailable(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(503))

    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert raised.value.retryable is True
    assert len(fake_llm.chat_requests()) == 6
    assert await LLMCall.objects.filter(outcome=LLMCall.Outcome.SERVER_ERROR).acount() == 6


async def test_a_400_is_neither_retried_nor_sent_to_a_fallback(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(400))

    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert raised.value.retryable is False
    assert len(fake_llm.chat_requests()) == 1
    assert await outcomes() == [("text/primary", LLMCall.Outcome.BAD_REQUEST)]


async def test_a_401_stops_at_once(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(401))

    with pytest.raises(gateway.LLMUnavailable):
        await asked(purpose="test", messages=MESSAGES)

    assert len(fake_llm.chat_requests()) == 1


async def test_a_missing_model_goes_straight_to_the_fallback(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(404), model="text/primary")

    answer = await asked(purpose="test", messages=MESSAGES)

    assert answer.model == "text/backup"
    assert await outcomes() == [
        ("text/primary", LLMCall.Outcome.NOT_FOUND),
        ("text/backup", LLMCall.Outcome.OK),
    ]


async def test_a_retry_after_longer_than_we_ever_wait_moves_to_the_fallback_at_once(
    fake_llm, settings
):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.error(429, retry_after=30), model="text/primary")

    started = time.monotonic()
    answer = await asked(purpose="test", messages=MESSAGES)

    assert time.monotonic() - started < 0.5
    assert answer.model == "text/backup"
