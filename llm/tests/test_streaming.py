from __future__ import annotations

from decimal import Decimal

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Расскажи про мои расходы"}]


async def collect(**kwargs) -> list[gateway.StreamEvent]:
    return [event async for event in gateway.stream(purpose="chat", messages=MESSAGES, **kwargs)]


async def test_it_yields_text_deltas_then_done_with_usage_cost_and_ttft(fake_llm):
    fake_llm.enqueue(
        # Paced: the deltas of one network read go on as one piece.
        Reply.answer(
            "Ваши расходы выросли на 12% за месяц",
            prompt_tokens=100,
            cost=0.0007,
            tokens_per_s=200,
        )
    )

    events = await collect()

    deltas = [e for e in events if e.kind == "delta"]
    assert len(deltas) > 3
    assert "".join(e.text for e in deltas) == "Ваши расходы выросли на 12% за месяц"
    assert [e.kind for e in events][-1] == "done"
    done = events[-1].completion
    assert done.text == "Ваши расходы выросли на 12% за месяц"
    assert done.prompt_tokens == 100
    assert done.completion_tokens > 0
    assert done.cost_usd == Decimal("0.0007")
    assert done.ttft_ms is not None
    assert done.model == "text/primary"
    assert done.finish_reason == "stop"
    sent = fake_llm.chat_requests()[0]
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    row = await LLMCall.objects.aget()
    assert row.outcome == LLMCall.Outcome.OK
    assert row.stream is True
    assert row.ttft_ms is not None
    assert row.prompt_tokens == 100
    assert row.cost_usd == Decimal("0.0007")


async def test_without_a_reported_cost_the_stream_is_priced_from_the_table(fake_llm):
    fake_llm.enqueue(Reply.answer("ok", prompt_tokens=1_000_000, completion_tokens=0))

    events = await collect()

    assert events[-1].completion.cost_usd == Decimal("1")


async def test_tool_call_deltas_are_assembled_into_complete_tool_calls(fake_llm):
    arguments = {"provider": "yandex", "period": "last_30_days", "group_by": "service"}
    fake_llm.enqueue(
        Reply.calls(
            [
                {"name": "get_costs", "arguments": arguments, "id": "call_1"},
                {"name": "get_resources", "arguments": {"status": "STOPPED"}, "id": "call_2"},
            ]
        )
    )

    events = await collect(tools=[{"type": "function", "function": {"name": "get_costs"}}])

    calls = [e.tool_call for e in events if e.kind == "tool_call"]
    assert [(c.id, c.name) for c in calls] == [("call_1", "get_costs"), ("call_2", "get_resources")]
    assert calls[0].arguments == (
        '{"provider": "yandex", "period": "last_30_days", "group_by": "service"}'
    )
    assert events[-1].kind == "done"
    assert events[-1].completion.finish_reason == "tool_calls"
    assert events[-1].completion.tool_calls == calls


async def test_a_failure_before_the_first_delta_is_retried_invisibly(fake_llm):
    fake_llm.enqueue(Reply.error(503), Reply.answer("второй раз"))

    events = await collect()

    assert "".join(e.text for e in events if e.kind == "delta") == "второй раз"
    outcomes = [r.outcome async for r in LLMCall.objects.order_by("id")]
    assert outcomes == [LLMCall.Outcome.SERVER_ERROR, LLMCall.Outcome.OK]
