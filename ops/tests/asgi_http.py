"""One HTTP request through the real ASGI application (`agentsite.asgi.application`): the
fast path, the middleware chain and the URLconf handlers as daphne would run them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from channels.testing import HttpCommunicator

TRACEBACK_MARKERS = ("Traceback", 'File "', "django.core", "Exception Value", "technical_500")


@dataclass
class AsgiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


async def asgi_request_async(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    client: tuple[str, int] | None = None,
    timeout: float = 30,
) -> AsgiResponse:
    from agentsite.asgi import application

    raw_headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
    ]
    if not any(k == b"host" for k, _ in raw_headers):
        raw_headers.append((b"host", b"127.0.0.1"))
    query = b""
    if "?" in path:
        path, _, q = path.partition("?")
        query = q.encode("latin-1")
    communicator = HttpCommunicator(application, method, path, body=body, headers=raw_headers)
    communicator.scope["query_string"] = query
    if client is not None:
        communicator.scope["client"] = client
    response = await communicator.get_response(timeout=timeout)
    return AsgiResponse(
        status=response["status"],
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response["headers"]},
        body=response.get("body", b""),
    )


def asgi_request(method: str, path: str, **kwargs) -> AsgiResponse:
    return asyncio.run(asgi_request_async(method, path, **kwargs))


def traceback_free(body: bytes) -> bool:
    text = body.decode("utf-8", "replace")
    return not any(marker in text for marker in TRACEBACK_MARKERS)
