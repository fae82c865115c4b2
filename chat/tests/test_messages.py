from __future__ import annotations

from datetime import timedelta

import pytest

from chat.services import (
    FAILED_MARKER,
    STOPPED_MARKER,
    chat_answer_mark,
    chat_message_create,
    chat_message_update_content,
    chat_session_get_or_create,
)
from chat.tests.principals import analytics_principal
from infrazen.models import ChatMessage, ChatSession


@pytest.fixture
def session(alice) -> ChatSession:
    return chat_session_get_or_create(principal=analytics_principal(alice, {"time_range_days": 30}))


def test_a_message_is_stored_and_counted_on_its_session(session):
    ChatSession.objects.filter(pk=session.pk).update(
        last_activity_at=session.last_activity_at - timedelta(hours=1)
    )

    message = chat_message_create(session=session, role="user", content="Где я переплачиваю?")
    chat_message_create(session=session, role="assistant", content="В трёх местах.", tokens=321)

    stored = ChatSession.objects.get(pk=session.pk)
    assert stored.message_count == 2
    assert stored.last_activity_at == ChatMessage.objects.latest("id").created_at
    assert (session.message_count, session.last_activity_at) == (2, stored.last_activity_at)
    assert (message.role, message.content, message.tokens) == ("user", "Где я переплачиваю?", None)
    assert ChatMessage.objects.get(role="assistant").tokens == 321


def test_the_count_is_incremented_in_sql_so_a_stale_session_object_loses_nothing(session):
    stale = ChatSession.objects.get(pk=session.pk)
    chat_message_create(session=session, role="user", content="один")

    chat_message_create(session=stale, role="user", content="два")

    assert ChatSession.objects.get(pk=session.pk).message_count == 2


@pytest.mark.parametrize("content", [None, "", "   \n", 42, b"bytes"])
def test_it_refuses_content_that_is_not_a_non_empty_string(session, content):
    with pytest.raises(ValueError):
        chat_message_create(session=session, role="user", content=content)

    assert ChatMessage.objects.count() == 0
    assert ChatSession.objects.get(pk=session.pk).message_count == 0


def test_it_refuses_content_longer_than_a_mysql_text_column(session):
    with pytest.raises(ValueError):
        chat_message_create(session=session, role="assistant", content="я" * 40_000)


@pytest.mark.parametrize("role", ["tool", "USER", "", None, "bot"])
def test_it_refuses_an_unknown_role_instead_of_coercing_it(session, role):
    with pytest.raises(ValueError):
        chat_message_create(session=session, role=role, content="текст")

    assert ChatMessage.objects.count() == 0


@pytest.mark.parametrize("tokens", [-1, 1.5, "10", True])
def test_it_refuses_a_token_count_that_is_not_a_non_negative_int(session, tokens):
    with pytest.raises(ValueError):
        chat_message_create(session=session, role="assistant", content="ok", tokens=tokens)


def test_a_streamed_answer_can_be_finalised_in_place(session):
    message = chat_message_create(session=session, role="assistant", content="Черно")

    chat_message_update_content(message=message, content="Черновик готов.", tokens=77)

    stored = ChatMessage.objects.get(pk=message.pk)
    assert (stored.content, stored.tokens) == ("Черновик готов.", 77)
    assert ChatSession.objects.get(pk=session.pk).message_count == 1


def test_finalising_refuses_empty_content(session):
    message = chat_message_create(session=session, role="assistant", content="Черно")

    with pytest.raises(ValueError):
        chat_message_update_content(message=message, content="")

    assert ChatMessage.objects.get(pk=message.pk).content == "Черно"


def test_a_stopped_or_failed_partial_answer_carries_its_marker(session):
    assert chat_answer_mark(partial="Экономия 5 000 ₽  \n", marker=STOPPED_MARKER) == (
        "Экономия 5 000 ₽\n\n[ответ остановлен]"
    )
    assert chat_answer_mark(partial="Экономия", marker=FAILED_MARKER) == (
        "Экономия\n\n[ответ прерван из-за ошибки]"
    )


def test_an_answer_stopped_before_any_text_is_still_storable(session):
    content = chat_answer_mark(partial="", marker=STOPPED_MARKER)

    message = chat_message_create(session=session, role="assistant", content=content)

    assert message.content == "[ответ остановлен]"
