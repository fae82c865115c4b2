from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chat.models import ToolCallAudit
from chat.services import chat_message_create, chat_session_get_or_create, tool_call_audit_create
from chat.tests.principals import analytics_principal
from infrazen.models import ChatMessage, ChatSession


@pytest.fixture
def staff_client(client, db):
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(admin)
    return client


@pytest.fixture
def transcript(alice) -> ChatSession:
    session = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 7})
    )
    chat_message_create(session=session, role="user", content="Первый вопрос")
    chat_message_create(session=session, role="assistant", content="Первый ответ")
    tool_call_audit_create(
        session_id=session.pk, user_id=alice.pk, tool="get_latest_snapshot", arguments={}
    )
    return session


def test_the_session_list_shows_transcripts_at_a_glance(staff_client, transcript):
    response = staff_client.get(reverse("admin:infrazen_chatsession_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert transcript.pk in page
    assert "alice@example.com" in page


def test_a_session_page_shows_its_transcript_oldest_first_and_its_tool_calls(
    staff_client, transcript
):
    response = staff_client.get(reverse("admin:infrazen_chatsession_change", args=[transcript.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Первый вопрос") < page.index("Первый ответ")
    assert "вызовов инструментов моделью: 1" in page
    assert f"?session_id={transcript.pk}" in page


def test_the_audit_list_filters_by_session(staff_client, transcript):
    url = reverse("admin:chat_toolcallaudit_changelist")

    response = staff_client.get(url, {"session_id": transcript.pk})
    search = staff_client.get(url, {"q": transcript.pk})

    assert response.status_code == 200
    assert "get_latest_snapshot" in response.content.decode()
    assert "get_latest_snapshot" in search.content.decode()


def test_nothing_can_be_added_changed_or_deleted_through_the_admin(staff_client, transcript):
    audit = ToolCallAudit.objects.get()
    message_count = ChatMessage.objects.count()

    urls = [
        reverse("admin:infrazen_chatsession_add"),
        reverse("admin:infrazen_chatsession_delete", args=[transcript.pk]),
        reverse("admin:chat_toolcallaudit_add"),
        reverse("admin:chat_toolcallaudit_delete", args=[audit.pk]),
    ]
    for url in urls:
        assert staff_client.post(url, {"post": "yes"}).status_code == 403, url
    staff_client.post(
        reverse("admin:infrazen_chatsession_change", args=[transcript.pk]), {"status": "archived"}
    )

    assert ChatSession.objects.get(pk=transcript.pk).status == "active"
    assert ChatMessage.objects.count() == message_count
    assert ToolCallAudit.objects.filter(pk=audit.pk).exists()


def test_the_transcript_renders_the_answer_safely_with_its_tool_calls_inline(staff_client, alice):
    session = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 30})
    )
    chat_message_create(session=session, role="user", content="<img src=x onerror=alert(1)>")
    answer = chat_message_create(
        session=session, role="assistant", content="Итого **1 200 ₽/мес**\n<script>x()</script>"
    )
    ToolCallAudit.objects.create(
        session_id=session.pk,
        message_id=answer.pk,
        user_id=alice.pk,
        tool="get_cost_trends",
        arguments={"time_range_days": 30},
        result="Точек: 30",
        latency_ms=12.4,
        round=1,
    )

    page = staff_client.get(
        reverse("admin:infrazen_chatsession_change", args=[session.pk])
    ).content.decode()

    assert "<strong>1 200 ₽/мес</strong><br>" in page
    assert "<script>x()" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<code>get_cost_trends</code> ✓ · 12 мс" in page and "Точек: 30" in page


def test_the_answer_costs_list_shows_tokens_and_roubles_read_only(staff_client, settings):
    from decimal import Decimal

    from chat.services import message_cost_create

    settings.USD_RUB_RATE = 100.0
    message_cost_create(
        message_id=77,
        session_id="s-1",
        user_id=7,
        model="text/primary",
        prompt_tokens=1000,
        completion_tokens=200,
        cost_usd=Decimal("0.0123"),
        correlation_id="c-1",
    )
    url = reverse("admin:chat_agentmessagecost_changelist")
    response = staff_client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    # The admin's Russian locale: a decimal comma.
    assert "1 message cost" in page and "text/primary" in page and "1,2300" in page
    assert staff_client.get(reverse("admin:chat_agentmessagecost_add")).status_code == 403
