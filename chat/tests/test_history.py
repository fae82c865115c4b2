from __future__ import annotations

from datetime import datetime

import bpe_openai
import pytest

from chat.selectors import MESSAGE_OVERHEAD_TOKENS, text_tokens_estimate
from chat.services import (
    chat_history,
    chat_history_for_model,
    chat_message_create,
    chat_session_get_or_create,
)
from chat.tests.principals import analytics_principal
from infrazen.models import ChatMessage, ChatSession

SAME_SECOND = datetime(2026, 3, 1, 12, 0, 0)


@pytest.fixture
def session(alice) -> ChatSession:
    return chat_session_get_or_create(principal=analytics_principal(alice))


def write(session: ChatSession, count: int, *, start: int = 0) -> list[ChatMessage]:
    roles = ("user", "assistant")
    return [
        chat_message_create(session=session, role=roles[i % 2], content=f"сообщение {i}")
        for i in range(start, start + count)
    ]


def contents(messages) -> list[str]:
    return [m.content for m in messages]


def test_history_is_the_last_ten_messages_oldest_first(session):
    write(session, 14)

    history = chat_history(session=session)

    assert contents(history) == [f"сообщение {i}" for i in range(4, 14)]


def test_messages_stored_in_the_same_second_keep_their_order_by_id(session):
    write(session, 12)
    ChatMessage.objects.filter(session_id=session.pk).update(created_at=SAME_SECOND)

    history = chat_history(session=session, limit=5)

    assert contents(history) == [f"сообщение {i}" for i in range(7, 12)]
    assert [m.id for m in history] == sorted(m.id for m in history)


def test_a_reconnect_after_an_id_replays_only_what_came_later(session):
    seen = write(session, 4)
    write(session, 3, start=4)
    ChatMessage.objects.filter(session_id=session.pk).update(created_at=SAME_SECOND)

    replay = chat_history(session=session, after_id=seen[-1].id)

    assert contents(replay) == ["сообщение 4", "сообщение 5", "сообщение 6"]
    assert chat_history(session=session, after_id=replay[-1].id) == []


def test_replay_after_an_id_pages_without_gaps_or_repeats(session):
    write(session, 25)

    replayed, after_id = [], 0
    while page := chat_history(session=session, limit=10, after_id=after_id):
        replayed += page
        after_id = page[-1].id

    assert contents(replayed) == [f"сообщение {i}" for i in range(25)]


def test_replay_is_bounded_whatever_limit_is_asked(session):
    write(session, 3)

    assert len(chat_history(session=session, limit=10_000)) == 3
    assert chat_history(session=session, limit=-5) == []


def test_history_never_includes_another_sessions_messages(session, bob):
    other = chat_session_get_or_create(principal=analytics_principal(bob))
    write(other, 3)
    write(session, 2)

    assert contents(chat_history(session=session)) == ["сообщение 0", "сообщение 1"]


def test_model_history_keeps_the_most_recent_messages_that_fit_the_budget(session):
    write(session, 10)
    cost = text_tokens_estimate(text="сообщение 9") + MESSAGE_OVERHEAD_TOKENS

    history = chat_history_for_model(session=session, token_budget=3 * cost)

    assert history == [
        {"role": "assistant", "content": "сообщение 7"},
        {"role": "user", "content": "сообщение 8"},
        {"role": "assistant", "content": "сообщение 9"},
    ]


def test_model_history_stops_at_the_first_message_that_does_not_fit(session):
    write(session, 1)
    chat_message_create(session=session, role="assistant", content="очень длинный ответ " * 200)
    chat_message_create(session=session, role="user", content="а короче?")

    history = chat_history_for_model(session=session, token_budget=200)

    assert history == [{"role": "user", "content": "а короче?"}]


def test_model_history_is_empty_for_a_budget_of_nothing(session):
    write(session, 2)

    assert chat_history_for_model(session=session, token_budget=0) == []


def test_history_tokens_are_counted_with_the_o200k_tokenizer_in_production_too():
    # bpe-openai is a runtime dependency: no len/3 guess that only tests would not see.
    text = "Экономия 5 000 ₽ в месяц на сервере office"

    expected = len(bpe_openai.get_encoding("o200k_base").encode(text))

    assert text_tokens_estimate(text=text) == expected
