"""An answer's cost holds every model call of its turn (issue 20): the vision model's reading of
a pasted image and its looks for analyze_screenshot are in the answer's `agent_message_costs`
row and its final frame, beside the answer's own rounds, so per-message costs sum to the turn's
`llm_calls` rows (the spend view's)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.db.models import Sum

from chat.models import AgentMessageCost
from chat.tests.image_helpers import READING, image_store, is_look, is_reading
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_IMAGE_TTL_S = 3600


def usage(prompt: int, completion: int, cost: float) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "cost": cost}


async def ask(client: ChatClient, question: str) -> dict:
    await client.ask(question)
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    return final


async def turn_calls(cost: AgentMessageCost) -> dict:
    """What the turn's llm_calls rows (by its correlation id) sum to, and their purposes."""
    calls = LLMCall.objects.filter(correlation_id=cost.correlation_id)
    sums = await calls.aaggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), usd=Sum("cost_usd")
    )
    purposes = sorted([purpose async for purpose in calls.values_list("purpose", flat=True)])
    return {**sums, "purposes": purposes}


def assert_cost_is_the_turns(final: dict, cost: AgentMessageCost, calls: dict) -> None:
    assert (cost.prompt_tokens, cost.completion_tokens) == (calls["prompt"], calls["completion"])
    assert cost.cost_usd == calls["usd"]
    assert (final["prompt_tokens"], final["completion_tokens"]) == (
        calls["prompt"],
        calls["completion"],
    )
    assert final["tokens"] == calls["prompt"] + calls["completion"]
    assert Decimal(str(final["cost_usd"])) == calls["usd"]


async def test_a_pasted_images_reading_is_in_the_answers_cost(alice, rec, fake_llm):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.answer(READING, **usage(700, 90, 0.004)), when=is_reading)
    fake_llm.enqueue(Reply.answer("На скриншоте два графика.", **usage(1000, 50, 0.01)))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = await ask(client, f"[image:{image.pk}] что на скриншоте?")
    await client.close()

    assert final["status"] == "done"
    cost = await AgentMessageCost.objects.aget(message_id=final["message_id"])
    calls = await turn_calls(cost)
    assert calls["purposes"] == ["chat_image_reading", "chat_recommendation"]
    assert (calls["prompt"], calls["completion"], calls["usd"]) == (1700, 140, Decimal("0.014"))
    assert_cost_is_the_turns(final, cost, calls)
    # The row's model is the one that wrote the answer (a question with an image goes to the
    # vision model).
    assert cost.model == final["model"] == "vision/primary"


async def test_an_analyze_screenshot_look_is_in_the_answers_cost(alice, rec, fake_llm):
    image = await database_sync_to_async(image_store)(user_id=alice.pk)
    fake_llm.route(Reply.answer(READING, **usage(700, 90, 0.004)), when=is_reading)
    fake_llm.route(Reply.answer("Пик 14.11: 12 400 ₽.", **usage(650, 20, 0.003)), when=is_look)
    call = {"image_id": str(image.pk), "question": "какой пик на первом графике?"}
    fake_llm.enqueue(
        Reply.answer("На скриншоте два графика.", **usage(1000, 50, 0.01)),
        Reply.calls([{"name": "analyze_screenshot", "arguments": call}], **usage(1200, 30, 0.02)),
        Reply.answer("Пик был 14 ноября: 12 400 ₽.", **usage(1500, 40, 0.03)),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    first = await ask(client, f"[image:{image.pk}] что на скриншоте?")
    final = await ask(client, "какой там пик?")
    await client.close()

    assert final["status"] == "done" and final["tool_calls"] == 1
    cost = await AgentMessageCost.objects.aget(message_id=final["message_id"])
    calls = await turn_calls(cost)
    assert calls["purposes"] == [
        "chat_analyze_screenshot",
        "chat_recommendation",
        "chat_recommendation",
    ]
    assert (calls["prompt"], calls["completion"], calls["usd"]) == (3350, 90, Decimal("0.053"))
    assert_cost_is_the_turns(final, cost, calls)
    assert cost.model == final["model"] == "text/primary"
    # Every message's cost together is every model call of the session: the spend view's sum.
    costs = AgentMessageCost.objects.filter(message_id__in=[first["message_id"], cost.message_id])
    total = await costs.aaggregate(usd=Sum("cost_usd"))
    spent = await LLMCall.objects.filter(user_id=alice.pk).aaggregate(usd=Sum("cost_usd"))
    assert total["usd"] == spent["usd"] == Decimal("0.067")
