from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import asked, said


async def test_a_failing_accounting_write_is_logged_and_the_answer_still_returned(fake_llm, caplog):
    # No django_db mark: every ORM write is refused, as when the database is down.
    fake_llm.enqueue(Reply.structured_output(said("ответ")))

    answer = await asked(purpose="test", messages=[{"role": "user", "content": "?"}])

    assert answer.text == "ответ"
    assert "could not record an LLM call" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_collected_rows_wait_for_the_caller_and_are_saved_with_its_writes(fake_llm):
    fake_llm.enqueue(Reply.error(500), Reply.structured_output(said("ответ")))

    with gateway.llm_calls_collected() as calls:
        answer = await asked(purpose="test", messages=[{"role": "user", "content": "?"}])

    assert answer.text == "ответ"
    assert [call.outcome for call in calls] == [
        LLMCall.Outcome.SERVER_ERROR,
        LLMCall.Outcome.OK,
    ]
    assert await LLMCall.objects.acount() == 0

    await sync_to_async(gateway.llm_calls_save)(calls)

    saved = [row.outcome async for row in LLMCall.objects.order_by("id")]
    assert saved == [LLMCall.Outcome.SERVER_ERROR, LLMCall.Outcome.OK]
    assert calls == []


@pytest.mark.django_db(transaction=True)
async def test_outside_the_block_every_attempt_is_written_at_once(fake_llm):
    fake_llm.enqueue(Reply.structured_output(said("ответ")))
    with gateway.llm_calls_collected():
        pass

    await asked(purpose="test", messages=[{"role": "user", "content": "?"}])

    assert await LLMCall.objects.acount() == 1


def test_a_failing_save_of_collected_rows_is_logged(caplog):
    # No django_db mark: the write is refused, as when the database is down.
    gateway.llm_calls_save([LLMCall(purpose="test", provider="x", outcome="ok")])

    assert "could not record LLM calls" in caplog.text
