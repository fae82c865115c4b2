"""The vision model's looks at the user's pasted screenshots, for the chat's tools and its
image memory (chat.image_memory).

A look is one vision call about one image with one question. Like the chat's own model
calls it is metered against the user's budget (governance.metering: reserve an estimate,
settle with what the provider reported) and goes through the gateway's stream, which sends
the user's personal data as placeholders.

The images live with the chat (chat.images), a layer above the tools: the chat lends its
lookup for the span of an answer (`screenshots_visible`), as `lookups_shared` spans a pack.
Outside such a span no image is visible, so a tool run elsewhere finds none. Within it, the
chat is also told what each look cost (`paid`), so the answer's cost holds its looks too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from governance.metering import model_call_metered
from governance.policy import Policy
from llm import gateway
from tools.prompts import VISION_SYSTEM

LOOK_MAX_TOKENS = 500
LOOK_DEADLINE_S = 60.0


class Screenshots(Protocol):
    def data_url(self, *, user_id: int, image_id: str) -> str | None:
        """The user's own live image as a data URL; None for anything else (sync: DB, disk)."""


# Told what each look cost (its Completion): the chat adds it to the answer's cost.
Paid = Callable[[gateway.Completion], None]

_VISIBLE: ContextVar[Screenshots | None] = ContextVar("tools_screenshots", default=None)
_PAID: ContextVar[Paid | None] = ContextVar("tools_looks_paid", default=None)


@contextmanager
def screenshots_visible(
    screenshots: Screenshots | None, *, paid: Paid | None = None
) -> Iterator[None]:
    """Within this block (and the tasks and threads it starts) tools may see images, and
    each look's cost is given to `paid`."""
    token, paid_token = _VISIBLE.set(screenshots), _PAID.set(paid)
    try:
        yield
    finally:
        _PAID.reset(paid_token)
        _VISIBLE.reset(token)


def screenshot_data_url(*, user_id: int, image_id: str) -> str | None:
    """The user's own live image as a data URL, where the caller lent its lookup."""
    screenshots = _VISIBLE.get()
    return screenshots.data_url(user_id=user_id, image_id=image_id) if screenshots else None


@dataclass(frozen=True)
class Look:
    """What the vision model said about the image, and which model said it."""

    text: str
    model: str = ""


def _look_paid(completion: gateway.Completion) -> None:
    paid = _PAID.get()
    if paid is not None:
        paid(completion)


def look_messages(*, data_url: str, question: str) -> list[dict]:
    return [
        {"role": "system", "content": VISION_SYSTEM},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": {"url": data_url}},
            ],
        },
    ]


async def image_look(
    *,
    data_url: str,
    question: str,
    policy: Policy,
    purpose: str,
    correlation_id: str | None = None,
) -> Look:
    """Ask the vision model `question` about the image (a data URL). Raises QuotaExceeded
    when the user's budget refuses the call, LLMError when the model fails. The user's own
    name (`policy.names`) goes out as a placeholder, like the rest of their personal data."""
    messages = look_messages(data_url=data_url, question=question)
    text: list[str] = []
    completion: gateway.Completion | None = None
    async with model_call_metered(
        policy=policy, messages=messages, max_tokens=LOOK_MAX_TOKENS
    ) as meter:
        events = gateway.stream(
            purpose=purpose,
            messages=messages,
            vision=True,
            max_tokens=LOOK_MAX_TOKENS,
            deadline=gateway.deadline_in(LOOK_DEADLINE_S),
            user_id=policy.user_id,
            correlation_id=correlation_id,
            pii_names=policy.names,
        )
        try:
            async for event in events:
                if event.kind == "delta":
                    text.append(event.text)
                elif event.kind == "done":
                    completion = event.completion
                    meter.add_completion(completion)
                    _look_paid(completion)
        finally:
            await events.aclose()
    return Look(text="".join(text).strip(), model=completion.model if completion else "")
