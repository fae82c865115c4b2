"""llm.sdk_private.StreamBody: an event stream's lines, however the network cuts them."""

from __future__ import annotations

import asyncio

import pytest

from llm.sdk_private import StreamBody


class _Content:
    def __init__(self, reads: list[bytes]) -> None:
        self.reads = reads

    async def iter_any(self):
        for data in self.reads:
            yield data


class _Response:
    def __init__(self, reads: list[bytes]) -> None:
        self.content = _Content(reads)


def lines(reads: list[bytes]) -> list[str]:
    body = StreamBody.__new__(StreamBody)
    body._response = _Response(reads)

    async def read() -> list[str]:
        return [line async for lines in body.aiter_line_batches() for line in lines]

    return asyncio.run(read())


WHOLE = 'data: {"a": "привет"}\n\ndata: [DONE]\n\n'.encode()


@pytest.mark.parametrize("cut", range(1, len(WHOLE)))
def test_every_cut_of_the_body_gives_the_same_lines(cut):
    assert lines([WHOLE[:cut], WHOLE[cut:]]) == ['data: {"a": "привет"}', "", "data: [DONE]", ""]


def test_crlf_line_ends_and_a_last_line_without_one():
    body = b'data: {"x": 1}\r\n\r\ndata: [DONE]'
    assert lines([body[:9], body[9:15], body[15:]]) == ['data: {"x": 1}', "", "data: [DONE]"]
