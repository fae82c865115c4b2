"""A non-streamed chat completion's POST, sent on the SDK client's own aiohttp session.

Why: the SDK's `post` builds every request from scratch (request options, header merging,
httpx2's Request and URL parsing, its adapter to aiohttp and back to an httpx2 Response),
≈ 0.9 ms of CPU per call under load on top of aiohttp's own work: with 32 text requests in
flight per worker the largest single item of the text endpoint's CPU (bench/README.md,
"Go-live"). Everything in that request is the same for every call of a client but the body
and the read timeout, so the SDK builds it once per client (`_Wire`) and each call sends it
through aiohttp, as the SDK's transport does.

What stays the SDK's: the client and its settings, the request it builds (URL, headers, key),
its JSON encoder, its connection pool (the session of its aiohttp transport) and its errors:
a status other than 2xx raises the APIStatusError subclass the client makes of it, a
failure to connect or to read raises APITimeoutError / APIConnectionError chained from the
same httpx2 exception the SDK's transport maps aiohttp's to (llm.gateway classifies them by
that chain). A client the SDK would send otherwise (a proxy from the environment, a host it
needs an SNI name for) keeps the SDK's `post`. llm/tests/test_wire.py sends requests both
ways to the fake server and compares what arrives and what is raised.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import aiohttp
import httpx2
import openai
from openai import AsyncOpenAI
from openai._models import FinalRequestOptions
from openai._utils._json import openapi_dumps
from openai._vendor.httpx_aiohttp.transport import AiohttpTransport, map_aiohttp_exceptions

CHAT_COMPLETIONS = "/chat/completions"
_READ_TIMEOUT_HEADER = "x-stainless-read-timeout"


@dataclass(frozen=True)
class _Wire:
    """One client's chat completion request, as the SDK builds it, but for the body and the
    read timeout."""

    transport: AiohttpTransport
    url: str
    headers: dict[str, str]
    max_redirects: int

    def session(self) -> aiohttp.ClientSession:
        # What the transport does before its first request: one session per transport.
        if not isinstance(self.transport.client, aiohttp.ClientSession):
            self.transport.client = self.transport.get_client()
        return self.transport.client


# client → its _Wire, or None when the SDK's own `post` must send its requests.
_wires: weakref.WeakKeyDictionary[AsyncOpenAI, _Wire | None] = weakref.WeakKeyDictionary()


def _wire_build(client: AsyncOpenAI, *, timeout: float) -> _Wire | None:
    options = FinalRequestOptions.construct(
        method="post", url=CHAT_COMPLETIONS, json_data={}, timeout=timeout
    )
    request = client._build_request(options)
    http_client = client._client
    transport = http_client._transport_for_url(request.url)
    if (
        not isinstance(transport, AiohttpTransport)
        or transport.proxy is not None
        or "sni_hostname" in request.extensions
    ):
        return None
    headers = {name: value for name, value in request.headers.items() if name != "content-length"}
    return _Wire(
        transport=transport,
        url=str(request.url),
        headers=headers,
        max_redirects=http_client.max_redirects,
    )


def _wire_for(client: AsyncOpenAI, *, timeout: float) -> _Wire | None:
    """The client's wire once the SDK has sent a request of its own (it learns the platform
    for its headers then, off the event loop); None until then."""
    try:
        return _wires[client]
    except KeyError:
        pass
    if client._platform is None:
        return None
    wire = _wires[client] = _wire_build(client, timeout=timeout)
    return wire


async def chat_completion_post(client: AsyncOpenAI, body: dict, *, timeout: float) -> bytes:
    """The body of a 2xx answer to POST /chat/completions, or the SDK's exception."""
    wire = _wire_for(client, timeout=timeout)
    if wire is None:
        return await client.post(
            CHAT_COMPLETIONS, body=body, cast_to=bytes, options={"timeout": timeout}
        )
    # The transport's timeouts for an httpx2.Timeout(timeout), as the SDK makes it.
    timeouts = aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout, connect=timeout)
    try:
        with map_aiohttp_exceptions():
            async with wire.session().request(
                "POST",
                wire.url,
                headers={**wire.headers, _READ_TIMEOUT_HEADER: str(timeout)},
                data=openapi_dumps(body),
                # httpx2 follows the redirects in the SDK's path, as many as this.
                max_redirects=wire.max_redirects,
                auto_decompress=False,
                compress=False,
                timeout=timeouts,
            ) as response:
                content = await response.read()
                status, raw_headers = response.status, response.raw_headers
    except httpx2.TimeoutException as exc:
        raise openai.APITimeoutError(request=_request(wire)) from exc
    except openai.OpenAIError:
        raise
    except Exception as exc:
        # Whatever else the request raised, the SDK's request() wraps it so.
        raise openai.APIConnectionError(request=_request(wire)) from exc
    if 200 <= status < 300 and not _encoded(raw_headers):
        return content
    # httpx2's Response decodes a compressed body, and the SDK makes its errors of one.
    answer = httpx2.Response(status, headers=raw_headers, content=content, request=_request(wire))
    if not answer.is_success:
        raise client._make_status_error_from_response(answer)
    return answer.content


def _encoded(raw_headers: tuple[tuple[bytes, bytes], ...]) -> bool:
    return any(name.lower() == b"content-encoding" for name, _ in raw_headers)


def _request(wire: _Wire) -> httpx2.Request:
    return httpx2.Request("POST", wire.url, headers=wire.headers)
