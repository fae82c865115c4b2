"""A plain text answer (the chat's, streamed): its text, tool calls, tokens and cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import streamed

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Сколько я сэкономлю?"}]


async def test_it_returns_the_text_and_accounts_tokens_and_cost_from_the_price_table(fake_llm):
    fake_llm.enqueue(Reply.answer("Около 3 000 ₽", prompt_tokens=1000, completion_tokens=500))

    answer = await streamed(
        purpose="test", messages=MESSAGES, user_id=7, correlation_id="cid-1", max_tokens=123
    )

    assert answer.text == "Около 3 000 ₽"
    assert answer.model == "text/primary"
    assert answer.prompt_tokens == 1000
    assert answer.completion_tokens == 500
    assert answer.total_tokens == 1500
    # 1000 * $1/M + 500 * $2/M
    assert answer.cost_usd == Decimal("0.002")
    assert answer.finish_reason == "stop"
    sent = fake_llm.chat_requests()[0]
    assert sent["model"] == "text/primary"
    assert sent["max_tokens"] == 123
    assert sent["messages"] == MESSAGES
    row = await LLMCall.objects.aget()
    assert row.outcome == LLMCall.Outcome.OK
    assert (row.prompt_tokens, row.completion_tokens, row.total_tokens) == (1000, 500, 1500)
    assert row.cost_usd == Decimal("0.002")
    assert (row.user_id, row.correlation_id, row.purpose) == (7, "cid-1", "test")
    assert row.model_answered == "text/primary"
    assert row.http_status == 200


async def test_the_provider_reported_cost_wins_over_the_price_table(fake_llm):
    fake_llm.enqueue(Reply.answer("ok", prompt_tokens=1000, completion_tokens=500, cost=0.0425))

    answer = await streamed(purpose="test", messages=MESSAGES)

    assert answer.cost_usd == Decimal("0.0425")
    row = await LLMCall.objects.aget()
    assert row.cost_usd == Decimal("0.0425")


async def test_tool_calls_come_back_with_their_json_arguments(fake_llm):
    fake_llm.enqueue(Reply.calls([{"name": "get_costs", "arguments": {"period": "month"}}]))
    tools = [{"type": "function", "function": {"name": "get_costs", "parameters": {}}}]

    answer = await streamed(purpose="test", messages=MESSAGES, tools=tools)

    assert answer.finish_reason == "tool_calls"
    [call] = answer.tool_calls
    assert call.name == "get_costs"
    assert call.arguments == '{"period": "month"}'
    assert fake_llm.chat_requests()[0]["tools"] == tools
