"""Ids a client sends (`?after=`, a `history` frame's `after`, `?session=`) are ASCII digits or
a uuid in range; anything else is refused clearly and the socket stays usable."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from chat.flask_tokens import chat_token_mint_for_tests
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatMessage, ChatSession

pytestmark = pytest.mark.django_db(transaction=True)

NOT_IDS = ["²", "١٢", "12²", "-1", "+1", " 1", "1.0", "0x10", "9" * 19, "1" * 25, "9" * 5000, ""]


def analytics_path(user, **query: str) -> str:
    token = chat_token_mint_for_tests(user_id=user.pk, scenario="analytics")
    extra = "".join(f"&{key}={quote(value)}" for key, value in query.items())
    return f"/v1/chat/analytics?token={token}{extra}"


async def _conversation(user) -> ChatSession:
    """A session with two stored messages."""
    client = ChatClient(analytics_path(user))
    system = await client.connect()
    await client.ask("Как меняются расходы?")
    await client.until("assistant")
    await answers_settled()
    await client.close()
    return await ChatSession.objects.aget(pk=system["session_id"])


@pytest.mark.parametrize("after", NOT_IDS)
async def test_an_after_in_the_query_that_is_no_id_is_ignored_and_said_so(alice, after):
    await _conversation(alice)
    client = ChatClient(analytics_path(alice, after=after))
    system = await client.connect()
    assert system["type"] == "system"
    if after == "":
        # An empty value is no value (parse_qs drops it): a plain connect.
        replay = [await client.receive(), await client.receive()]
    else:
        error = await client.receive()
        assert error["type"] == "error" and error["code"] == "bad_frame"
        # Replayed as without `after`: the last messages.
        replay = [await client.receive(), await client.receive()]
    assert [frame["type"] for frame in replay] == ["user", "assistant"]
    assert await client.nothing()
    await client.ask("Ещё вопрос")
    assert (await client.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    await client.close()


async def test_the_largest_bigint_is_a_valid_after(alice):
    await _conversation(alice)
    client = ChatClient(analytics_path(alice, after=str(2**63 - 1)))
    system = await client.connect()
    assert system["last_message_id"] == 2**63 - 1
    assert await client.nothing()
    await client.close()


@pytest.mark.parametrize(
    "after", [2**63, 2**64, 10**30, -1, 1.5, 1e308, "12", "²", True, None, [1], {"a": 1}]
)
async def test_a_history_frame_with_an_after_out_of_range_gets_an_error_and_stays(alice, after):
    await _conversation(alice)
    client = ChatClient(analytics_path(alice))
    await client.connect()
    await client.receive(), await client.receive()
    await client.send({"type": "history", "after": after})
    error = await client.receive()
    assert error["type"] == "error" and error["code"] == "bad_frame"
    # Usable afterwards: a valid history request is answered.
    await client.send({"type": "history", "after": 0})
    replay = [await client.receive(), await client.receive()]
    assert [frame["type"] for frame in replay] == ["user", "assistant"]
    await client.close()


async def test_a_history_frame_with_an_integer_of_thousands_of_digits_gets_an_error(alice):
    client = ChatClient(analytics_path(alice))
    await client.connect()
    await client.send('{"type": "history", "after": ' + "9" * 5000 + "}")
    assert (await client.receive())["code"] == "bad_frame"
    await client.close()


@pytest.mark.parametrize(
    "session_id", ["１２３", "é" * 36, "%00", "a" * 37, "' OR 1=1 --", "abc\u0000def"]
)
async def test_a_session_id_that_is_no_uuid_is_not_found(alice, session_id):
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    client = ChatClient(f"/v1/chat/ws?session={quote(session_id)}&token={token}")
    assert await client.connect() is None
    assert (client.closed["code"], client.closed["reason"]) == (4404, "Session not found")
    assert not await ChatMessage.objects.aexists()
