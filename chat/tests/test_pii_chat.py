"""A chat turn keeps the user's personal data from the model (llm.pii): their own name and
an email in the question reach the fake model as placeholders; the answer shows them."""

from __future__ import annotations

import json

import pytest

from chat.tests.socket_helpers import analytics_path
from chat.tests.wsclient import ChatClient, answers_settled
from conftest import make_user
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_users_name_and_email_stay_here_and_come_back_in_the_answer(fake_llm):
    from channels.db import database_sync_to_async

    anna = await database_sync_to_async(make_user)(
        "anna@example.com", first_name="Анна", last_name="Петрова"
    )
    fake_llm.enqueue(Reply.answer("[имя 1], отчёт уйдёт на [email 1]."))
    client = ChatClient(analytics_path(anna, days=30))
    await client.connect()

    await client.ask("Я Петрова, пришлите отчёт на anna.petrova@itlab.ru")
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()

    sent = json.dumps(fake_llm.chat_requests()[0], ensure_ascii=False)
    assert "Петрова" not in sent and "anna.petrova@itlab.ru" not in sent
    assert final["content"] == "Петрова, отчёт уйдёт на anna.petrova@itlab.ru."


async def test_a_tool_round_resends_the_conversation_under_the_same_placeholders(
    fake_llm, monkeypatch
):
    """One scrubber for the answer's calls: the second call's request holds the first's
    placeholders for the same values, and what was scrubbed once is not scrubbed again."""
    from channels.db import database_sync_to_async

    from llm import pii

    made, scrubbed = [], []
    scrub = pii.PiiScrubber._scrub

    def counted(self, text):
        scrubbed.append(text)
        return scrub(self, text)

    init = pii.PiiScrubber.__init__

    def noted(self, **kwargs):
        made.append(self)
        init(self, **kwargs)

    monkeypatch.setattr(pii.PiiScrubber, "_scrub", counted)
    monkeypatch.setattr(pii.PiiScrubber, "__init__", noted)
    anna = await database_sync_to_async(make_user)(
        "anna@example.com", first_name="Анна", last_name="Петрова"
    )
    call = {"name": "get_analytics_overview", "arguments": {"time_range_days": 30}}
    fake_llm.enqueue(Reply.calls([call]), Reply.answer("[имя 1], готово."))
    client = ChatClient(analytics_path(anna, days=30))
    await client.connect()

    await client.ask("Я Петрова, пришлите отчёт на anna.petrova@itlab.ru")
    final = (await client.until("assistant"))[-1]
    await answers_settled()
    await client.close()

    first, second = (
        json.dumps(request["messages"], ensure_ascii=False)
        for request in fake_llm.chat_requests()[:2]
    )
    assert "anna.petrova@itlab.ru" not in second and "[email 1]" in first and "[email 1]" in second
    assert final["content"] == "Петрова, готово."
    assert len(made) == 1
    assert len(scrubbed) == len(set(scrubbed))  # each text scrubbed once
