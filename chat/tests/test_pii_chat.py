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
