from __future__ import annotations

import asyncio

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import asked

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Расскажи подробно"}]
LONG = "слово " * 500


async def test_cancelling_the_consuming_task_closes_the_upstream_response(fake_llm):
    fake_llm.enqueue(Reply.answer(LONG, tokens_per_s=100))
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for event in gateway.stream(purpose="chat", messages=MESSAGES):
            if event.kind == "delta":
                first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), timeout=2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=1)
    assert fake_llm.disconnects[0].chunks_sent < 50
    row = await LLMCall.objects.aget()
    assert row.outcome == LLMCall.Outcome.CANCELLED


async def test_closing_the_iterator_closes_the_upstream_response(fake_llm):
    fake_llm.enqueue(Reply.answer(LONG, tokens_per_s=100))

    events = gateway.stream(purpose="chat", messages=MESSAGES)
    async for event in events:
        if event.kind == "delta":
            break
    await events.aclose()

    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=1)
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.CANCELLED


async def test_cancelling_while_waiting_for_the_first_byte_closes_the_request(fake_llm):
    fake_llm.enqueue(Reply.hang(10))

    task = asyncio.create_task(asked(purpose="text", messages=MESSAGES))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=1)
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.CANCELLED
