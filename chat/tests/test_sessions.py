from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command

from chat.services import (
    chat_message_create,
    chat_session_archive,
    chat_session_archive_idle,
    chat_session_get_or_create,
)
from chat.tests.principals import analytics_principal, rec_principal
from conftest import make_recommendation, make_resource
from infrazen.clock import utc_now
from infrazen.models import ChatSession, CloudProvider
from infrazen.selectors import NotFound, chat_message_list, chat_session_get


@pytest.fixture
def recommendations(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    return [make_recommendation(make_resource(yandex, name)) for name in ("office", "db")]


def test_a_new_recommendation_session_is_stored_the_infrazen_way(alice, recommendations):
    session = chat_session_get_or_create(principal=rec_principal(alice, recommendations[0]))

    stored = ChatSession.objects.get(pk=session.pk)
    assert str(uuid.UUID(stored.id, version=4)) == stored.id
    assert (stored.user_id, stored.recommendation_id) == (alice.pk, recommendations[0].pk)
    assert (stored.scenario, stored.context, stored.status) == ("recommendation", "{}", "active")
    assert stored.message_count == 0
    assert stored.created_at == stored.last_activity_at
    assert stored.created_at.tzinfo is None
    assert abs(stored.created_at - utc_now()) < timedelta(seconds=5)


def test_the_same_recommendation_reuses_its_session(alice, recommendations):
    first = chat_session_get_or_create(principal=rec_principal(alice, recommendations[0]))
    again = chat_session_get_or_create(principal=rec_principal(alice, recommendations[0]))

    assert again.pk == first.pk
    assert ChatSession.objects.count() == 1


def test_another_recommendation_gets_its_own_session(alice, recommendations):
    first = chat_session_get_or_create(principal=rec_principal(alice, recommendations[0]))
    other = chat_session_get_or_create(principal=rec_principal(alice, recommendations[1]))

    assert other.pk != first.pk


def test_an_analytics_session_stores_its_context_as_canonical_json(alice):
    context = {"time_range_days": 30, "filters": {"провайдер": "yandex", "a": 1}}

    session = chat_session_get_or_create(principal=analytics_principal(alice, context))

    assert session.context == json.dumps(context, ensure_ascii=False, sort_keys=True)
    assert session.context == '{"filters": {"a": 1, "провайдер": "yandex"}, "time_range_days": 30}'
    assert session.recommendation_id is None


def test_a_different_analytics_context_gets_a_different_session(alice):
    week = chat_session_get_or_create(principal=analytics_principal(alice, {"time_range_days": 7}))
    month = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 30})
    )
    filtered = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 7, "filters": {"p": "beget"}})
    )

    assert len({week.pk, month.pk, filtered.pk}) == 3


def test_analytics_reuse_ignores_the_key_order_of_the_context(alice):
    first = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 7, "filters": {"a": 1, "b": 2}})
    )
    again = chat_session_get_or_create(
        principal=analytics_principal(alice, {"filters": {"b": 2, "a": 1}, "time_range_days": 7})
    )

    assert again.pk == first.pk


def test_an_analytics_session_is_never_taken_for_a_recommendation_one(alice, recommendations):
    analytics = chat_session_get_or_create(principal=analytics_principal(alice, {}))
    recommendation = chat_session_get_or_create(principal=rec_principal(alice, recommendations[0]))

    assert analytics.pk != recommendation.pk


def test_bob_never_reuses_alices_session(alice, bob):
    alices = chat_session_get_or_create(
        principal=analytics_principal(alice, {"time_range_days": 7})
    )
    bobs = chat_session_get_or_create(principal=analytics_principal(bob, {"time_range_days": 7}))

    assert bobs.pk != alices.pk
    assert bobs.user_id == bob.pk


def test_an_archived_session_is_not_reused(alice, recommendations):
    principal = rec_principal(alice, recommendations[0])
    first = chat_session_get_or_create(principal=principal)
    chat_session_archive(session=first)

    fresh = chat_session_get_or_create(principal=principal)

    assert fresh.pk != first.pk
    assert ChatSession.objects.get(pk=first.pk).status == "archived"
    assert fresh.status == "active"


def test_duplicate_active_sessions_resolve_to_the_most_recently_active(alice, recommendations):
    principal = rec_principal(alice, recommendations[0])
    older = chat_session_get_or_create(principal=principal)
    newer = ChatSession.objects.create(
        id=str(uuid.uuid4()),
        user=alice,
        recommendation=recommendations[0],
        scenario="recommendation",
        context="{}",
        last_activity_at=older.last_activity_at + timedelta(minutes=5),
    )

    for _ in range(3):
        assert chat_session_get_or_create(principal=principal).pk == newer.pk


def test_bob_cannot_read_alices_session_or_its_messages(alice, bob):
    session = chat_session_get_or_create(principal=analytics_principal(alice, {}))
    chat_message_create(session=session, role="user", content="Сколько я трачу?")

    with pytest.raises(NotFound) as foreign:
        chat_session_get(user_id=bob.pk, session_id=session.pk)
    with pytest.raises(NotFound) as missing:
        chat_session_get(user_id=bob.pk, session_id=str(uuid.uuid4()))

    assert str(foreign.value) == str(missing.value)
    assert list(chat_message_list(user_id=bob.pk, session_id=session.pk)) == []
    assert chat_session_get(user_id=alice.pk, session_id=session.pk).pk == session.pk


def test_idle_sessions_are_archived_and_recent_ones_kept(alice):
    idle = chat_session_get_or_create(principal=analytics_principal(alice, {"time_range_days": 7}))
    recent = chat_session_get_or_create(principal=analytics_principal(alice, {}))
    ChatSession.objects.filter(pk=idle.pk).update(
        last_activity_at=idle.last_activity_at - timedelta(days=31)
    )

    assert chat_session_archive_idle(idle_days=30) == 1

    assert ChatSession.objects.get(pk=idle.pk).status == "archived"
    assert ChatSession.objects.get(pk=recent.pk).status == "active"


def test_the_archive_command_reports_what_it_archived(alice, capsys):
    idle = chat_session_get_or_create(principal=analytics_principal(alice, {}))
    ChatSession.objects.filter(pk=idle.pk).update(
        last_activity_at=idle.last_activity_at - timedelta(days=8)
    )

    call_command("chat_archive_idle", "--days", "7")

    assert capsys.readouterr().out.strip() == "archived 1 chat sessions idle for over 7 days"
    assert ChatSession.objects.get(pk=idle.pk).status == "archived"
