"""Prompts for recommendation texts: data, versioned, in one place.

Change any wording here and bump PROMPT_VERSION: the version is part of the cache key, so
texts made by an older prompt are regenerated on request (backfill --stale).
"""

from __future__ import annotations

import json

PROMPT_VERSION = "rt-2"

SYSTEM = (
    "Ты FinOps-эксперт. По FACTS напиши два текста карточки рекомендации на русском.\n"
    "- Начинай с экономии в месяц.\n"
    "- Только числа из FACTS; суммы округляй до рубля, тысячи через запятую (1,709).\n"
    "- Сумма: <strong>1,709 ₽/мес</strong>; провайдер: "
    "<span class='provider-name'>selectel</span>. Других тегов и markdown нет.\n"
    "- Тип ресурса — type_noun в нужном падеже, не «ресурс».\n"
    "- Без общих фраз вроде «удаление исключит расходы»."
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


# Facts the texts never show: identifiers, the rule's own names, what the family hint and
# type_noun already say. The grounding check still sees them; the prompt does not need to.
PROMPT_OMITS = frozenset(
    {
        "recommendation_id",
        "recommendation_type",
        "source",
        "family",
        "resource_type",
        "cleanup_kind",
        "savings_yearly",
        "target_sku",
        "target_region",
        "similarity",
    }
)


def _present(value) -> bool:
    return value not in (None, "", [], {}, False)


def _compact(value):
    if isinstance(value, dict):
        kept = {k: _compact(v) for k, v in sorted(value.items())}
        return {k: v for k, v in kept.items() if _present(v)}
    return value


def compact_facts(facts: dict) -> dict:
    """The facts a model needs, without empties: the smallest prompt that is still complete.

    The resource type goes in as its nominative noun (the model declines it); the title
    and the status only where the family hint asks for them (generic, stopped).
    """
    payload = {k: v for k, v in facts.items() if k not in PROMPT_OMITS}
    noun = payload.pop("type_noun", None)
    if isinstance(noun, dict) and noun.get("nominative"):
        payload["type_noun"] = noun["nominative"]
    if facts.get("family") not in (None, "generic"):
        payload.pop("title", None)
    if facts.get("family") != "stopped":
        payload.pop("status", None)
    return _compact(payload)


def text_messages(*, facts: dict, family: str) -> list[dict]:
    payload = json.dumps(compact_facts(facts), ensure_ascii=False, separators=(",", ":"))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{family_hint(family)}\nFACTS: {payload}"},
    ]
