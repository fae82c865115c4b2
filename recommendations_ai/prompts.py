"""Prompts for recommendation texts: data, versioned, in one place.

Change any wording here and bump PROMPT_VERSION: the version is part of the cache key, so
texts made by an older prompt are regenerated on request (backfill --stale).
"""

from __future__ import annotations

import json
import math

from ru_format import rub_round

PROMPT_VERSION = "rt-3"

SYSTEM = (
    "Ты FinOps-эксперт. Напиши по FACTS два текста карточки на русском.\n"
    "- Начни с экономии в месяц.\n"
    "- Только числа из FACTS, тысячи через запятую.\n"
    "- Сумма: <strong>1,709 ₽/мес</strong>, провайдер: "
    "<span class='provider-name'>selectel</span>; других тегов и markdown нет.\n"
    "- Тип ресурса — type_noun в нужном падеже, не «ресурс».\n"
    "- Без общих фраз («удаление исключит расходы»)."
)

# One line per family: the format the product description gives for it (§6.1.2).
FAMILY_HINTS = {
    "price": (
        "short: «{провайдер} предлагает аналог за {цена} ₽/мес вместо текущих {текущая} ₽/мес». "
        "detailed: экономия, перенос, схожая конфигурация (specs) и цена там."
    ),
    "cleanup": (
        "short: «Экономия {x} ₽/мес при удалении неиспользуемого {тип}». detailed: экономия, "
        "дни без использования, размер; при wasted_rub деликатно «за это время на него уже "
        "было потрачено {wasted_rub} ₽»."
    ),
    "stopped": (
        "detailed: экономия при удалении остановленного сервера; он в статусе {status} и "
        "продолжает потреблять средства на хранение. Без возраста и потраченных сумм."
    ),
    "rightsizing": (
        "Уменьшение конфигурации при низкой загрузке CPU: экономия, средняя загрузка, vCPU. "
        "Целевого провайдера нет."
    ),
    "generic": "Экономия, суть действия из title, ресурс.",
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


# Families whose texts never name the provider the resource runs at.
NO_PROVIDER_FAMILIES = frozenset({"cleanup", "stopped", "rightsizing"})


def _present(value) -> bool:
    return value not in (None, "", [], {}, False)


# Amounts the texts show in whole rubles: the prompt carries them so (the grounding check
# still sees the exact figures), and 8.0 GB goes in as 8.
MONEY_FACTS = frozenset({"current_monthly", "savings_monthly", "target_monthly", "wasted_rub"})


def _compact(value, key: str = ""):
    if isinstance(value, dict):
        kept = {k: _compact(v, k) for k, v in sorted(value.items())}
        return {k: v for k, v in kept.items() if _present(v)}
    if isinstance(value, float) and math.isfinite(value):
        if key in MONEY_FACTS:
            return rub_round(value)
        if value.is_integer():
            return int(value)
    return value


def compact_facts(facts: dict) -> dict:
    """The facts a model needs, without empties: the smallest prompt that is still complete.

    The resource type goes in as its nominative noun (the model declines it); the title
    and the status only where the family hint asks for them (generic, stopped), the
    provider only where a text names it.
    """
    payload = {k: v for k, v in facts.items() if k not in PROMPT_OMITS}
    noun = payload.pop("type_noun", None)
    if isinstance(noun, dict) and noun.get("nominative"):
        payload["type_noun"] = noun["nominative"]
    if facts.get("family") not in (None, "generic"):
        payload.pop("title", None)
    if facts.get("family") != "stopped":
        payload.pop("status", None)
    if facts.get("family") in NO_PROVIDER_FAMILIES:
        payload.pop("provider_type", None)
    if facts.get("family") == "cleanup" and facts.get("size_gb"):
        payload.pop("specs", None)  # a disk's or snapshot's specs repeat its size
    return _compact(payload)


def text_messages(*, facts: dict, family: str) -> list[dict]:
    payload = json.dumps(compact_facts(facts), ensure_ascii=False, separators=(",", ":"))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{family_hint(family)}\nFACTS: {payload}"},
    ]
