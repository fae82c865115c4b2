"""The OpenAI SDK clients: built lazily, one per endpoint and event loop, closed with it."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

import httpx2
import openai
from django.conf import settings
from openai import AsyncOpenAI

# Local servers ignore the key, but the SDK refuses to build a client without one.
_KEYLESS_PLACEHOLDER = "unused"


# The SDK's connection pool belongs to the event loop that opened it, so clients are
# cached per loop (one loop in production; a fresh one per test or asyncio.run) and closed
# when that loop shuts down (_LoopClients).
class _LoopClients:
    """One loop's clients, closed by the loop's own shutdown.

    asyncio.run, asyncio.Runner (pytest-asyncio) and asgiref's async_to_sync all finish a
    loop with `shutdown_asyncgens()`, which closes every async generator the loop has
    started. `_closer` is one, parked at its `yield`: its `finally` closes the clients
    while the loop still runs. An aiohttp session left open when its loop goes away is
    reported as an error.
    """

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], AsyncOpenAI] = {}
        self._closer = self._close_at_loop_end()
        # Run it up to its `yield` (no await before it); the loop's asyncgen hook sees the
        # first step and keeps it for shutdown_asyncgens (weakly: this object holds it).
        with contextlib.suppress(StopIteration):
            self._closer.asend(None).send(None)

    async def _close_at_loop_end(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.close()

    async def close(self) -> None:
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            await client.close()


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients]
_clients = weakref.WeakKeyDictionary()


def http_client() -> httpx2.AsyncClient:
    """The SDK's aiohttp transport, with a keep-alive pool as large as the connection limit.

    aiohttp parses responses in C: a streamed chat answer costs about 40 % less CPU than
    through the SDK's default httpx transport (≈ 9 against 15 ms for 80 tokens, most of it
    per chunk), which every other socket of the process waits out. The SDK keeps 100 idle
    connections out of 1,000: with more streams than that at once (every open chat answer
    holds one), each further request paid a new TCP connection.
    """
    limits = httpx2.Limits(
        max_connections=settings.LLM_MAX_CONNECTIONS,
        max_keepalive_connections=settings.LLM_MAX_CONNECTIONS,
    )
    return openai.DefaultAioHttpClient(limits=limits)


def get_client(*, base_url: str, api_key: str) -> AsyncOpenAI:
    """The cached client for this endpoint. Call from async code."""
    loop = asyncio.get_running_loop()
    per_loop = _clients.get(loop)
    if per_loop is None:
        per_loop = _clients[loop] = _LoopClients()
    key = (base_url, api_key)
    if key not in per_loop.clients:
        # max_retries=0: the SDK's own retries would multiply ours and ignore the deadline.
        per_loop.clients[key] = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or _KEYLESS_PLACEHOLDER,
            max_retries=0,
            timeout=settings.LLM_TIMEOUT_S,
            http_client=http_client(),
        )
    return per_loop.clients[key]
