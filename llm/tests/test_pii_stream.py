"""The chat's stream keeps personal data from the model (llm.pii): what the fake model
receives holds placeholders only, and what the user gets back holds the real values, in the
deltas (a placeholder split across two of them too), tool-call arguments and the final text."""

from __future__ import annotations

import json

import pytest

from llm import gateway
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL, PHONE, NAME = "anna.petrova@itlab.ru", "+7 912 345-67-89", "Петрова"
QUESTION = f"Я {NAME}. Пришлите отчёт на {EMAIL} или позвоните {PHONE}, сервер 203.0.113.7"


async def test_the_model_sees_placeholders_and_the_user_the_real_values(fake_llm):
    fake_llm.enqueue(
        Reply.answer("Отправлю на [email 1] и позвоню [телефон 1], [имя 1].", tokens_per_s=200)
    )

    events = [
        event
        async for event in gateway.stream(
            purpose="chat_analytics",
            messages=[{"role": "user", "content": QUESTION}],
            pii_names=(NAME,),
        )
    ]

    sent = json.dumps(fake_llm.chat_requests()[0], ensure_ascii=False)
    for planted in (EMAIL, PHONE, NAME, "203.0.113.7"):
        assert planted not in sent
    assert "[email 1]" in sent and "[имя 1]" in sent
    text = "".join(e.text for e in events if e.kind == "delta")
    assert text == f"Отправлю на {EMAIL} и позвоню {PHONE}, {NAME}."
    assert events[-1].completion.text == text


async def test_tool_call_arguments_come_back_restored(fake_llm):
    fake_llm.enqueue(
        Reply.calls([{"name": "search_knowledge", "arguments": {"query": "письмо [email 1]"}}])
    )

    events = [
        event
        async for event in gateway.stream(
            purpose="chat_analytics",
            messages=[{"role": "user", "content": f"найди письмо {EMAIL}"}],
            tools=[{"type": "function", "function": {"name": "search_knowledge"}}],
        )
    ]

    [call] = [e.tool_call for e in events if e.kind == "tool_call"]
    assert json.loads(call.arguments) == {"query": f"письмо {EMAIL}"}
    assert events[-1].completion.tool_calls == [call]
