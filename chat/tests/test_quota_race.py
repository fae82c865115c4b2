"""50 questions of one user at once at the edge of the day's budget (issue 20): one model
call is admitted, the other 49 get `quota_exceeded` with their questions stored, nothing else
is lost; on the pass's database, on MariaDB and on Redis. Another worker's spending counts
here too: the counters are shared."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async

from chat import engine, frames, texts
from chat.fanout import SESSIONS
from chat.models import AgentMessageCost
from chat.services import chat_session_open
from chat.tests.principals import rec_principal
from chat.tests.quota_helpers import Listener
from chat.tests.socket_helpers import ANSWER
from chat.tests.wsclient import answers_settled
from conftest import make_recommendation, make_resource
from governance.budgets import RUB_UNIT, budget_status
from governance.moscow import budget_day, moscow_now
from governance.policy import policy_for_id
from governance.refusals import LIMIT_RUB
from governance.store import Charge, Counter
from governance.tests.backends import BACKENDS, backend_use, store_new
from governance.tests.wiring import spend
from infrazen.models import ChatMessage, CloudProvider
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]

QUESTIONS = 50


def _sessions(user, count: int):
    provider = CloudProvider.objects.get(user=user, provider_type="yandex")
    opened = []
    for number in range(count):
        rec = make_recommendation(make_resource(provider, f"box-{number}"))
        principal = rec_principal(user, rec)
        opened.append((principal, chat_session_open(principal=principal)[0]))
    return opened


async def _ask_all(opened) -> list[Listener]:
    listeners = []
    for _, session in opened:
        listener = Listener(f"listener-{session.pk}")
        await SESSIONS.join(session_id=session.pk, socket=listener)
        listeners.append(listener)
    question = frames.ClientFrame(kind=frames.KIND_MESSAGE, content="Сколько я сэкономлю?")
    refused = await asyncio.gather(
        *(
            engine.question_ask(
                principal=principal,
                session=session,
                question=question,
                channel_name="asker",
                busy_elsewhere=False,
            )
            for principal, session in opened
        )
    )
    assert refused == [None] * len(opened)
    await answers_settled(timeout=60)
    for listener, (_, session) in zip(listeners, opened, strict=True):
        await SESSIONS.leave(session_id=session.pk, socket=listener)
    return listeners


@pytest.mark.parametrize("backend", BACKENDS)
async def test_fifty_questions_at_the_edge_overshoot_by_at_most_one_reservation(
    backend, alice, fake_llm, settings
):
    backend_use(backend, settings)
    # Dear prices, so one reservation (about 90 ₽: 900 answer tokens at 1,000 USD the
    # million) outweighs the 1 ₽ left; each answer really costs 50 ₽.
    settings.LLM_PRICES = {"text/primary": [100.0, 1000.0]}
    fake_llm.enqueue(*[Reply.answer(ANSWER, cost=0.5) for _ in range(QUESTIONS)])
    opened = await database_sync_to_async(_sessions)(alice, QUESTIONS)
    await database_sync_to_async(spend)(alice.pk, rub="149")

    listeners = await _ask_all(opened)

    finals = [listener.of_type("assistant")[-1] for listener in listeners]
    errors = [error for listener in listeners for error in listener.of_type("error")]
    assert sorted(f["status"] for f in finals).count("done") == 1
    assert [f["status"] for f in finals].count("refused") == QUESTIONS - 1
    assert len(errors) == QUESTIONS - 1
    assert {(e["code"], e["limit"]) for e in errors} == {("quota_exceeded", LIMIT_RUB)}
    status = await database_sync_to_async(budget_status)(
        policy=await database_sync_to_async(policy_for_id)(user_id=alice.pk)
    )
    # Settled: what was spent before, and the one answer's 50 ₽; at most one reservation over.
    assert status.rub_used == Decimal(199)
    assert len(fake_llm.chat_requests()) == 1
    # Every question is stored, each with its answer or its refusal; one model call, one
    # cost row, each recorded.
    rows = await database_sync_to_async(
        lambda: list(ChatMessage.objects.values_list("role", "content"))
    )()
    assert [role for role, _ in rows].count("user") == QUESTIONS
    answers = [content for role, content in rows if role == "assistant"]
    assert answers.count(ANSWER) == 1
    assert sum(a.endswith(texts.QUOTA_MARKER.strip()) for a in answers) == QUESTIONS - 1
    assert await LLMCall.objects.acount() == 1
    assert await AgentMessageCost.objects.acount() == 1


def _other_worker_spends(backend: str, *, user_id: int, rub: int) -> None:
    units = rub * RUB_UNIT
    counter = Counter("rub", str(user_id), budget_day(moscow_now()))
    assert store_new(backend).reserve([Charge(counter, units, units)]) is None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_another_workers_spending_counts_here(backend, alice, fake_llm, settings):
    backend_use(backend, settings)
    opened = await database_sync_to_async(_sessions)(alice, 1)
    # Another worker (its own store, its own Redis client) spends alice's day.
    await database_sync_to_async(_other_worker_spends)(backend, user_id=alice.pk, rub=150)

    (listener,) = await _ask_all(opened)

    assert listener.of_type("error")[0]["limit"] == LIMIT_RUB
    assert fake_llm.chat_requests() == []
