"""Screenshots that stay in the conversation (issue 21 §3).

An image pasted into the chat is sent to the vision model with its question, and expires
after CHAT_IMAGE_TTL_S. So that a question two turns later ("а что на втором графике?")
still has its content, each image is also *read* once: the vision model is asked for a
short ordered description (chat.image_prompts.READING_QUESTION), alongside the answer to the
question it came with, and the reading is stored with that user message
(ChatImageReading). Later turns of the session get, in their history, each earlier image's
reading in place of its `[image:<id>]` ref; the admin transcript shows it under the message.
The purge deletes images, never readings.

Reading costs one vision call per image, metered against the user's budget like the answer's
own calls and added to the answer's cost; an image already read (pasted again) is not read
again. A refused or failed reading leaves no row: the history then says the image could not
be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from chat.image_prompts import READING_MISSING_NOTE, READING_NOTE, READING_QUESTION
from chat.images import (
    IMAGE_REF,
    chat_image_claim,
    chat_image_owned_get,
    image_data_url,
    image_id_parse,
)
from chat.models import ChatImageReading
from chat.quota import chat_policy
from core.db import db_sync_to_async
from governance.refusals import QuotaExceeded
from llm import gateway
from llm.errors import LLMError
from llm.models import LLMCall
from tools.vision import image_look, screenshots_visible

if TYPE_CHECKING:  # chat.turns builds the history with readings_in_history
    from chat.turns import Answer, Turn

logger = logging.getLogger(__name__)

PURPOSE = "chat_image_reading"
READING_MAX_CHARS = 1200


@dataclass(frozen=True)
class ImageToRead:
    position: int  # 1-based, among the message's images
    image_id: str
    data_url: str


def message_image_ids(content: str) -> list[str]:
    """The image refs of a message, in order, once each, up to CHAT_IMAGE_MAX_PER_MESSAGE
    (the ones chat.images sends to the model)."""
    refs = list(dict.fromkeys(IMAGE_REF.findall(content)))
    return refs[: settings.CHAT_IMAGE_MAX_PER_MESSAGE]


def _valid(refs: list[str]) -> list[str]:
    return [ref for ref in refs if image_id_parse(ref) is not None]


def images_to_read(*, turn: Turn) -> list[ImageToRead]:
    """The question's images that are the user's, live, readable and not read before (sync)."""
    user_id = turn.principal.user_id
    refs = message_image_ids(turn.question)
    read = set(
        ChatImageReading.objects.filter(user_id=user_id, image_id__in=_valid(refs)).values_list(
            "image_id", flat=True
        )
    )
    found: list[ImageToRead] = []
    for position, ref in enumerate(refs, start=1):
        image_id = image_id_parse(ref)
        if image_id is None or image_id in read:
            continue
        image = chat_image_claim(image_id=image_id, user_id=user_id)
        url = image_data_url(image) if image is not None else None
        if url is not None:
            found.append(ImageToRead(position=position, image_id=ref, data_url=url))
    return found


def reading_store(
    *, turn: Turn, image: ImageToRead, text: str, model: str, llm_calls: list[LLMCall]
) -> None:
    """Store one image's reading with the user message it came with, and its model calls'
    accounting rows (sync)."""
    try:
        if text:
            ChatImageReading.objects.get_or_create(
                message_id=turn.question_id,
                image_id=image.image_id,
                defaults={
                    "session_id": turn.session_id,
                    "user_id": turn.principal.user_id,
                    "position": image.position,
                    "text": text[:READING_MAX_CHARS],
                    "model": model[:200],
                },
            )
    finally:
        gateway.llm_calls_save(llm_calls)


async def _read_one(*, turn: Turn, image: ImageToRead) -> None:
    text, model = "", ""
    with gateway.llm_calls_collected() as llm_calls:
        try:
            look = await image_look(
                data_url=image.data_url,
                question=READING_QUESTION,
                policy=turn.policy or await db_sync_to_async(chat_policy)(turn.principal),
                purpose=PURPOSE,
                correlation_id=turn.correlation_id,
            )
            text, model = look.text, look.model
        except (QuotaExceeded, LLMError) as exc:
            logger.warning(
                "chat image not read: %s", type(exc).__name__, extra={"session_id": turn.session_id}
            )
        finally:
            # Shielded: a stopped answer still keeps the accounting of what was paid for.
            store = db_sync_to_async(reading_store)(
                turn=turn, image=image, text=text, model=model, llm_calls=llm_calls
            )
            await asyncio.shield(store)


async def readings_capture(*, turn: Turn) -> None:
    """Read the question's new images, one vision call each, and store the readings."""
    try:
        images = await db_sync_to_async(images_to_read)(turn=turn)
        for image in images:
            await _read_one(turn=turn, image=image)
    except Exception:
        # A reading is a bonus for later turns: it must never fail the answer.
        logger.exception("chat image reading failed", extra={"session_id": turn.session_id})


class OwnedScreenshots:
    """The chat's lookup lent to the tools (tools.vision.Screenshots): the user's own live
    images only, read without claiming an unclaimed one."""

    def data_url(self, *, user_id: int, image_id: str) -> str | None:
        parsed = image_id_parse(image_id)
        image = chat_image_owned_get(image_id=parsed, user_id=user_id) if parsed else None
        return image_data_url(image) if image is not None else None


@contextlib.asynccontextmanager
async def images_in_answer(*, turn: Turn, answer: Answer) -> AsyncIterator[None]:
    """While the block (the model's answer) runs, its tools may look at the user's images,
    and the question's images are read; the readings are stored before the block's end is
    passed on, so the next question has them. A block that fails or is cancelled cancels
    the readings. Every look (a reading, analyze_screenshot) adds its cost to `answer`'s:
    the answer's cost row holds every model call of its turn."""
    paid = functools.partial(answer.add_usage, answered=False)
    with screenshots_visible(OwnedScreenshots(), paid=paid):
        if not IMAGE_REF.search(turn.question):
            yield
            return
        task = asyncio.create_task(readings_capture(turn=turn))
        try:
            yield
        except BaseException:
            task.cancel()
            await asyncio.wait({task})
            raise
        await task


# --- later turns and the transcript ---------------------------------------------------------
def readings_for_images(
    *, session_id: str, user_id: int, image_ids: list[str]
) -> dict[str, ChatImageReading]:
    """image id → its reading, of the user's session only."""
    rows = ChatImageReading.objects.filter(
        session_id=session_id, user_id=user_id, image_id__in=_valid(image_ids)
    ).order_by("created_at", "id")
    return {str(row.image_id): row for row in rows}


def readings_in_history(history: list[dict], *, session_id: str, user_id: int) -> list[dict]:
    """`history` with each earlier user message's image refs replaced by what was read from
    the image (sync): the images themselves may be gone, their readings are not."""
    refs = {
        ref
        for message in history
        if message["role"] == "user" and isinstance(message["content"], str)
        for ref in IMAGE_REF.findall(message["content"])
    }
    if not refs:
        return history
    readings = readings_for_images(session_id=session_id, user_id=user_id, image_ids=list(refs))
    return [
        _with_readings(message, readings) if message["role"] == "user" else message
        for message in history
    ]


def _with_readings(message: dict, readings: dict[str, ChatImageReading]) -> dict:
    content = message["content"]
    if not isinstance(content, str):
        return message
    positions = {ref: n for n, ref in enumerate(dict.fromkeys(IMAGE_REF.findall(content)), 1)}

    def note(match) -> str:
        ref = match.group(1)
        reading = readings.get(ref)
        if reading is None:
            return READING_MISSING_NOTE.format(position=positions[ref], image_id=ref)
        text = " ".join(reading.text.split())
        return READING_NOTE.format(position=reading.position, image_id=ref, reading=text)

    return {**message, "content": IMAGE_REF.sub(note, content)}


def readings_by_message(*, session_id: str) -> dict[int, list[ChatImageReading]]:
    """The session's readings by the user message they came with, in image order."""
    found: dict[int, list[ChatImageReading]] = {}
    for row in ChatImageReading.objects.filter(session_id=session_id).order_by(
        "message_id", "position"
    ):
        found.setdefault(row.message_id, []).append(row)
    return found
