"""What the screenshot tests share: a stored image, and telling the vision model's readings
of pasted images apart from the answers in the fake model's requests."""

from __future__ import annotations

import io

from PIL import Image

from chat.image_prompts import READING_QUESTION
from chat.images import chat_image_upload
from chat.models import ChatImage
from tools.prompts import VISION_SYSTEM

READING = "График 1: расходы за ноябрь, пик 12 400 ₽ 14.11. График 2: трафик, 3,2 ТБ за месяц."


def image_store(*, user_id: int | None, color: str = "red") -> ChatImage:
    """One small PNG uploaded as `user_id` (sync; CHAT_UPLOAD_DIR must be a test directory)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), color).save(buffer, format="PNG")
    return chat_image_upload(
        file=io.BytesIO(buffer.getvalue()),
        size=len(buffer.getvalue()),
        user_id=user_id,
        uploader_ip="127.0.0.1",
    )


def is_look(body: dict) -> bool:
    """A request of tools.vision (a reading or analyze_screenshot), not an answer."""
    messages = body.get("messages") or []
    return bool(messages) and messages[0].get("content") == VISION_SYSTEM


def is_reading(body: dict) -> bool:
    if not is_look(body):
        return False
    parts = body["messages"][-1]["content"]
    return isinstance(parts, list) and parts[0].get("text") == READING_QUESTION


def answer_requests(server) -> list[dict]:
    """The fake model's chat requests that were the answers' own calls."""
    return [body for body in server.chat_requests() if not is_look(body)]
