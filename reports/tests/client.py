"""The InfraZen app's report calls, sent through the real ASGI application."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from ops.tests.asgi_http import AsgiResponse, asgi_request_async

# The stock Flask client calls from the app's host and sends no Authorization header.
STOCK_CLIENT = ("127.0.0.1", 50123)


async def post(path: str, body, *, client=STOCK_CLIENT, headers=None) -> AsgiResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json", **(headers or {})}
    return await asgi_request_async("POST", path, body=raw, headers=headers, client=client)


async def render(user_id: int, role: str = "cfo", **extra) -> dict:
    response = await post(
        "/v1/reports/render", {"user_id": user_id, "role": role, "context": {}, **extra}
    )
    assert response.status == 200, response.body[:300]
    return response.json()


def html_tags(html: str) -> list[tuple[str, list]]:
    """Every start tag of the page with its attributes, as a browser's tokenizer reads them."""
    seen: list[tuple[str, list]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            seen.append((tag, attrs))

    Collector().feed(html)
    return seen
