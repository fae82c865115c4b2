from __future__ import annotations

from llm import gateway
from llm.fake_server import Reply


async def test_a_failing_accounting_write_is_logged_and_the_answer_still_returned(fake_llm, caplog):
    # No django_db mark: every ORM write is refused, as when the database is down.
    fake_llm.enqueue(Reply.answer("ответ"))

    answer = await gateway.complete(purpose="test", messages=[{"role": "user", "content": "?"}])

    assert answer.text == "ответ"
    assert "could not record an LLM call" in caplog.text
