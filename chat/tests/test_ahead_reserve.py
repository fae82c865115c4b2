"""The call after a tool round is reserved with the settle of the call that asked for the
tools (one trip on Redis): made before the tools run, on an estimate that allows each result
the most a tool returns; given back when the call is never made, made anew when a result was
bigger, refused as any reservation is (issue 20)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat import model_loop, quota
from chat.tests.socket_helpers import ANSWER, rec_path, session_of, stored_async
from chat.tests.wsclient import ChatClient, answers_settled
from governance.budgets import budget_status
from governance.policy import policy_for_id
from governance.refusals import LIMIT_TOKENS
from llm.fake_server import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]

USAGE = {"prompt_tokens": 100, "completion_tokens": 10, "cost": 0.01}


def _call(rec) -> dict:
    return {"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}}


async def _asked(client: ChatClient, question: str) -> list[dict]:
    await client.ask(question)
    frames = await client.until("assistant")
    await answers_settled()
    return frames


async def _used_tokens(user) -> int:
    def used() -> int:
        return budget_status(policy=policy_for_id(user_id=user.pk)).tokens_used

    return await database_sync_to_async(used)()


@pytest.fixture
def reserves(monkeypatch) -> list[int]:
    """Each reservation a call makes on its own (not with the question, not with a settle)."""
    made: list[int] = []
    reserve = model_loop.reserve_ahead

    def counted(policy, **kwargs):
        made.append(policy.user_id)
        return reserve(policy, **kwargs)

    monkeypatch.setattr(model_loop, "reserve_ahead", counted)
    return made


async def test_every_call_of_a_tool_answer_is_reserved_in_a_trip_made_anyway(
    alice, rec, fake_llm, reserves
):
    fake_llm.enqueue(
        Reply.calls([_call(rec)], **USAGE),
        Reply.calls([_call(rec)], **USAGE),
        Reply.answer(ANSWER, **USAGE),
    )
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = (await _asked(client, "Подробнее?"))[-1]
    await client.close()

    assert final["status"] == "done" and final["tool_calls"] == 2
    assert reserves == []
    assert await _used_tokens(alice) == 330  # what the three calls took, nothing held


async def test_a_result_bigger_than_allowed_reserves_the_call_anew(
    alice, rec, fake_llm, reserves, monkeypatch
):
    monkeypatch.setattr(quota, "TOOL_RESULT_TOKENS", 1)
    fake_llm.enqueue(Reply.calls([_call(rec)], **USAGE), Reply.answer(ANSWER, **USAGE))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    final = (await _asked(client, "Подробнее?"))[-1]
    await client.close()

    assert final["status"] == "done"
    assert reserves == [alice.pk]
    assert await _used_tokens(alice) == 220


async def test_the_next_call_over_the_budget_is_refused_after_the_tools(alice, rec, fake_llm):
    """The first call takes the day's tokens: the next one is refused with the settle, the
    tools still run (the model asked for them), the question stays stored and unanswered."""
    spent = {"prompt_tokens": 199_990, "completion_tokens": 10, "cost": 0.01}
    fake_llm.enqueue(Reply.calls([_call(rec)], **spent), Reply.answer(ANSWER, **USAGE))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Подробнее?")
    await client.close()

    error = next(f for f in got if f["type"] == "error")
    assert error["code"] == "quota_exceeded" and error["limit"] == LIMIT_TOKENS
    assert [f["ok"] for f in got if f["type"] == "tool_result"] == [True]
    assert got[-1]["status"] == "refused"
    assert len(fake_llm.chat_requests()) == 1
    assert await _used_tokens(alice) == 200_000
    rows = await stored_async((await session_of(alice, rec))[1].pk)
    assert rows[-2] == ("user", "Подробнее?")


async def test_a_reservation_ahead_is_given_back_when_its_call_is_never_made(
    alice, rec, fake_llm, monkeypatch
):
    def broken(result):
        raise RuntimeError("the tool's result could not be shown")

    monkeypatch.setattr(model_loop, "_tool_content", broken)
    fake_llm.enqueue(Reply.calls([_call(rec)], **USAGE), Reply.answer(ANSWER, **USAGE))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    got = await _asked(client, "Подробнее?")
    await client.close()

    assert got[-1]["status"] != "done"
    assert len(fake_llm.chat_requests()) == 1
    assert await _used_tokens(alice) == 110  # the first call's, nothing held for the second
