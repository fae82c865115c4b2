"""The chat under its users' budgets and limits (issue 20): refusals as `quota_exceeded` in
Russian with the question stored, the service's cap answered offline, the budget left in the
final frame, the day's reset at Moscow midnight, the demo limits and model, the tools."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from chat import texts
from chat.models import AgentMessageCost, ToolCallAudit
from chat.quota import tool_refusal
from chat.tests.socket_helpers import ANSWER, analytics_path, rec_path, session_of, stored_async
from chat.tests.wsclient import ChatClient, answers_settled, types
from governance.policy import policy_for_id
from governance.refusals import LIMIT_QUESTIONS, LIMIT_RUB, LIMIT_TOKENS
from governance.tests.wiring import spend
from llm.fake_server import Reply
from tools import registry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]


async def _asked(client: ChatClient, question: str) -> list[dict]:
    await client.ask(question)
    frames = await client.until("assistant")
    await answers_settled()
    return frames


async def test_the_final_frame_carries_the_cost_and_the_budget_left(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer(ANSWER, prompt_tokens=1000, completion_tokens=500, cost=0.05))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = (await _asked(client, "Сколько я сэкономлю?"))[-1]
    await client.close()

    assert final["status"] == "done" and final["cost_usd"] == 0.05
    assert final["budget"]["rub_left"] == 145.0
    assert final["budget"]["tokens_left"] == 200_000 - 1500
    assert final["budget"]["resets_at"].endswith("T00:00:00+03:00")
    cost = await AgentMessageCost.objects.aget(message_id=final["message_id"])
    assert (cost.user_id, cost.prompt_tokens, cost.completion_tokens) == (alice.pk, 1000, 500)
    assert cost.cost_rub == Decimal(5) and cost.model == "text/primary"


async def test_a_question_over_the_per_minute_limit_is_refused_in_russian_and_stored(
    alice, rec, fake_llm, settings
):
    settings.AGENT_ROLE_LIMITS["user"]["questions_per_minute"] = 1
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await _asked(client, "Первый вопрос")
    got = await _asked(client, "Второй вопрос")

    assert types(got) == ["error", "assistant"]
    error, final = got
    assert error["code"] == "quota_exceeded" and error["limit"] == LIMIT_QUESTIONS
    assert error["message"].startswith("Слишком много вопросов: не больше 1 в минуту.")
    assert 1 <= error["retry_after_s"] <= 60 and error["resets_at"]
    assert final["status"] == "refused" and final["message_id"] == error["message_id"]
    assert final["content"].endswith("[вопрос остался без ответа: исчерпан лимит]")
    assert len(fake_llm.chat_requests()) == 1
    await client.close()

    session = (await session_of(alice, rec))[1]
    rows = await stored_async(session.pk)
    assert rows[2] == ("user", "Второй вопрос")
    assert rows[3] == ("assistant", final["content"])
    assert error["message"] in rows[3][1]


async def test_a_spent_daily_budget_refuses_before_the_model(alice, rec, fake_llm, moved_clock):
    await database_sync_to_async(spend)(alice.pk, rub="150")
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Что дальше?")
    await client.close()

    error = next(f for f in got if f["type"] == "error")
    assert error["code"] == "quota_exceeded" and error["limit"] == LIMIT_RUB
    assert error["message"] == (
        "Дневной лимит на запросы к модели исчерпан: 150 ₽ из 150 ₽. Лимит обновится в 00:00 "
        "по московскому времени (через 3 ч 20 мин)."
    )
    assert error["resets_at"] == "2026-12-08T00:00:00+03:00"
    assert error["retry_after_s"] == 12_000
    assert got[-1]["status"] == "refused" and got[-1]["budget"]["rub_left"] == 0
    assert fake_llm.chat_requests() == []
    session = (await session_of(alice, rec))[1]
    assert [role for role, _ in await stored_async(session.pk)] == ["user", "assistant"]


async def test_the_budget_resets_at_moscow_midnight(alice, rec, fake_llm, moved_clock):
    await database_sync_to_async(spend)(alice.pk, rub="150")
    fake_llm.enqueue(Reply.answer(ANSWER, cost=0.01))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    # 23:59 in Moscow: still the spent day.
    moved_clock.now = datetime(2026, 12, 7, 20, 59, 0)
    assert (await _asked(client, "Ещё вопрос"))[-1]["status"] == "refused"
    # 00:00:30 in Moscow (21:00:30 UTC, still the 7th in UTC): a new budget day.
    moved_clock.now = datetime(2026, 12, 7, 21, 0, 30)
    final = (await _asked(client, "А теперь?"))[-1]
    await client.close()

    assert final["status"] == "done" and final["content"] == ANSWER
    assert final["budget"]["rub_left"] == 149.0
    assert final["budget"]["resets_at"] == "2026-12-09T00:00:00+03:00"


async def test_the_service_cap_answers_from_the_offline_assistant_and_says_so(
    alice, rec, fake_llm, settings
):
    settings.AGENT_DAILY_CAP_RUB = 100.0
    await database_sync_to_async(spend)(alice.pk, rub="100")
    settings.AGENT_ROLE_LIMITS["user"]["rub_per_day"] = 1000
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Что это за рекомендация?")
    await client.close()

    final = got[-1]
    assert "error" not in types(got)
    assert final["status"] == "done" and final["model"] == "offline"
    assert final["content"].startswith("Дневной бюджет сервиса на запросы к модели исчерпан")
    assert "ответы собираются по шаблонам, без модели" in final["content"]
    assert fake_llm.chat_requests() == []


async def test_a_model_call_that_ends_settles_its_reservation(alice, rec, fake_llm):
    """Three rounds (two tool rounds and the answer): each reserves and settles to the
    provider's cost, so the day holds what the calls cost, no estimate left over."""
    call = {"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}
    fake_llm.enqueue(
        Reply.calls([call], prompt_tokens=100, completion_tokens=10, cost=0.01),
        Reply.calls([call], prompt_tokens=100, completion_tokens=10, cost=0.01),
        Reply.answer(ANSWER, prompt_tokens=100, completion_tokens=10, cost=0.01),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = (await _asked(client, "Подробнее?"))[-1]
    await client.close()

    assert final["status"] == "done" and final["tool_calls"] == 2
    assert final["budget"] == {
        "rub_left": 147.0,
        "tokens_left": 200_000 - 330,
        "resets_at": final["budget"]["resets_at"],
    }


async def test_a_tool_over_its_per_minute_limit_is_refused_to_the_model(
    alice, rec, fake_llm, settings
):
    settings.AGENT_ROLE_LIMITS["user"]["tool_calls_per_minute"] = 1
    refused_before = _tool_calls("get_recommendation", "refused")
    call = {"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}
    fake_llm.enqueue(Reply.calls([call, call]), Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Подробнее?")
    await client.close()

    results = [f for f in got if f["type"] == "tool_result"]
    assert [r["ok"] for r in results] == [True, False], results
    assert "«get_recommendation» вызывается слишком часто" in results[1]["summary"]
    shown = fake_llm.chat_requests()[1]["messages"][-1]["content"]
    assert "вызывается слишком часто" in shown and '"ok": false' in shown
    audit = [row async for row in ToolCallAudit.objects.order_by("id")]
    assert [row.ok for row in audit if row.round >= 1] == [True, False]
    # Counted as the audit holds it: the refused call too.
    assert _tool_calls("get_recommendation", "refused") == refused_before + 1
    assert got[-1]["status"] == "done"


def _tool_calls(tool: str, outcome: str) -> float:
    labels = {"tool": tool, "outcome": outcome, "origin": "model"}
    return REGISTRY.get_sample_value("infrazen_agent_tool_calls_total", labels) or 0.0


def test_an_action_tool_is_refused_for_a_demo_user(demo, alice, monkeypatch, budget_settings):
    class ActionTool:
        NAME = "stop_server"
        READ_ONLY = False

    monkeypatch.setitem(registry.TOOLS, "stop_server", ActionTool)
    refused = tool_refusal(policy=policy_for_id(user_id=demo.pk), name="stop_server")
    assert str(refused) == texts.TOOL_NOT_PERMITTED_TEXT
    # Every tool there is reads only: a demo user runs them all.
    for name in ("get_recommendation", "get_anomalies", "search_knowledge"):
        assert registry.TOOLS[name].READ_ONLY is True
        assert tool_refusal(policy=policy_for_id(user_id=demo.pk), name=name) is None


async def test_a_demo_chat_uses_the_demo_model_and_cannot_exceed_the_demo_limits(
    demo, fake_llm, settings
):
    settings.LLM_MODEL_DEMO = "text/demo"
    settings.LLM_PRICES = {**settings.LLM_PRICES, "text/demo": [0.5, 1.0]}
    # The demo day: 5 ₽ and 20,000 tokens; each answer costs 2 ₽.
    fake_llm.enqueue(*[Reply.answer(ANSWER, cost=0.02) for _ in range(5)])
    client = ChatClient(analytics_path(demo))
    await client.connect()
    finals = [(await _asked(client, f"Вопрос {n}"))[-1] for n in range(5)]
    await client.close()

    assert [f["status"] for f in finals] == ["done", "done", "done", "refused", "refused"]
    assert {r["model"] for r in fake_llm.chat_requests()} == {"text/demo"}
    assert finals[2]["budget"]["rub_left"] == 0
    refusal = finals[3]["content"]
    assert refusal.startswith("Дневной лимит на запросы к модели исчерпан: 6 ₽ из 5 ₽.")


async def test_the_user_token_budget_refuses_with_its_own_text(alice, rec, fake_llm):
    await database_sync_to_async(spend)(alice.pk, rub="0", tokens=200_000)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Что дальше?")
    await client.close()
    error = next(f for f in got if f["type"] == "error")
    assert error["limit"] == LIMIT_TOKENS
    assert error["message"].startswith("Дневной лимит токенов модели исчерпан: 200,000 из 200,000.")


async def test_the_final_frame_takes_the_budget_from_the_last_settle(
    alice, rec, fake_llm, monkeypatch
):
    """No read of its own: the answer's last settle reported the budget in its trip."""
    from chat import quota

    def unread(**_):
        raise AssertionError("the final frame read the budget again")

    monkeypatch.setattr(quota, "budget_status", unread)
    call = {"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}
    usage = {"prompt_tokens": 100, "completion_tokens": 10, "cost": 0.01}
    fake_llm.enqueue(Reply.calls([call], **usage), Reply.answer(ANSWER, **usage))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = (await _asked(client, "Подробнее?"))[-1]
    await client.close()

    left = final["budget"]
    assert final["status"] == "done"
    assert (left["rub_left"], left["tokens_left"]) == (148.0, 200_000 - 220)


async def test_the_tools_a_model_call_asks_for_are_admitted_with_its_settle(
    alice, rec, fake_llm, settings, monkeypatch
):
    """Counted in the settle's trip (one Redis script): none is admitted again as it runs,
    and the one over the limit is refused to the model all the same."""
    from chat import tool_calls

    def admitted_again(**_):
        raise AssertionError("a tool call was admitted again as it ran")

    monkeypatch.setattr(tool_calls, "tool_refusal", admitted_again)
    settings.AGENT_ROLE_LIMITS["user"]["tool_calls_per_minute"] = 2
    calls = [{"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}] * 3
    fake_llm.enqueue(Reply.calls(calls), Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Подробнее?")
    await client.close()

    assert [f["ok"] for f in got if f["type"] == "tool_result"] == [True, True, False]
    assert got[-1]["status"] == "done"
