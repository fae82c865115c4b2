"""Prompts for recommendation texts: data, versioned, in one place.

Change any wording here and bump PROMPT_VERSION: the version is part of the cache key, so
texts made by an older prompt are regenerated on request (backfill --stale).
"""

from __future__ import annotations

import json

PROMPT_VERSION = "rt-1"

SYSTEM = (
    "Ты FinOps-эксперт с 10+ годами опыта и глубоким знанием системного администрирования. "
    "По FACTS напиши два текста карточки рекомендации на русском.\n"
    "Правила:\n"
    "- Начинай с экономии в месяц.\n"
    "- Только числа из FACTS; суммы округляй до рубля, тысячи через запятую (1,709).\n"
    "- Каждая сумма: <strong>1,709 ₽/мес</strong> (период всегда указан); провайдер: "
    "<span class='provider-name'>selectel</span>. Других тегов, списков и markdown нет.\n"
    "- Тип ресурса конкретно и в нужном падеже (снапшота, сервера, IP-адреса), не «ресурс».\n"
    "- «при переносе», «там стоит», «схожая конфигурация (4 CPU, 8 GB RAM)», «не используется».\n"
    "- Без общих фраз вроде «удаление исключит расходы».\n"
    "short_description_html: 60–80 видимых символов. "
    "detailed_description_html: 200–300 видимых символов."
)

# One line per family: the format the product description gives for it (§6.1.2).
FAMILY_HINTS = {
    "price": (
        "short: «{провайдер} предлагает аналог за {цена} ₽/мес вместо текущих {текущая} ₽/мес». "
        "detailed: экономия, перенос в провайдера, схожая конфигурация со specs, цена там."
    ),
    "cleanup": (
        "short: «Экономия {x} ₽/мес при удалении неиспользуемого {тип}». detailed: экономия, "
        "сколько дней не используется, размер; если есть wasted_rub — деликатно "
        "«за это время на него уже было потрачено {wasted_rub} ₽»."
    ),
    "stopped": (
        "detailed: экономия при удалении остановленного сервера; он в статусе {status} и "
        "продолжает потреблять средства на хранение. Без возраста и потраченных сумм."
    ),
    "rightsizing": (
        "Уменьшение конфигурации при низкой загрузке CPU: экономия, средняя загрузка, vCPU. "
        "Целевого провайдера нет."
    ),
    "generic": "Экономия, суть действия из title, ресурс. Никаких чисел вне FACTS.",
}


def family_hint(family: str) -> str:
    return FAMILY_HINTS.get(family, FAMILY_HINTS["generic"])


def compact_facts(facts: dict) -> dict:
    """The facts a model needs, without empties: the smallest prompt that is still complete."""
    return {k: v for k, v in sorted(facts.items()) if v not in (None, "", [], {}, False)}


def text_messages(*, facts: dict, family: str) -> list[dict]:
    payload = json.dumps(compact_facts(facts), ensure_ascii=False, separators=(",", ":"))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{family_hint(family)}\nFACTS: {payload}"},
    ]
