from __future__ import annotations

import json
import socket

import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.models import LLMCall
from llm.tests.answers import asked

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Привет"}]


def assert_clean(error: Exception) -> None:
    text = str(error)
    for leak in ("Traceback", "Expecting", "JSONDecodeError", "peer closed", "httpx"):
        assert leak not in text


async def test_a_malformed_json_body_is_an_llm_error_not_a_crash(fake_llm):
    fake_llm.route(Reply.raw('{"id": "x", "choices": [ oops'))

    with pytest.raises(gateway.LLMError) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert_clean(raised.value)
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.BAD_RESPONSE


async def test_a_non_json_body_is_an_llm_error(fake_llm):
    fake_llm.route(Reply.raw("<html>502 Bad Gateway</html>", content_type="text/html"))

    with pytest.raises(gateway.LLMError) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert_clean(raised.value)


async def test_a_malformed_body_moves_on_to_the_fallback_model(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    fake_llm.route(Reply.raw("{"), model="text/primary")

    answer = await asked(purpose="test", messages=MESSAGES)

    assert answer.model == "text/backup"


async def test_a_stream_cut_after_text_reached_the_caller_raises_llm_error(fake_llm):
    fake_llm.enqueue(Reply.cut("один два три четыре пять шесть", after_chunks=3))

    received = []
    with pytest.raises(gateway.LLMError) as raised:
        async for event in gateway.stream(purpose="chat", messages=MESSAGES):
            received.append(event.text)

    assert "".join(received) == "один два "
    assert_clean(raised.value)
    assert len(fake_llm.chat_requests()) == 1
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.STREAM_ERROR


async def test_a_stream_cut_before_any_text_is_retried(fake_llm):
    fake_llm.enqueue(Reply.cut("один два", after_chunks=1), Reply.answer("целиком"))

    events = [e async for e in gateway.stream(purpose="chat", messages=MESSAGES)]

    assert events[-1].completion.text == "целиком"
    outcomes = [r.outcome async for r in LLMCall.objects.order_by("id")]
    assert outcomes == [LLMCall.Outcome.CONNECTION_ERROR, LLMCall.Outcome.OK]


def sse(*events: str) -> str:
    return "".join(f"{event}\n\n" for event in events)


def chunk(content: str | None = None, *, finish: str | None = None) -> str:
    delta = {} if content is None else {"content": content}
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "text/primary",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return json.dumps(body, ensure_ascii=False)


async def test_a_stream_with_comments_event_names_and_multiline_data_is_read_whole(fake_llm):
    usage = '{"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}'
    body = sse(
        ": keep-alive",
        "event: message\ndata: " + chunk("Сервер "),
        # One event's data on two lines: joined with a newline, it is still one JSON object.
        'data: {"id": "c1", "model": "text/primary",\ndata: "choices": '
        '[{"index": 0, "delta": {"content": "простаивает"}, "finish_reason": null}]}',
        "data: " + chunk(finish="stop"),
        'data: {"id": "c1", "model": "text/primary", "choices": [], "usage": ' + usage + "}",
        "data: [DONE]",
    )
    fake_llm.route(Reply.raw(body, content_type="text/event-stream"))

    events = [e async for e in gateway.stream(purpose="chat", messages=MESSAGES)]

    assert "".join(e.text for e in events if e.kind == "delta") == "Сервер простаивает"
    done = events[-1].completion
    assert (done.finish_reason, done.prompt_tokens, done.completion_tokens) == ("stop", 7, 2)


async def test_an_error_event_before_any_text_falls_back_to_the_next_model(fake_llm, settings):
    settings.LLM_FALLBACK_MODELS = ["text/backup"]
    error = '{"error": {"message": "upstream overloaded", "code": 502}}'
    fake_llm.route(
        Reply.raw(sse("data: " + error), content_type="text/event-stream"), model="text/primary"
    )

    events = [e async for e in gateway.stream(purpose="chat", messages=MESSAGES)]

    assert events[-1].completion.model == "text/backup"
    outcomes = [r.outcome async for r in LLMCall.objects.order_by("id")]
    assert outcomes == [LLMCall.Outcome.BAD_RESPONSE, LLMCall.Outcome.OK]


async def test_an_error_event_after_text_reached_the_caller_raises_llm_error(fake_llm):
    error = '{"error": {"message": "Traceback: upstream overloaded"}}'
    fake_llm.route(
        Reply.raw(
            sse("data: " + chunk("Часть "), "data: " + error), content_type="text/event-stream"
        )
    )

    received = []
    with pytest.raises(gateway.LLMError) as raised:
        async for event in gateway.stream(purpose="chat", messages=MESSAGES):
            received.append(event.text)

    assert received == ["Часть "]
    assert_clean(raised.value)
    assert (await LLMCall.objects.aget()).outcome == LLMCall.Outcome.STREAM_ERROR


async def test_a_refused_connection_is_a_connection_error_retried_on_the_same_endpoint(
    fake_llm, settings
):
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.LLM_FALLBACK_MODELS = ["text/backup"]

    with pytest.raises(gateway.LLMError) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert_clean(raised.value)
    calls = [(r.model_requested, r.outcome) async for r in LLMCall.objects.order_by("id")]
    # Same endpoint for every model: no fallback, LLM_MAX_RETRIES retries of the first.
    assert calls == [("text/primary", LLMCall.Outcome.CONNECTION_ERROR)] * 3
