"""A streamed chat completion's body read as chunks: server-sent events parsed out of the
lines each network read completes, the chunks of one read together.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx2
import openai

from llm import sdk_private

# An open streamed answer: its `request`, its lines (httpx2's `aiter_lines()`, StreamBody's
# `aiter_line_batches()`) and `aclose()`.
StreamResponse = httpx2.Response | sdk_private.StreamBody


class _SseParser:
    """The `data` of each complete server-sent event in the lines fed so far (WHATWG SSE:
    fields, comments, multi-line data)."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, lines: list[str]) -> list[str]:
        events = []
        for line in lines:
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
                continue
            name, _, value = line.partition(":")
            if name == "data":
                self._data.append(value[1:] if value.startswith(" ") else value)
        return events

    def end(self) -> list[str]:
        """An event the body ended without its blank line."""
        return ["\n".join(self._data)] if self._data else []


async def _lines_one_by_one(response: StreamResponse) -> AsyncIterator[list[str]]:
    async for line in response.aiter_lines():
        yield [line]


async def chunk_batches(response: StreamResponse) -> AsyncIterator[list[dict]]:
    """Chat completion chunks as dicts, those of one network read together, until `[DONE]`;
    an `error` event raises APIError. A model streams a token or so per chunk: under load
    several arrive in one read, and they go on as one piece instead of one each."""
    parser = _SseParser()
    if isinstance(response, sdk_private.StreamBody):
        batches = response.aiter_line_batches()
    else:
        batches = _lines_one_by_one(response)
    async for lines in batches:
        chunks, done = _chunks(parser.feed(lines), response)
        if chunks:
            yield chunks
        if done:
            return
    chunks, _ = _chunks(parser.end(), response)
    if chunks:
        yield chunks


def _chunks(events: list[str], response: StreamResponse) -> tuple[list[dict], bool]:
    """The chunks of `events` up to `[DONE]`, and whether it came."""
    chunks = []
    for data in events:
        if data.startswith("[DONE]"):
            return chunks, True
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise ValueError("a stream chunk is not a JSON object")
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else None
            raise openai.APIError(
                message or "the provider reported an error mid-stream",
                response.request,
                body=error,
            )
        chunks.append(chunk)
    return chunks, False


async def gathered(response: StreamResponse, seconds: float) -> None:
    """Wait `seconds` before the next read, the chunks gathering meanwhile (StreamBody pauses
    its socket; the SDK's own response just waits)."""
    if isinstance(response, sdk_private.StreamBody):
        await response.gather(seconds)
    else:
        await asyncio.sleep(seconds)
