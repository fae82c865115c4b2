"""One look of the vision model at one of the user's screenshots, with one question.

Used for the reading stored with a pasted image (chat.image_memory) and by the chat tool
`analyze_screenshot`. Like the chat's own model calls it is metered against the user's budget
(governance.metering: reserve an estimate, settle with what the provider reported) and goes
through the gateway's stream, which sends the user's personal data as placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.image_prompts import VISION_SYSTEM
from governance.metering import model_call_metered
from governance.policy import Policy
from llm import gateway

LOOK_MAX_TOKENS = 500
LOOK_DEADLINE_S = 60.0


@dataclass(frozen=True)
class Look:
    """What the vision model said about the image, and which model said it."""

    text: str
    model: str = ""


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
    pii_names: tuple[str, ...] = (),
    correlation_id: str | None = None,
) -> Look:
    """Ask the vision model `question` about the image (a data URL). Raises QuotaExceeded
    when the user's budget refuses the call, LLMError when the model fails."""
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
            pii_names=pii_names,
        )
        try:
            async for event in events:
                if event.kind == "delta":
                    text.append(event.text)
                elif event.kind == "done":
                    completion = event.completion
                    meter.add_completion(completion)
        finally:
            await events.aclose()
    return Look(text="".join(text).strip(), model=completion.model if completion else "")
