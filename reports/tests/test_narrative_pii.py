"""A report's narrative keeps personal data from the model (llm.pii, issue 20): the user's name
from `users`, an email, a phone, an INN and a public IP in the facts' labels (a connection's
name) reach the fake model as placeholders; the shipped narrative shows the real values."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from conftest import make_provider, make_resource, make_user
from llm.fake_server import Reply
from llm.tests.pii_helpers import PLANTED, placeholder_in
from reports.models import AgentReport
from reports.tests.client import render

pytestmark = pytest.mark.django_db(transaction=True)


def _anna() -> int:
    anna = make_user("anna@example.com", first_name="Анна", last_name="Петрова")
    provider = make_provider(
        anna,
        "yandex",
        connection_name=(
            "Петрова anna.petrova@itlab.ru +7 916 123-45-67 ИНН 7707083893 95.165.10.20"
        ),
    )
    make_resource(provider, "office", daily_cost=187.0, effective_cost=187.0)
    return anna.pk


async def test_the_model_sees_placeholders_and_the_report_the_real_values(settings, fake_llm):
    settings.AI_TEXT_MODE = "llm"
    anna = await database_sync_to_async(_anna)()

    def answer(body: dict) -> Reply:
        sent = json.dumps(body["messages"], ensure_ascii=False)
        name, email = placeholder_in(sent, "имя"), placeholder_in(sent, "email")
        return Reply.structured_output(
            {
                "executive_summary": f"Подключение {name} ({email}) стоит {{provider.1.monthly}}.",
                "highlights": [{"title": "Расходы", "detail": "В месяц {provider.1.monthly}."}],
                "risks": ["Переносы требуют окна работ."],
                "next_steps": [f"Написать {name} на {email}."],
            }
        )

    fake_llm.route(answer)
    body = await render(anna)

    sent = json.dumps(fake_llm.chat_requests(), ensure_ascii=False)
    for value in PLANTED:
        assert value not in sent
    assert "[email 1]" in sent and "[инн 1]" in sent and "[ip 1]" in sent
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert body["narrative_source"] == "llm", report.narrative_note
    assert "Написать Петрова на anna.petrova@itlab.ru." in body["html"]
    assert report.narrative_note == "ok"
