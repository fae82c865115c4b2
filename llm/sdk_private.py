"""Every use of the openai SDK's and Instructor's private or internal APIs, in one module, so
that an SDK upgrade is one file to check (llm/tests/test_wire.py and
llm/tests/test_structured_output.py run each of them against the fake server).

openai, names outside its public API (underscore modules and attributes):

    openai._models.FinalRequestOptions        the options `_build_request` takes (wire)
    AsyncOpenAI._build_request                the SDK's own request: URL, headers, key (wire)
    AsyncOpenAI._client                       its httpx2 client, for the transport (wire)
    httpx2.AsyncClient._transport_for_url     the transport a URL goes through (wire)
    AsyncOpenAI._platform                     set once the SDK has sent a request (wire)
    AsyncOpenAI._make_status_error_from_response   the SDK's APIStatusError subclasses (wire)
    openai._utils._json.openapi_dumps         the SDK's JSON encoder for bodies (wire)
    openai._vendor.httpx_aiohttp.transport    AiohttpTransport (its `client`, `get_client()`,
                                              `proxy`) and map_aiohttp_exceptions (wire)
    openai._constants.RAW_RESPONSE_HEADER     the raw streamed response (chat_stream_post)
    openai._models.construct_type             the SDK's lenient parse (chat_completion_parse)
    how the vendored aiohttp transport maps a refused connection to ConnectTimeout
                                              (connection_failed)

Instructor, its v2 mode registry (public, but the handlers' signatures are internal) and
names outside its `__all__`:

    instructor.v2.mode_registry.get_handlers  TOOLS-mode request_handler, response_parser,
                                              reask_handler, message_converter
    instructor.core.IncompleteOutputException, instructor.core.ResponseParsingError

Why each is used is said at its use. The wire (chat_completion_post) is a non-streamed chat
completion's POST, sent on the SDK client's own aiohttp session.

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
same httpx2 exception the SDK's transport maps aiohttp's to (llm.retry classifies them by
that chain). A client the SDK would send otherwise (a proxy from the environment, a host it
needs an SNI name for) keeps the SDK's `post`. llm/tests/test_wire.py sends requests both
ways to the fake server and compares what arrives and what is raised.
"""

from __future__ import annotations

import asyncio
import functools
import json
import typing
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import httpx2
import instructor
import openai
from instructor.core import IncompleteOutputException, ResponseParsingError
from instructor.v2 import mode_registry
from openai import AsyncOpenAI
from openai._constants import RAW_RESPONSE_HEADER
from openai._models import FinalRequestOptions, construct_type
from openai._utils._json import openapi_dumps
from openai._vendor.httpx_aiohttp.transport import AiohttpTransport, map_aiohttp_exceptions
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

__all__ = [
    "INSTRUCTOR_REASKABLE",
    "IncompleteOutputException",
    "StreamBody",
    "chat_completion_parse",
    "chat_completion_post",
    "chat_stream_post",
    "connection_failed",
    "instructor_tools",
]

M = TypeVar("M", bound=BaseModel)

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
    try:
        with map_aiohttp_exceptions():
            async with _post(wire, body, timeout=timeout) as response:
                content = await response.read()
                status, raw_headers = response.status, response.raw_headers
    except Exception as exc:  # noqa: BLE001 - raised again as the SDK raises it
        _raise_as_the_sdk(wire, exc)
    if 200 <= status < 300 and not _encoded(raw_headers):
        return content
    return _checked(client, wire, status, raw_headers, content).content


def _post(wire: _Wire, body: dict, *, timeout: float, headers: dict | None = None):
    """The request as the SDK's transport sends it: its headers, redirects and timeouts."""
    # The transport's timeouts for an httpx2.Timeout(timeout), as the SDK makes it.
    timeouts = aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout, connect=timeout)
    return wire.session().request(
        "POST",
        wire.url,
        headers={**wire.headers, _READ_TIMEOUT_HEADER: str(timeout), **(headers or {})},
        data=openapi_dumps(body),
        # httpx2 follows the redirects in the SDK's path, as many as this.
        max_redirects=wire.max_redirects,
        auto_decompress=False,
        compress=False,
        timeout=timeouts,
    )


def _raise_as_the_sdk(wire: _Wire, exc: Exception) -> typing.NoReturn:
    if isinstance(exc, httpx2.TimeoutException):
        raise openai.APITimeoutError(request=_request(wire)) from exc
    if isinstance(exc, openai.OpenAIError):
        raise exc
    # Whatever else the request raised, the SDK's request() wraps it so.
    raise openai.APIConnectionError(request=_request(wire)) from exc


def _checked(
    client: AsyncOpenAI, wire: _Wire, status: int, raw_headers: Any, content: bytes
) -> httpx2.Response:
    """The answer as httpx2 makes it (a compressed body decoded); a non-2xx one raises the
    SDK's status error."""
    answer = httpx2.Response(status, headers=raw_headers, content=content, request=_request(wire))
    if not answer.is_success:
        raise client._make_status_error_from_response(answer)
    return answer


def _encoded(raw_headers: tuple[tuple[bytes, bytes], ...]) -> bool:
    return any(name.lower() == b"content-encoding" for name, _ in raw_headers)


def _request(wire: _Wire) -> httpx2.Request:
    return httpx2.Request("POST", wire.url, headers=wire.headers)


# --- streaming ---------------------------------------------------------------------------
# The SDK's AsyncStream builds a pydantic ChatCompletionChunk per token (≈ 70 µs each, the
# largest per-token cost of a chat answer); the chunks are plain JSON, so llm.streaming parses
# the SSE lines itself. The request goes out on the SDK client's own aiohttp session as the
# text requests' do (its auth, headers, timeouts and status errors unchanged); a client
# whose wire is not known yet sends it through the SDK and is read from its raw response.
_RAW_STREAM = {RAW_RESPONSE_HEADER: "stream"}
# An SSE body is not worth compressing; asked plain, it is read as it comes.
_PLAIN = {"Accept-Encoding": "identity"}


class StreamBody:
    """An open streamed answer read straight from aiohttp: its lines, then `aclose`.

    The SDK's path hands each network read through httpx2's stream layers; this reads
    whatever arrived and splits it into lines (LF or CRLF: every OpenAI-compatible server's
    line ends; a bare CR is not one here)."""

    def __init__(self, wire: _Wire, request: Any, response: aiohttp.ClientResponse) -> None:
        self.request = _request(wire)
        self._context = request
        self._response = response

    async def aiter_line_batches(self) -> AsyncIterator[list[str]]:
        """The lines each network read completes, together."""
        rest = b""
        with map_aiohttp_exceptions():
            async for data in self._response.content.iter_any():
                *lines, rest = (rest + data).split(b"\n")
                if lines:
                    yield [line.rstrip(b"\r").decode() for line in lines]
        if rest:
            yield [rest.rstrip(b"\r").decode()]

    async def gather(self, seconds: float) -> None:
        """Let the stream's chunks gather in the socket for `seconds`: reading is paused, so
        they cost no wake-up each and come in one read after."""
        connection = self._response.connection
        transport = connection.transport if connection is not None else None
        # The socket alone, not aiohttp's protocol: paused, its parser would hand on one
        # chunk per read after. Left alone if aiohttp paused it itself (a full buffer).
        paused = transport is not None and transport.is_reading()
        if paused:
            transport.pause_reading()
        try:
            await asyncio.sleep(seconds)
        finally:
            if paused and not transport.is_closing():
                transport.resume_reading()

    async def aclose(self) -> None:
        if not self._response.content.at_eof():
            # Closed mid-answer (a stop, a cancel): the connection goes, and the server sees
            # the client leave; released after a whole answer, it is kept for the next one.
            self._response.close()
        await self._context.__aexit__(None, None, None)


async def chat_stream_post(
    client: AsyncOpenAI, body: dict, *, timeout: float
) -> httpx2.Response | StreamBody:
    """The open, unread response to a streamed POST /chat/completions (its `aiter_line_batches`
    and `aclose`), or the SDK's exception."""
    wire = _wire_for(client, timeout=timeout)
    if wire is None:
        return await client.post(
            CHAT_COMPLETIONS,
            body=body,
            cast_to=httpx2.Response,
            options={"timeout": timeout, "headers": _RAW_STREAM},
        )
    request = _post(wire, body, timeout=timeout, headers=_PLAIN)
    try:
        with map_aiohttp_exceptions():
            response = await request.__aenter__()
    except Exception as exc:  # noqa: BLE001 - raised again as the SDK raises it
        _raise_as_the_sdk(wire, exc)
    if 200 <= response.status < 300 and not _encoded(response.raw_headers):
        return StreamBody(wire, request, response)
    try:
        with map_aiohttp_exceptions():
            content = await response.read()
    except Exception as exc:  # noqa: BLE001 - raised again as the SDK raises it
        _raise_as_the_sdk(wire, exc)
    finally:
        await request.__aexit__(None, None, None)
    # An error status raises; a 2xx the server compressed all the same is read whole.
    return _checked(client, wire, response.status, response.raw_headers, content)


def chat_completion_parse(body: bytes) -> ChatCompletion | None:
    """The body as the SDK's `cast_to=ChatCompletion` builds it, or None if it is not one.

    Validated by pydantic-core first (≈ 10 µs; the SDK builds it in Python, ≈ 75 µs); a body
    that does not validate is built the SDK's lenient way, as before.
    """
    try:
        return ChatCompletion.model_validate_json(body)
    except ValueError:
        pass
    try:
        data = json.loads(body)
    except ValueError:
        return None
    built = construct_type(type_=ChatCompletion, value=data)
    return built if isinstance(built, ChatCompletion) else None


def connection_failed(exc: BaseException) -> bool:
    """A refused or dropped connection, which the SDK's aiohttp transport reports as a
    timeout (it maps aiohttp's ClientConnectionError to httpx's ConnectTimeout)."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors
            return False
        if isinstance(cause, aiohttp.ClientConnectionError):
            return True
        cause = cause.__cause__
    return False


# --- Instructor ----------------------------------------------------------------------------
# The answers Instructor re-asks about (as its own retry loop does).
INSTRUCTOR_REASKABLE = (
    ValidationError,
    json.JSONDecodeError,
    ResponseParsingError,
)


@functools.lru_cache(maxsize=64)
def instructor_tools(response_model: type[M]) -> tuple[Any, type[M], dict]:
    """Instructor's TOOLS-mode handlers, the class it parses answers into, and the request's
    `tools` and `tool_choice`, built once per response model.

    `instructor.patch` runs all of this on every call (schema, checks, a deep copy of the
    request for re-asks: ≈ 0.6 ms of CPU per call), so the gateway calls Instructor's
    registry handlers (its documented v2 API) directly. The request part must not be
    mutated; the re-ask handler copies it.
    """
    handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, instructor.Mode.TOOLS)
    parse_model, tool = handlers.request_handler(
        response_model=_tool_model(response_model), kwargs={}
    )
    del tool["messages"]
    return handlers, parse_model, tool


@functools.lru_cache(maxsize=64)
def _tool_model(response_model: type[M]) -> type[M]:
    """The response model as Instructor's tool schema class, keeping the model's name and
    docstring (the tool's name and description). Instances are still instances of
    `response_model`."""
    return type(
        response_model.__name__,
        (instructor.response_schema(response_model),),
        {
            "__doc__": response_model.__doc__,
            "__module__": response_model.__module__,
            "__qualname__": response_model.__qualname__,
        },
    )
