"""analyze_screenshot: the vision model looks again at one of the user's pasted screenshots,
with a new question (issue 21 §3).

The image must be the acting user's own and still live (CHAT_IMAGE_TTL_S): a foreign,
expired or unknown id gives the same ToolError (the chat lends its lookup while it answers,
tools.vision.screenshots_visible). The look is one vision call through the gateway
(tools.vision): metered against the user's budget and sent with the user's personal data as
placeholders, like the chat's own calls. Without a language model the tool
answers `status="unavailable"` with a reason code instead.

Tools run synchronously; the model call is made through `async_to_sync`, on the event
loop, and the tool's thread waits for the look (bounded by tools.vision.LOOK_DEADLINE_S).
WAITS_ON_MODEL puts it on a thread of its own (core.db.db_waiting), not on the chat's one
database thread, which every other answer's reads and writes would queue behind.
"""

from __future__ import annotations

from typing import Literal

from asgiref.sync import async_to_sync
from pydantic import BaseModel, Field

from governance.policy import policy_for
from governance.refusals import QuotaExceeded
from infrazen.models import InfraZenUser
from llm import gateway
from llm.errors import LLMError
from tools.base import ArgsModel, ToolError, clip
from tools.vision import image_look, screenshot_data_url

NAME = "analyze_screenshot"
LABEL = "Смотрю скриншот"
SCENARIOS = frozenset({"recommendation", "analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True
# It waits on the vision model: the chat runs it off its database thread.
WAITS_ON_MODEL = True

PURPOSE = "chat_analyze_screenshot"
ANSWER_CHARS = 1500
MISSING = "Image not found: it has expired or was never uploaded by this user"
FAILED = "The vision model could not look at the image right now"
REASON_NO_MODEL = "llm_unavailable"


class Args(ArgsModel):
    """Look again at one of the user's screenshots pasted earlier in this chat (its image_id
    is in the conversation) with a new, specific question: a chart's values, a table row, a
    label. Works while the image is kept (about an hour after its upload)."""

    image_id: str = Field(
        min_length=36, max_length=36, description="The image_id of the screenshot (a uuid)."
    )
    question: str = Field(
        min_length=2, max_length=500, description="What to find on the image, in Russian."
    )


class Result(BaseModel):
    image_id: str
    question: str
    status: Literal["ok", "unavailable"]
    # Why there is no answer: REASON_NO_MODEL.
    reason: str | None = None
    answer: str | None = None

    def summary(self) -> str:
        if self.status == "ok":
            return "Скриншот просмотрен"
        return "Модель зрения недоступна"


def _image_url(*, user: InfraZenUser, image_id: str) -> str:
    """The user's own live image as a data URL; anything else is the same ToolError."""
    url = screenshot_data_url(user_id=user.pk, image_id=image_id)
    if url is None:
        raise ToolError(MISSING)
    return url


def run(*, user: InfraZenUser, args: Args) -> Result:
    question = " ".join(args.question.split())
    if not gateway.llm_available():
        return Result(
            image_id=args.image_id, question=question, status="unavailable", reason=REASON_NO_MODEL
        )
    url = _image_url(user=user, image_id=args.image_id.lower())
    try:
        look = async_to_sync(image_look)(
            data_url=url,
            question=question,
            policy=policy_for(user=user),
            purpose=PURPOSE,
        )
    except QuotaExceeded as refused:
        raise ToolError(refused.message) from None
    except LLMError:
        raise ToolError(FAILED) from None
    if not look.text:
        raise ToolError(FAILED)
    return Result(
        image_id=args.image_id, question=question, status="ok", answer=clip(look.text, ANSWER_CHARS)
    )
