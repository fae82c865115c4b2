"""Chat answers are stored and sent with HTML neutralised: a client rendering them raw cannot
be made to start a tag, an escaping client shows the text as the model wrote it, and the
streamed deltas still add up to the final answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.citations import UNVERIFIED_MARK
from chat.flask_tokens import chat_token_mint_for_tests
from chat.neutralise import ZERO_WIDTH_SPACE, HtmlStream, html_neutralise
from chat.tests.wsclient import ChatClient, answers_settled
from infrazen.models import ChatMessage
from llm.fake_server import Reply

# What HTML's tokenizer takes for the start of a tag (or comment, doctype, processing
# instruction): `<` then a letter, `/`, `!` or `?`.
TAG_START = re.compile(r"<[A-Za-z/!?]")

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Итого: **1 000 ₽**.\n<svg/onload=alert(1)> и </p><iframe src=javascript:alert(1)>",
    "<!-- x --><?php ?> a< b <\u200bc <<script>",
]


def marked(answer: str) -> str:
    """The answer as the final frame has it: its one invented figure marked (chat.citations)."""
    return answer.replace("1 000 ₽", "1 000 ₽" + UNVERIFIED_MARK)


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for child in value.values() for s in strings(child)]
    if isinstance(value, list):
        return [s for child in value for s in strings(child)]
    return []


# --- the function ---------------------------------------------------------------------------------
def test_it_puts_a_zero_width_space_after_every_less_than_sign():
    assert html_neutralise("<script>alert(1)</script>") == "<\u200bscript>alert(1)<\u200b/script>"


def test_text_without_markup_is_left_exactly_as_it_is():
    text = "Экономия **1 000 ₽/мес**, 3 > 2, a & b\nновая строка"
    assert html_neutralise(text) is text


@given(st.text())
def test_it_is_idempotent_and_leaves_no_tag_start(text):
    once = html_neutralise(text)
    assert html_neutralise(once) == once
    assert not TAG_START.search(once)
    # An escaping client shows the text as written: only zero-width spaces were added.
    assert once.replace(ZERO_WIDTH_SPACE, "") == text.replace(ZERO_WIDTH_SPACE, "")


pieces = st.lists(st.text(alphabet=st.sampled_from(["<", ZERO_WIDTH_SPACE, "a", "/", " "])))


@given(pieces)
def test_a_stream_neutralised_piece_by_piece_adds_up_to_the_neutralised_whole(parts):
    stream = HtmlStream()
    assert "".join(stream.piece(part) for part in parts) == html_neutralise("".join(parts))


# --- through the socket ---------------------------------------------------------------------
pytestmark_db = pytest.mark.django_db(transaction=True)


@pytestmark_db
@pytest.mark.parametrize("answer", HOSTILE)
async def test_a_hostile_answer_is_neutralised_in_every_frame_and_in_the_row(
    alice, fake_llm, settings, answer
):
    settings.CHAT_DELTA_FLUSH_MS = 0  # a delta per word: pieces end in `<`
    fake_llm.enqueue(Reply.answer(answer))
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    client = ChatClient(f"/v1/chat/analytics?token={token}")
    await client.connect()
    await client.send({"type": "message", "content": "<b>вопрос</b>", "client_id": "c1"})
    got = await client.until("assistant")
    await answers_settled()

    for frame in got:
        for text in strings(frame):
            assert not TAG_START.search(text), frame
    final = got[-1]
    deltas = "".join(f["content"] for f in got if f["type"] == "assistant_delta")
    assert marked(deltas.strip()) == final["content"]
    assert final["content"].replace(ZERO_WIDTH_SPACE, "") == marked(answer).replace(
        ZERO_WIDTH_SPACE, ""
    )
    row = await ChatMessage.objects.aget(pk=final["message_id"])
    assert row.content == final["content"]
    await client.close()

    # The history replay: the answer as stored, the question (kept as typed) neutralised.
    again = ChatClient(f"/v1/chat/analytics?token={token}")
    await again.connect()
    replay = [await again.receive(), await again.receive()]
    assert [f["type"] for f in replay] == ["user", "assistant"]
    assert replay[0]["content"] == html_neutralise("<b>вопрос</b>")
    assert replay[1]["content"] == final["content"]
    await again.close()
    question = await ChatMessage.objects.filter(role="user").aget()
    assert question.content == "<b>вопрос</b>"


@pytestmark_db
async def test_rows_stored_before_neutralisation_are_neutralised_on_replay(alice):
    from chat.services import chat_message_create, chat_session_get_or_create
    from chat.tests.principals import analytics_principal

    session = await _session(alice, chat_session_get_or_create, analytics_principal)
    await _create(chat_message_create, session, "<script>alert(1)</script>")
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    client = ChatClient(f"/v1/chat/analytics?token={token}")
    await client.connect()
    frame = await client.receive()
    assert frame["content"] == "<\u200bscript>alert(1)<\u200b/script>"
    await client.close()


async def _session(user, get_or_create, principal_of):
    from channels.db import database_sync_to_async

    principal = principal_of(user, {"time_range_days": 30})
    return await database_sync_to_async(get_or_create)(principal=principal)


async def _create(create, session, content: str) -> None:
    from channels.db import database_sync_to_async

    await database_sync_to_async(create)(session=session, role="assistant", content=content)


@pytestmark_db
async def test_an_offline_answer_quoting_a_hostile_resource_name_is_neutralised(alice):
    from channels.db import database_sync_to_async

    from conftest import make_recommendation, make_resource
    from infrazen.models import CloudProvider

    def hostile_recommendation():
        yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
        resource = make_resource(yandex, "<img src=x onerror=alert(1)>", status="STOPPED")
        return make_recommendation(resource)

    rec = await database_sync_to_async(hostile_recommendation)()
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
    client = ChatClient(f"/v1/chat/rec/{rec.pk}?token={token}")
    await client.connect()
    await client.ask("Что это за рекомендация?")
    got = await client.until("assistant")
    await answers_settled()
    for frame in got:
        for text in strings(frame):
            assert not TAG_START.search(text), frame
    await client.close()
