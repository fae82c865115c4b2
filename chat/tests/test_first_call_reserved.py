"""The first model call's reservation is made with the question (chat.turns.turn_prepare, in
the question's one database trip; with the question's admission in one Redis script) and
carried in the Turn: round 1 uses it, and it is settled on every path, a failed, stopped or
never-made call giving back what it did not use."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import engine, turns
from chat.tests.quota_helpers import Listener
from chat.tests.socket_helpers import ANSWER, rec_path, session_of
from chat.tests.wsclient import ChatClient, answers_settled
from governance.budgets import budget_status
from governance.metering import Reserved
from governance.policy import policy_for_id
from governance.tests.backends import BACKENDS, backend_use
from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]


async def _tokens_used(user) -> int:
    policy = await database_sync_to_async(policy_for_id)(user_id=user.pk)
    return (await database_sync_to_async(budget_status)(policy=policy)).tokens_used


async def _tokens_recorded() -> int:
    return sum(
        [(c.prompt_tokens or 0) + (c.completion_tokens or 0) async for c in LLMCall.objects.all()]
    )


async def _turn(user, rec) -> turns.Turn:
    principal, session = await session_of(user, rec)
    return await database_sync_to_async(turns.turn_prepare)(
        principal=principal, session=session, question="Сколько я сэкономлю?"
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_question_reserves_its_first_call_with_the_turn(
    backend, alice, rec, fake_llm, settings
):
    backend_use(backend, settings)
    turn = await _turn(alice, rec)

    assert isinstance(turn.first_call, Reserved)
    assert turn.first_call.reservation.store == ("redis" if backend == "redis" else "database")
    assert await _tokens_used(alice) == turn.first_call.reservation.tokens > 0
    await turns.turn_first_call_release(turn)
    await turns.turn_first_call_release(turn)  # once, whoever asks again
    assert await _tokens_used(alice) == 0


async def _answered(user, rec, *, stop: bool = False) -> dict:
    """Ask through a socket (`stop`: stop at the first delta); the final frame."""
    client = ChatClient(rec_path(user, rec))
    await client.connect()
    await client.ask("Расскажи подробно")
    if stop:
        await client.until("assistant_delta")
        await client.send({"type": "stop"})
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()
    return final


async def test_the_first_round_settles_the_reservation_made_with_the_question(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer(ANSWER, prompt_tokens=300, completion_tokens=20, cost=0.01))

    assert (await _answered(alice, rec))["status"] == "done"
    assert await _tokens_used(alice) == 320


async def test_a_failed_first_call_gives_its_reservation_back(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.error(400))

    assert (await _answered(alice, rec))["status"] == "failed"
    assert await _tokens_used(alice) == await _tokens_recorded()


async def test_a_stopped_first_call_gives_back_what_it_did_not_use(alice, rec, fake_llm):
    fake_llm.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))

    assert (await _answered(alice, rec, stop=True))["status"] == "stopped"
    assert await _tokens_used(alice) == await _tokens_recorded()


async def test_an_answer_that_never_calls_the_model_gives_the_reservation_back(
    alice, rec, fake_llm, monkeypatch
):
    """The model went away between the question and its answer: the offline assistant
    answers, and the reservation made with the question is given back."""
    turn = await _turn(alice, rec)
    assert await _tokens_used(alice) > 0
    monkeypatch.setattr(gateway, "llm_available", lambda: False)
    listener = Listener("listener")

    status = await engine.answer_run(turn=turn, broadcast=listener.deliver)

    assert status == "done" and listener.of_type("assistant")[-1]["model"] == "offline"
    assert await _tokens_used(alice) == 0
    assert fake_llm.chat_requests() == []


async def test_an_answer_cancelled_before_the_model_gives_the_reservation_back(
    alice, rec, fake_llm
):
    turn = await _turn(alice, rec)
    started = asyncio.Event()

    async def held(frame: dict) -> None:
        if not started.is_set():
            started.set()
            await asyncio.sleep(30)  # the `typing` frame never gets out: cancelled here

    task = asyncio.create_task(engine.answer_run(turn=turn, broadcast=held))
    await started.wait()
    task.cancel()
    status = await task

    assert status == "stopped"
    assert await _tokens_used(alice) == 0
    assert fake_llm.chat_requests() == []
