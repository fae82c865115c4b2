"""The context pack is prepared before the question (chat.prompt_cache), and a question's one
database call."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from channels.db import database_sync_to_async

from chat import prompt_cache, turns
from chat.prompt_cache import PROMPTS
from chat.tests.socket_helpers import ANSWER, rec_path, session_of
from chat.tests.wsclient import ChatClient, answers_settled
from governance.policy import policy_for_id
from infrazen.models import ChatSession
from llm.fake_server import Reply
from llm.pii import PiiScrubber

pytestmark = pytest.mark.django_db(transaction=True)


async def prefetched(session_id: str) -> str | None:
    """The session's prompt once its background build (if any) is over."""
    task = PROMPTS.prefetching.get(session_id)
    if task is not None:
        await asyncio.wait({task})
    cached = PROMPTS.entries.get(session_id)
    return cached[1] if cached else None


async def test_the_prompt_is_ready_when_the_socket_opens_and_the_question_uses_it(
    alice, rec, fake_llm
):
    fake_llm.enqueue(Reply.answer(ANSWER))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    prompt = await prefetched(system["session_id"])
    assert prompt is not None and "old-backup" in prompt

    await client.ask("Что это за рекомендация?")
    await client.until("assistant")
    await answers_settled()
    # As the model may see it: personal data (the connection's email) as placeholders.
    sent = fake_llm.chat_requests()[0]["messages"][0]["content"]
    assert sent == PiiScrubber().scrub(prompt)
    await client.close()


async def test_an_aging_prompt_is_rebuilt_after_an_answer_not_during_the_next(
    alice, rec, fake_llm, settings
):
    fake_llm.enqueue(Reply.answer("Первый ответ."))
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    session_id = system["session_id"]
    await prefetched(session_id)
    built_at, prompt = PROMPTS.entries[session_id]
    # Past half its TTL: the question still uses it, and the answer's end refreshes it.
    PROMPTS.entries[session_id] = (built_at - settings.CHAT_CONTEXT_TTL_S * 0.75, prompt)

    await client.ask("Что это за рекомендация?")
    await client.until("assistant")
    await answers_settled()
    async with asyncio.timeout(5):
        # The answer's task starts the refresh just after its final frame.
        while PROMPTS.entries[session_id][0] < built_at:
            await prefetched(session_id)
            await asyncio.sleep(0.01)
    # As the model may see it: personal data (the connection's email) as placeholders.
    sent = fake_llm.chat_requests()[0]["messages"][0]["content"]
    assert sent == PiiScrubber().scrub(prompt)
    await client.close()


async def test_a_disabled_prefetch_prepares_no_prompt(alice, rec, fake_llm, settings):
    settings.CHAT_CONTEXT_PREFETCH = False
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()

    assert await prefetched(system["session_id"]) is None
    await client.close()


async def test_an_offline_chat_prepares_no_prompt(alice, rec):
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()

    assert await prefetched(system["session_id"]) is None
    await client.close()


async def test_a_burst_of_sockets_builds_a_few_packs_at_once_and_the_rest_after_it(
    alice, rec, fake_llm, monkeypatch
):
    monkeypatch.setattr(PROMPTS, "deferred", prompt_cache._Deferred(PROMPTS))
    monkeypatch.setattr(prompt_cache, "PREFETCH_DEFERRED_QUIET_S", 0.2)
    principal, session = await session_of(alice, rec)
    session_ids = [f"{session.pk}-{n}" for n in range(prompt_cache.PREFETCH_QUEUE_MAX + 3)]
    for session_id in session_ids:
        PROMPTS.prefetch(principal=principal, session_id=session_id)

    waiting = [task for task in PROMPTS.prefetching.values() if not task.done()]
    assert len(waiting) == prompt_cache.PREFETCH_QUEUE_MAX
    deferred = session_ids[prompt_cache.PREFETCH_QUEUE_MAX :]
    assert list(PROMPTS.deferred.waiting) == deferred
    await asyncio.wait(waiting)
    # The burst is not over yet: the rest wait. A question builds its own pack meanwhile.
    assert not any(PROMPTS.entries.get(session_id) for session_id in deferred)
    asked = (time.monotonic(), "built by its question")
    PROMPTS.entries[deferred[0]] = asked

    async with asyncio.timeout(10):
        while not all(PROMPTS.entries.get(session_id) for session_id in session_ids):
            await asyncio.sleep(0.01)
    assert not PROMPTS.deferred.waiting
    assert PROMPTS.entries[deferred[0]] == asked  # found fresh, not built twice


async def test_a_socket_closed_before_its_deferred_pack_leaves_nothing_to_build(
    alice, rec, fake_llm, monkeypatch
):
    monkeypatch.setattr(PROMPTS, "deferred", prompt_cache._Deferred(PROMPTS))
    monkeypatch.setattr(prompt_cache, "PREFETCH_QUEUE_MAX", 0)  # every prefetch waits
    monkeypatch.setattr(prompt_cache, "PREFETCH_DEFERRED_QUIET_S", 60)
    client = ChatClient(rec_path(alice, rec))
    system = await client.connect()
    assert list(PROMPTS.deferred.waiting) == [system["session_id"]]

    await client.close()
    async with asyncio.timeout(5):
        while PROMPTS.deferred.waiting:
            await asyncio.sleep(0.01)
    assert PROMPTS.entries.get(system["session_id"]) is None


def _turn_queries(principal, session, question):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        turn = turns.turn_prepare(principal=principal, session=session, question=question)
    return turn, [query["sql"] for query in queries.captured_queries]


async def test_a_question_with_its_pack_ready_is_two_inserts_one_update_two_reads(
    alice, rec, fake_llm
):
    """The question's one call on the database thread: what every question waits for.

    The reads: the asker is checked again (chat_turn_allowed), then the history."""
    principal, session = await session_of(alice, rec)
    # The policy comes with the principal, built once per connection (chat.auth).
    policy = await database_sync_to_async(policy_for_id)(user_id=alice.pk)
    principal = dataclasses.replace(principal, policy=policy)
    await database_sync_to_async(_turn_queries)(principal, session, "Первый")  # builds the pack

    turn, all_sql = await database_sync_to_async(_turn_queries)(principal, session, "Второй")

    # The questions-a-minute admission (governance, issue 20) on the database's rate
    # counters (Redis's when REDIS_URL is set): one UPDATE and one read, before the turn's own.
    admission = [q for q in all_sql if "agent_rate_counters" in q]
    assert len(admission) <= 2 and all(q.startswith(("UPDATE", "SELECT")) for q in admission)
    # The first model call's reservation, made with the question (governance): one UPDATE
    # of the budget counters (Redis's one script with the admission when REDIS_URL is set).
    reservation = [q for q in all_sql if "agent_budget_counters" in q]
    assert len(reservation) <= 1 and all(q.startswith("UPDATE") for q in reservation)
    sql = [q for q in all_sql if q not in admission and q not in reservation]
    writes = [q.split()[0] for q in sql if not q.startswith(("SELECT", "BEGIN", "SAVEPOINT"))]
    assert writes.count("INSERT") == 2 and writes.count("UPDATE") == 1
    reads = [q for q in sql if q.startswith("SELECT")]
    assert len(reads) == 2
    assert "chat_sessions" in reads[0] and "is_active" in reads[0]
    assert "chat_messages" in reads[1]
    assert turn.messages[-1] == {"role": "user", "content": "Второй"}
    # Tools still act as the user: read on their first use, not with the turn.
    from chat.tool_calls import Tools

    tools = Tools(turn=turn, answer=turns.Answer(), broadcast=None)
    user = await database_sync_to_async(lambda: tools.user)()
    assert user.pk == alice.pk
    session_row = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert session_row.message_count == 4
