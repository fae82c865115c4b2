"""The prompts of the image memory (chat.image_memory): the reading asked of the vision
model once per pasted image (its system prompt is tools.prompts.VISION_SYSTEM), and what
later turns get in place of the image.

Change any wording here and bump IMAGE_PROMPT_VERSION.
"""

from __future__ import annotations

IMAGE_PROMPT_VERSION = "image-1"

# The reading stored once per image: later turns get it instead of the image.
READING_QUESTION = (
    "Прочитай изображение для будущих вопросов о нём. Кратко (до 120 слов) перечисли по "
    "порядку, слева направо и сверху вниз, каждую его часть: что это (график, таблица, счёт, "
    "консоль), заголовки, подписи осей и легенды, периоды, ключевые числа с единицами и "
    "заметные пики или падения. Нумеруй графики и таблицы: «график 1», «график 2»."
)

# What a later turn's history holds in place of an image's [image:<id>] ref.
READING_NOTE = "[Изображение {position} (image_id {image_id}), прочитано ранее: {reading}]"
READING_MISSING_NOTE = "[Изображение {position} (image_id {image_id}): прочитать не удалось]"
