"""The admin reads like a product (issue 21 §2): InfraZen's header and colours, Russian
labels, each answer's cost in the session, and links from a session to its model calls."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chat.services import chat_message_create, chat_session_get_or_create, message_cost_create
from chat.tests.principals import analytics_principal
from llm.models import LLMCall


@pytest.fixture
def staff_client(client, db):
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(admin)
    return client


def _session(user, days: int):
    return chat_session_get_or_create(
        principal=analytics_principal(user, {"time_range_days": days})
    )


def _answer(session, *, user_id: int, correlation_id: str, calls: int) -> None:
    answer = chat_message_create(session=session, role="assistant", content="Ответ")
    message_cost_create(
        message_id=answer.pk,
        session_id=session.pk,
        user_id=user_id,
        model="text/<b>primary</b>",
        prompt_tokens=1000,
        completion_tokens=200,
        cost_usd=Decimal("0.0123"),
        correlation_id=correlation_id,
    )
    for attempt in range(1, calls + 1):
        LLMCall.objects.create(
            purpose="chat",
            provider="fake",
            model_requested="text/primary",
            outcome="ok",
            attempt=attempt,
            user_id=user_id,
            correlation_id=correlation_id,
        )


def test_a_session_shows_each_answers_cost_and_links_to_its_model_calls(
    staff_client, alice, bob, settings
):
    settings.USD_RUB_RATE = 100.0
    mine = _session(alice, 7)
    chat_message_create(session=mine, role="user", content="Вопрос")
    _answer(mine, user_id=alice.pk, correlation_id="turn-a1", calls=2)
    _answer(mine, user_id=alice.pk, correlation_id="turn-a2", calls=1)
    _answer(_session(bob, 7), user_id=bob.pk, correlation_id="turn-b1", calls=1)

    page = staff_client.get(
        reverse("admin:infrazen_chatsession_change", args=[mine.pk])
    ).content.decode()

    assert "1,23 ₽ · 1000 + 200 токенов · text/&lt;b&gt;primary&lt;/b&gt;" in page
    assert "?correlation_id=turn-a1" in page and "?correlation_id=turn-a2" in page
    assert "вызовов модели: 3</a> (ответов: 2)" in page
    assert "correlation_id__in=turn-a1%2Cturn-a2" in page
    assert "turn-b1" not in page
    calls = staff_client.get(
        reverse("admin:llm_llmcall_changelist"), {"correlation_id__in": "turn-a1,turn-a2"}
    ).content.decode()
    row = '<td class="field-correlation_id">{}</td>'
    assert calls.count(row.format("turn-a1")) == 2 and calls.count(row.format("turn-a2")) == 1
    assert "turn-b1" not in calls


def test_labels_are_russian_and_no_object_reprs_show(staff_client, alice):
    session = _session(alice, 30)
    chat_message_create(session=session, role="user", content="Вопрос")
    LLMCall.objects.create(purpose="text", provider="fake", model_requested="m", outcome="ok")

    listing = staff_client.get(reverse("admin:infrazen_chatsession_changelist")).content.decode()
    page = staff_client.get(
        reverse("admin:infrazen_chatsession_change", args=[session.pk])
    ).content.decode()
    calls = staff_client.get(reverse("admin:llm_llmcall_changelist")).content.decode()

    for label in ("Пользователь", "Сценарий", "Последняя активность", "Статус"):
        assert label in listing
    for label in ("Переписка", "Вызовы модели", "Вызовы инструментов", "Стоимость ответа"):
        assert label in page
    assert "вызовов модели нет" in page
    assert "object (" not in listing + page and "№" in page
    for english in ("Last activity at", "Message count", "Model requested"):
        assert english not in listing + page + calls
    assert "Назначение" in calls and "Исход" in calls


def test_the_header_is_infrazens_and_leads_to_the_console(staff_client, settings):
    settings.CONSOLE_ENABLED = True
    page = staff_client.get(reverse("admin:index")).content.decode()

    assert "InfraZen · FinOps-ассистент" in page
    assert "console/admin.css" in page and 'class="brand-mark"' in page
    assert 'href="/console/">Консоль</a>' in page
    settings.CONSOLE_ENABLED = False
    assert "Консоль</a>" not in staff_client.get(reverse("admin:index")).content.decode()


def test_markup_in_the_data_shows_as_text_on_every_admin_page(staff_client, alice):
    from chat.models import ToolCallAudit
    from chat.tests.principals import rec_principal
    from conftest import make_recommendation, make_resource
    from infrazen.models import CloudProvider

    hostile = "<img src=x onerror=alert(1)>"
    provider = CloudProvider.objects.filter(user=alice).first()
    rec = make_recommendation(make_resource(provider, hostile), recommendation_type=hostile)
    session = chat_session_get_or_create(principal=rec_principal(alice, rec))
    answer = chat_message_create(session=session, role="assistant", content="<script>x()</script>")
    ToolCallAudit.objects.create(
        session_id=session.pk,
        message_id=answer.pk,
        user_id=alice.pk,
        tool="get_recommendation",
        arguments={"name": hostile},
        result=f"Ресурс {hostile}",
        round=1,
        correlation_id="turn-x",
    )
    LLMCall.objects.create(
        purpose="chat",
        provider="fake",
        model_requested=hostile,
        outcome="ok",
        correlation_id="turn-x",
    )

    pages = [
        staff_client.get(reverse("admin:infrazen_chatsession_changelist")),
        staff_client.get(reverse("admin:infrazen_chatsession_change", args=[session.pk])),
        staff_client.get(reverse("admin:chat_toolcallaudit_changelist")),
        staff_client.get(reverse("admin:llm_llmcall_changelist")),
    ]

    for n, page in enumerate(pages):
        html = page.content.decode()
        assert page.status_code == 200
        assert "<img src=x" not in html and "<script>x()" not in html
        # The audit list shows no arguments or results: the others show the name as text.
        assert "&lt;img src=x onerror=alert(1)&gt;" in html or n == 2
