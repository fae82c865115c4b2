from __future__ import annotations

import time

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import asked, said

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Привет"}]


async def test_a_hang_ends_at_the_timeout_and_the_retry_answers(fake_llm, settings):
    settings.LLM_TIMEOUT_S = 0.5
    fake_llm.enqueue(Reply.hang(10), Reply.structured_output(said("наконец")))

    started = time.monotonic()
    answer = await asked(purpose="test", messages=MESSAGES)
    elapsed = time.monotonic() - started

    assert answer.text == "наконец"
    assert 0.45 <= elapsed < 1.5
    outcomes = [r.outcome async for r in LLMCall.objects.order_by("id")]
    assert outcomes == [LLMCall.Outcome.TIMEOUT, LLMCall.Outcome.OK]
    # The abandoned request's connection was closed, not left hanging on the server.
    assert fake_llm.wait_for_disconnect(timeout=1)


async def test_hangs_on_every_attempt_fail_as_retryable_after_all_retries(fake_llm, settings):
    settings.LLM_TIMEOUT_S = 0.2
    settings.LLM_MAX_RETRIES = 1
    fake_llm.route(Reply.hang(10))

    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert raised.value.retryable is True
    assert await LLMCall.objects.filter(outcome=LLMCall.Outcome.TIMEOUT).acount() == 2


async def test_repeated_hangs_never_run_past_the_deadline(fake_llm, settings):
    settings.LLM_TIMEOUT_S = 0.6
    settings.LLM_MAX_RETRIES = 5
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.hang(10))

    started = time.monotonic()
    with pytest.raises(gateway.LLMDeadlineExceeded):
        await asked(purpose="test", messages=MESSAGES, deadline=gateway.deadline_in(1.5))
    elapsed = time.monotonic() - started

    assert 1.4 <= elapsed < 1.5 + 0.3
    outcomes = [r.outcome async for r in LLMCall.objects.order_by("id")]
    assert outcomes[-1] == LLMCall.Outcome.DEADLINE
    assert set(outcomes[:-1]) == {LLMCall.Outcome.TIMEOUT}


async def test_a_retry_after_beyond_the_deadline_raises_instead_of_sleeping(fake_llm, settings):
    settings.LLM_RETRY_MAX_S = 30.0
    fake_llm.route(Reply.error(429, retry_after=10))

    started = time.monotonic()
    with pytest.raises(gateway.LLMDeadlineExceeded):
        await asked(purpose="test", messages=MESSAGES, deadline=gateway.deadline_in(1.5))

    assert time.monotonic() - started < 1.5
    assert len(fake_llm.chat_requests()) == 1


async def test_an_expired_deadline_sends_nothing(fake_llm):
    with pytest.raises(gateway.LLMDeadlineExceeded):
        await asked(purpose="test", messages=MESSAGES, deadline=time.monotonic() - 1)

    assert fake_llm.chat_requests() == []


async def test_a_stream_that_stalls_after_its_first_delta_fails_at_the_timeout(fake_llm, settings):
    settings.LLM_TIMEOUT_S = 0.3
    fake_llm.enqueue(Reply.answer("один два три четыре", tokens_per_s=1))

    received = []
    started = time.monotonic()
    with pytest.raises(gateway.LLMError):
        async for event in gateway.stream(purpose="chat", messages=MESSAGES):
            received.append(event)

    assert time.monotonic() - started < 1.0
    assert received and received[0].kind == "delta"
    row = await LLMCall.objects.aget()
    assert row.outcome == LLMCall.Outcome.TIMEOUT


async def test_a_stream_running_past_the_deadline_raises_deadline_exceeded(fake_llm):
    fake_llm.enqueue(Reply.answer("слово " * 100, tokens_per_s=20))

    started = time.monotonic()
    with pytest.raises(gateway.LLMDeadlineExceeded):
        async for _ in gateway.stream(
            purpose="chat", messages=MESSAGES, deadline=gateway.deadline_in(0.5)
        ):
            pass

    assert time.monotonic() - started < 0.5 + 0.2
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.DEADLINE
