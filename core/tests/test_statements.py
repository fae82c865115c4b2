"""core.statements (row_select, row_update) and core.db.row_insert: the plain statements
behind the hottest reads and writes answer exactly what the ORM answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import router

from conftest import make_provider, make_recommendation, make_resource
from core.db import row_insert
from core.statements import CompiledQuery, row_select, row_update
from governance.models import AgentUserLimits
from infrazen.models import ChatMessage, ChatSession, InfraZenUser, OptimizationRecommendation

pytestmark = pytest.mark.django_db(databases="__all__")


def test_row_select_reads_the_columns_of_the_matching_row(alice, bob):
    assert row_select(InfraZenUser, ["role"], id=alice.pk) == (alice.role,)
    assert row_select(InfraZenUser, ["email", "role"], id=bob.pk) == (bob.email, bob.role)


def test_row_select_of_no_row_is_none(alice):
    assert row_select(InfraZenUser, ["role"], id=alice.pk + 1000) is None
    assert row_select(AgentUserLimits, ["tokens_per_day"], user_id=alice.pk) is None


def test_row_select_reads_the_agent_database_too(alice):
    AgentUserLimits.objects.create(user_id=alice.pk, tokens_per_day=7, rub_per_day=Decimal("2.5"))
    tokens, rub, questions = row_select(
        AgentUserLimits,
        ["tokens_per_day", "rub_per_day", "questions_per_minute"],
        user_id=alice.pk,
    )
    assert (tokens, Decimal(str(rub)), questions) == (7, Decimal("2.5"), None)


def test_row_update_writes_what_the_orm_update_writes(alice):
    recommendation = make_recommendation(
        make_resource(make_provider(alice, "beget", connection_name="rows"), "vm-1")
    )
    when = datetime(2026, 12, 7, 10, 30, 15)
    changed = row_update(
        OptimizationRecommendation,
        recommendation.pk,
        ai_short_description="<strong>кратко</strong>",
        ai_detailed_description="подробно",
        ai_generated_at=when,
    )
    assert changed == 1
    recommendation.refresh_from_db()
    assert recommendation.ai_short_description == "<strong>кратко</strong>"
    assert recommendation.ai_detailed_description == "подробно"
    assert recommendation.ai_generated_at == when


def test_row_update_of_a_missing_row_changes_nothing(alice):
    changed = row_update(OptimizationRecommendation, 10**9, ai_short_description="x")
    assert changed == 0


def test_row_update_adds_to_the_fields_it_is_given_and_sets_the_others(alice):
    session = ChatSession.objects.create(id="s-added", user_id=alice.pk, message_count=3)
    when = datetime(2026, 12, 7, 11, 0, 0)
    changed = row_update(ChatSession, session.pk, added={"message_count": 2}, last_activity_at=when)
    assert changed == 1
    session.refresh_from_db()
    assert (session.message_count, session.last_activity_at) == (5, when)
    row_update(ChatSession, session.pk, added={"message_count": -1})
    session.refresh_from_db()
    assert session.message_count == 4


def test_row_insert_stores_the_row_and_gives_it_its_id(alice):
    session = ChatSession.objects.create(id="s-insert", user_id=alice.pk, scenario="analytics")
    when = datetime(2026, 12, 7, 11, 0, 0)
    first = row_insert(
        ChatMessage(session_id=session.pk, role="user", content="вопрос", created_at=when),
        using=router.db_for_write(ChatMessage),
    )
    second = row_insert(
        ChatMessage(session_id=session.pk, role="assistant", content="ответ", created_at=when),
        using=router.db_for_write(ChatMessage),
    )
    assert second.pk > first.pk and not first._state.adding
    stored = ChatMessage.objects.get(pk=first.pk)
    assert (stored.role, stored.content, stored.created_at) == ("user", "вопрос", when)
    assert ChatMessage.objects.get(pk=second.pk).content == "ответ"


def _active_user(user_id: int, email: str):
    return InfraZenUser.objects.filter(pk=user_id, email=email, is_active=True).values("pk")[:1]


ACTIVE_USER = CompiledQuery(InfraZenUser, _active_user, user_id=-7_300_101, email="\x00email")


def test_a_compiled_query_answers_what_the_orm_answers(alice, bob):
    for user, email in ((alice, alice.email), (bob, alice.email), (bob, bob.email)):
        expected = _active_user(user.pk, email).exists()
        assert ACTIVE_USER.exists(user_id=user.pk, email=email) is expected
    InfraZenUser.objects.filter(pk=bob.pk).update(is_active=False)
    assert ACTIVE_USER.exists(user_id=bob.pk, email=bob.email) is False
    assert ACTIVE_USER.rows(user_id=alice.pk, email=alice.email) == [(alice.pk,)]


def test_a_placeholder_the_query_does_not_use_is_refused(alice):
    unused = CompiledQuery(
        InfraZenUser, lambda user_id: InfraZenUser.objects.filter(pk=1), user_id=-7_300_102
    )
    with pytest.raises(ValueError, match="user_id"):
        unused.exists(user_id=alice.pk)
