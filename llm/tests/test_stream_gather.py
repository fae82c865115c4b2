"""A stream read at most every `gather_s`: the first delta at once, the rest in fewer, larger
pieces that add up to the same text; a stop during a pause still closes the upstream."""

from __future__ import annotations

import asyncio
import time

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.sdk_private import StreamBody

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Расскажи подробно"}]
TEXT = "слово " * 40  # 40 words, one a chunk


async def _deltas(**kwargs) -> list[tuple[float, str]]:
    started = time.monotonic()
    return [
        (time.monotonic() - started, event.text)
        async for event in gateway.stream(purpose="chat", messages=MESSAGES, **kwargs)
        if event.kind == "delta"
    ]


async def _on_the_wire(fake_llm) -> None:
    """One answer first: the SDK client reads its streams from aiohttp (StreamBody) once it
    has made a request of its own."""
    fake_llm.enqueue(Reply.answer("готово"))
    await _deltas()


async def test_gathered_reads_give_the_same_text_in_fewer_pieces(fake_llm, monkeypatch):
    await _on_the_wire(fake_llm)
    bodies = []
    gather = StreamBody.gather

    async def noted(self, seconds):
        bodies.append(seconds)
        await gather(self, seconds)

    monkeypatch.setattr(StreamBody, "gather", noted)
    fake_llm.enqueue(Reply.answer(TEXT, tokens_per_s=100), Reply.answer(TEXT, tokens_per_s=100))

    each = await _deltas()
    gathered = await _deltas(gather_s=0.1)

    assert "".join(text for _, text in each) == "".join(text for _, text in gathered) == TEXT
    assert len(each) >= 30
    assert len(gathered) <= 10
    assert gathered[0][1] == "слово "  # the first piece at once, alone
    assert bodies and all(0 < seconds <= 0.1 for seconds in bodies)


async def test_a_stop_during_a_pause_closes_the_upstream(fake_llm):
    await _on_the_wire(fake_llm)
    fake_llm.enqueue(Reply.answer("слово " * 500, tokens_per_s=100))
    first = asyncio.Event()

    async def consume() -> None:
        events = gateway.stream(purpose="chat", messages=MESSAGES, gather_s=0.5)
        async for event in events:
            if event.kind == "delta":
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), timeout=2)
    await asyncio.sleep(0.1)  # inside the pause
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await asyncio.to_thread(fake_llm.wait_for_disconnect, timeout=1)
    rows = [row async for row in LLMCall.objects.order_by("id")]
    assert rows[-1].outcome == LLMCall.Outcome.CANCELLED
