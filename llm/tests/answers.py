"""The seam's two entry points, driven to one Completion, for tests that check what happens
around an answer (retries, fallbacks, timeouts, deadlines, routing, accounting) rather than
its shape.

`asked` goes through `structured`: a non-streamed request (the wire), as the text endpoint
and the reports send; the fake model answers it with `Reply.structured_output(said(...))`
or, unscripted, with a valid example. `streamed` goes through `stream`, as the chat does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from llm import gateway


class Said(BaseModel):
    """A short answer."""

    text: str


def said(text: str) -> dict:
    """The arguments of the forced tool call whose answer's text is `text`."""
    return {"text": text}


async def asked(**kwargs: Any) -> gateway.Completion:
    """`structured`'s Completion, its `text` the validated answer's (the call's own content
    is empty: the answer is the forced tool call's arguments)."""
    answer, completion = await gateway.structured(response_model=Said, **kwargs)
    return dataclasses.replace(completion, text=answer.text)


async def streamed(**kwargs: Any) -> gateway.Completion:
    """The Completion of `stream`'s `done` event, after every other event."""
    events = [event async for event in gateway.stream(**kwargs)]
    assert events[-1].kind == "done"
    return events[-1].completion
