"""The wire (llm.sdk_private) sends a chat completion as the SDK's `post` does, and fails alike.

Each test makes the same call both ways against the fake server: first the SDK's own `post`
(which also teaches the client its platform, so the wire is built), then the wire.
"""

from __future__ import annotations

import json
import socket

import openai
import pytest

from llm import gateway, retry, sdk_private
from llm.fake_server import FakeLLMServer, Reply

BODY = {
    "model": "text/primary",
    "messages": [{"role": "user", "content": "Сколько я сэкономлю? ₽ «кавычки»"}],
    "max_tokens": 50,
    "temperature": 0.3,
}


async def sdk_post(client: openai.AsyncOpenAI, timeout: float = 2.0) -> bytes:
    return await client.post(
        "/chat/completions", body=BODY, cast_to=bytes, options={"timeout": timeout}
    )


async def both(client: openai.AsyncOpenAI, timeout: float = 2.0) -> list:
    """What each way returned or raised, the SDK's first."""
    outcomes = []
    for send in (sdk_post, lambda c, t: sdk_private.chat_completion_post(c, BODY, timeout=t)):
        try:
            outcomes.append(await send(client, timeout))
        except openai.OpenAIError as exc:
            outcomes.append(exc)
    assert sdk_private._wires[client] is not None, "the second call did not go through the wire"
    return outcomes


def causes(exc: BaseException) -> list[type]:
    chain = []
    while exc is not None:
        chain.append(type(exc))
        exc = exc.__cause__
    return chain


@pytest.fixture
def server():
    with FakeLLMServer(default=None) as fake:
        yield fake


async def test_it_sends_the_same_url_headers_and_body_as_the_sdk(server):
    server.enqueue(Reply.answer("первый"), Reply.answer("второй"))
    client = gateway.get_client(base_url=server.base_url, api_key="test-key")

    by_sdk, by_wire = await both(client)

    first, second = server.requests
    assert (second.method, second.path) == (first.method, first.path)
    assert {k.lower(): v for k, v in second.headers.items()} == {
        k.lower(): v for k, v in first.headers.items()
    }
    assert {k.lower(): v for k, v in second.headers.items()}["authorization"] == "Bearer test-key"
    assert second.body == first.body == BODY
    assert json.loads(by_sdk)["choices"][0]["message"]["content"] == "первый"
    assert json.loads(by_wire)["choices"][0]["message"]["content"] == "второй"


async def test_the_read_timeout_header_is_each_calls_own(server):
    server.enqueue(Reply.answer("а"), Reply.answer("б"), Reply.answer("в"))
    client = gateway.get_client(base_url=server.base_url, api_key="test-key")
    await both(client, timeout=2.0)

    await sdk_private.chat_completion_post(client, BODY, timeout=1.25)

    assert server.requests[-1].headers["x-stainless-read-timeout"] == "1.25"


@pytest.mark.parametrize(
    "reply",
    [
        Reply.error(429, retry_after=3),
        Reply.error(500),
        Reply.error(404),
        Reply.error(401),
        Reply.error(400),
        Reply.raw("<html>bad gateway</html>", content_type="text/html", status=502),
    ],
    ids=["429", "500", "404", "401", "400", "502-html"],
)
async def test_an_error_status_raises_the_sdks_exception(server, reply):
    server.enqueue(reply, reply)
    client = gateway.get_client(base_url=server.base_url, api_key="test-key")

    by_sdk, by_wire = await both(client)

    assert isinstance(by_sdk, openai.APIStatusError)
    assert type(by_wire) is type(by_sdk)
    assert (by_wire.status_code, by_wire.message, by_wire.body) == (
        by_sdk.status_code,
        by_sdk.message,
        by_sdk.body,
    )
    assert by_wire.response.headers.get("retry-after") == by_sdk.response.headers.get("retry-after")
    assert retry.failure_of(by_wire).outcome == retry.failure_of(by_sdk).outcome


async def test_a_body_that_is_not_json_comes_back_as_it_came(server):
    reply = Reply.raw("not json at all")
    server.enqueue(reply, reply)
    client = gateway.get_client(base_url=server.base_url, api_key="test-key")

    by_sdk, by_wire = await both(client)

    assert by_wire == by_sdk == b"not json at all"


async def test_a_model_that_does_not_answer_in_time_is_the_sdks_timeout(server):
    server.enqueue(Reply.hang(1.0), Reply.hang(1.0))
    client = gateway.get_client(base_url=server.base_url, api_key="test-key")

    by_sdk, by_wire = await both(client, timeout=0.2)

    assert isinstance(by_sdk, openai.APITimeoutError)
    assert causes(by_wire) == causes(by_sdk)
    assert retry.failure_of(by_wire).outcome == retry.failure_of(by_sdk).outcome


async def test_a_refused_connection_is_the_sdks_connection_error():
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = gateway.get_client(base_url=f"http://127.0.0.1:{port}/v1", api_key="test-key")

    by_sdk, by_wire = await both(client)

    assert isinstance(by_sdk, openai.APIConnectionError)
    assert causes(by_wire) == causes(by_sdk)
    assert sdk_private.connection_failed(by_wire) and sdk_private.connection_failed(by_sdk)


async def test_a_client_behind_a_proxy_keeps_the_sdks_post():
    client = openai.AsyncOpenAI(
        base_url="http://127.0.0.1:9/v1",
        api_key="test-key",
        http_client=openai.DefaultAioHttpClient(proxy="http://127.0.0.1:8"),
    )

    assert sdk_private._wire_build(client, timeout=1.0) is None
    await client.close()
