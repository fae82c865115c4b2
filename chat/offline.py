"""The chat assistant without a language model: keyword intents, the same tools, fixed wording.

When no LLM is configured the engine still answers. `offline_plan` reads the question (Russian
or English, any case, ё or е, punctuation, light typos) and picks an intent and the read-only
tool calls that answer it; the engine runs those calls through `tools.registry.tool_run` as
the connected user (with the usual tool_call/tool_result frames and audit rows), optionally
runs the second-round calls of `offline_followup` (calls whose arguments come from the first
results: calculate_savings needs the recommendation's monthly costs, get_resource its resource
id), and streams the text of `offline_answer`.

Both functions are pure: no database, no user. A plan names tools and arguments only, so it
cannot reach another tenant's rows; every figure in an answer is read from a tool result, and
a ToolError result becomes a plain "no data" sentence, never a number.

Answers are plain text with **bold** and numbered lists (the InfraZen browser client escapes
HTML and renders only those), lead with the answer, give a few details and a next step, and
end with OFFLINE_NOTICE_RU / OFFLINE_NOTICE_EN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from ru_format import days, plural, rub, rub_period
from tools.base import ToolError

OFFLINE_NOTICE_RU = (
    "Ассистент работает без языковой модели: ответы собраны из данных InfraZen по шаблону."
)
OFFLINE_NOTICE_EN = (
    "The assistant is running without a language model: answers are assembled from InfraZen "
    "data by template."
)

Language = Literal["ru", "en"]
SavingsPeriod = Literal["month", "quarter", "year"]

SCENARIO_RECOMMENDATION = "recommendation"
SCENARIO_ANALYTICS = "analytics"

ALTERNATIVES_LIMIT = 5
TOP_LIMIT = 5
SERVICES_TOP_N = 5
NAME_MAX_CHARS = 80
TEXT_MAX_CHARS = 300
RANGE_LIMITS = {"trends": (1, 365), "anomalies": (7, 180)}


@dataclass(frozen=True)
class PlannedCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class OfflinePlan:
    intent: str
    language: str
    calls: list[PlannedCall]
    # What the question was about when that belongs to the other scenario ("risks" asked on
    # the analytics page is answered with the top recommendations): the answer says where
    # the full answer lives.
    asked: str | None = None
    # The period a savings question asked for; offline_followup passes it to calculate_savings.
    period: SavingsPeriod = "month"
    scenario: str = SCENARIO_RECOMMENDATION
    recommendation_id: int | None = field(default=None)


# --- recognising the question -----------------------------------------------------------------
#
# A pattern is one or more word stems; a stem matches a word that starts with it (a stem of
# TYPO_MIN_STEM letters or more also matches with one letter wrong, missing or extra), a stem
# ending in "=" matches only that whole word. The stems of a pattern match consecutive words;
# filler words ("мне", "это", "i") may sit between them. Each raw intent sums the weights of
# its matching patterns; the scenario then folds raw intents into its own (INTENT_MAPS), and
# the highest sum wins, ties going to the earlier intent in PRIORITY.

TYPO_MIN_STEM = 6
FILLERS = frozenset(
    [
        "мне",
        "мы",
        "я",
        "нам",
        "бы",
        "ли",
        "же",
        "это",
        "все",
        "вообще",
        "можно",
        "лучше",
        "теперь",
        "тут",
        "там",
        "i",
        "me",
        "we",
        "it",
        "the",
        "a",
        "to",
        "this",
        "please",
    ]
)

RU_KEYWORDS: dict[str, dict[float, tuple[str, ...]]] = {
    "explain": {
        2: ("что= это=", "что= за=", "что= такое=", "что= значит", "что= означа", "объясн",
            "поясн", "расскаж", "опиши", "о= чем=", "стоит= ли", "имеет= смысл", "нужно= ли"),
        1: ("почему", "зачем", "суть", "смысл", "подробн", "совет", "рекоменд", "непонятн"),
    },
    "savings": {
        2: ("эконом", "сэконом", "сбереж", "выигр", "окуп"),
        1: ("выгод", "в= месяц", "в= год", "за= год", "в= квартал", "за= квартал"),
        0.5: ("сколько=", "скока="),
    },
    "alternatives": {
        2: ("альтернатив", "аналог", "дешевл", "подешевл", "друг= провайдер", "куда= перен",
            "такой= же", "такая= же", "такую= же", "аналогичн",
            "куда= мигр"),
        1: ("вариант", "сравн", "предлож", "выбор"),
    },
    "risks": {
        2: ("риск", "опасн", "сложн", "трудоемк", "трудозатрат", "простой=", "простоя=",
            "простоев=", "даунтайм", "что= будет= если", "сколько= времени", "безопасн",
            "потеря", "потеряю", "сломает", "сломается"),
        1: ("долго", "усили", "надежн", "проблем", "последств"),
    },
    "plan": {
        2: ("план", "шаг", "пошагов", "как= сделать", "как= выполн", "как= перенест",
            "как= перейти", "как= мигр", "как= удалить", "как= освобод", "как= уменьш",
            "как= настро", "как= внедр", "как= применить", "инструкц", "с= чего= начать",
            "что= делать", "что= нужно= сделать", "чек= лист", "чеклист", "порядок= действ",
            "откат"),
        1: ("удал", "перенест", "мигрир", "миграц", "внедр", "сделать"),
    },
    "resource": {
        2: ("характерист", "конфигурац", "загрузк", "нагрузк", "утилизац", "процессор",
            "памят", "спецификац", "параметр"),
        1: ("ресурс", "диск"),
        0.5: ("сервер", "машин", "вм=", "кластер"),
    },
    "cost": {
        2: ("сколько= стоит", "стоимост", "сколько= плачу", "сколько= плат", "изменил"),
        1: ("цена", "цены", "тариф"),
    },
    "trends": {
        2: ("тренд", "динамик", "расход", "трат", "трач", "затрат", "счет=", "счета=", "вырос",
            "растут", "рост", "увелич", "снизил", "уменьшил", "упал", "подорож", "график"),
        1: ("месяц", "недел"),
    },
    "anomalies": {
        2: ("аномал", "всплеск", "скач", "пик", "выброс", "необычн", "странн", "резк",
            "подскоч", "просел", "провал", "взлет", "выбив"),
    },
    "top": {
        2: ("топ=", "где= сэконом", "где= эконом", "на= чем= сэконом", "на= чем= эконом",
            "что= оптимиз", "где= оптимиз", "главн", "лучш", "крупн", "больше= всего"),
        1: ("оптимиз", "сократ", "урез", "снизить= расход", "рекомендаци", "приоритет"),
    },
    "providers": {
        2: ("провайдер", "облак"),
        3: ("по= провайдер",),
    },
    "services": {
        2: ("сервис", "услуг", "продукт"),
        3: ("по= сервис",),
    },
    "connections": {
        3: ("подключ", "интеграц"),
        2: ("синхрониз", "учетн= запис", "аккаунт", "настройк"),
    },
    "help": {
        3: ("помощ", "помоги", "что= ты= умеешь", "что= умеешь", "что= ты= можешь",
            "что= можно= спрос", "о= чем= можно", "какие= вопрос", "что= спросить", "команд"),
    },
    "overview": {
        2: ("обзор", "сводк", "итог", "общ= картин", "кратко", "показател", "как= дела",
            "ситуац", "состоян"),
        1: ("привет", "здравств", "добрый"),
    },
}  # fmt: skip

EN_KEYWORDS: dict[str, dict[float, tuple[str, ...]]] = {
    "explain": {
        2: ("what= is= this", "what= s= this", "what= does= this", "explain", "tell= me= about",
            "describe", "what= is= it", "is= it= worth"),
        1: ("what= is=", "why", "meaning", "mean=", "details", "recommendation"),
    },
    "savings": {
        2: ("save", "saving", "how= much= will", "how= much= would", "how= much= can",
            "payback", "roi="),
        1: ("per= month", "per= year", "a= year", "a= month", "annual", "yearly", "monthly",
            "quarter"),
        0.5: ("how= much",),
    },
    "alternatives": {
        2: ("alternative", "cheaper", "cheapest", "other= provider", "another= provider",
            "options", "compare", "comparison", "instead", "where= else", "equivalent"),
        1: ("option", "cheap", "switch"),
    },
    "risks": {
        2: ("risk", "effort", "downtime", "difficult", "hard=", "complex", "dangerous", "safe",
            "what= happens= if", "how= long", "break"),
        1: ("problem", "impact", "worry"),
    },
    "plan": {
        2: ("plan", "step", "how= to", "how= do= i", "how= can= i", "how= should= i",
            "instruction", "guide", "checklist", "rollback", "where= do= i= start",
            "what= should= i= do"),
        1: ("migrat", "delete", "implement", "execute", "apply", "do= it"),
    },
    "resource": {
        2: ("spec", "configuration", "config", "usage", "utili", "load=", "memory", "resource",
            "instance"),
        0.5: ("server", "disk", "vm=", "cluster"),
    },
    "cost": {
        2: ("how= much= does", "how= much= do= i= pay", "cost", "price", "pricing", "changed"),
        1: ("pay",),
    },
    "trends": {
        2: ("trend", "spend", "expense", "bill", "grow", "increase", "went= up", "go= up",
            "rising", "decrease", "went= down", "chart", "over= time", "history"),
        1: ("month", "week", "daily"),
    },
    "anomalies": {
        2: ("anomal", "spike", "unusual", "jump", "outlier", "peak", "surge", "weird",
            "strange", "sudden", "drop"),
    },
    "top": {
        2: ("top=", "where= can= i= save", "where= to= save", "where= should= i= save",
            "biggest", "largest", "best= recommendation", "quick= win", "cut= cost",
            "reduce= cost", "optimi"),
        1: ("recommendations=", "priorit", "reduce"),
    },
    "providers": {
        2: ("provider", "cloud"),
        3: ("by= provider", "per= provider", "each= provider"),
    },
    "services": {
        2: ("service", "product"),
        3: ("by= service", "per= service", "each= service"),
    },
    "connections": {
        3: ("connected", "connection", "integration", "linked"),
        2: ("sync", "account", "settings"),
    },
    "help": {
        3: ("help", "what= can= you", "what= can= i= ask", "commands",
            "how= does= this= work", "what= do= you= do"),
    },
    "overview": {
        2: ("overview", "summary", "summar", "kpi", "dashboard", "status",
            "how= are= we= doing", "big= picture", "key= figures", "key= metrics"),
        1: ("hello", "hi=", "hey="),
    },
}  # fmt: skip

# Words of either language: they count for an intent, not for the language.
NEUTRAL_KEYWORDS: dict[str, dict[float, tuple[str, ...]]] = {
    "provider_name": {2: ("selectel", "yandex", "beget", "селектел", "яндекс", "бегет")},
    "resource": {2: ("cpu", "ram=", "vcpu")},
    "alternatives": {1: ("sku",)},
    "overview": {2: ("kpi",)},
}

# Raw intent → the intent each scenario answers it with (the closest tool of that scenario).
INTENT_MAPS: dict[str, dict[str, str]] = {
    SCENARIO_RECOMMENDATION: {
        "explain": "explain",
        "savings": "savings",
        "alternatives": "alternatives",
        "risks": "risks",
        "plan": "plan",
        "resource": "resource",
        "cost": "resource",
        "trends": "resource",
        "anomalies": "resource",
        "top": "savings",
        "providers": "alternatives",
        "provider_name": "alternatives",
        "services": "resource",
        "connections": "connections",
        "help": "help",
        "overview": "overview",
    },
    SCENARIO_ANALYTICS: {
        "explain": "top",
        "savings": "top",
        "alternatives": "top",
        "risks": "top",
        "plan": "top",
        "resource": "services",
        "cost": "trends",
        "trends": "trends",
        "anomalies": "anomalies",
        "top": "top",
        "providers": "providers",
        "provider_name": "providers",
        "services": "services",
        "connections": "connections",
        "help": "help",
        "overview": "overview",
    },
}
# Raw intents that are not questions of their own (they only lend weight).
PSEUDO_INTENTS = frozenset({"cost", "provider_name"})

PRIORITY = (
    "help",
    "plan",
    "risks",
    "savings",
    "alternatives",
    "anomalies",
    "providers",
    "services",
    "top",
    "trends",
    "connections",
    "resource",
    "explain",
    "overview",
)

COMMON_EN = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "why",
        "how",
        "when",
        "where",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "and",
        "or",
        "but",
        "not",
        "no",
        "yes",
        "if",
        "then",
        "than",
        "much",
        "many",
        "more",
        "most",
        "any",
        "some",
        "there",
        "here",
        "please",
        "thanks",
        "thank",
        "ok",
        "okay",
        "show",
        "give",
        "tell",
        "get",
        "need",
        "want",
        "know",
        "per",
        "each",
        "all",
        "last",
        "past",
        "over",
        "next",
        "this",
        "month",
        "year",
        "day",
        "week",
        "hi",
        "hello",
        "hey",
    ]
)

YEAR_WORDS = frozenset(
    [
        "год",
        "года",
        "году",
        "годовая",
        "годовой",
        "годовую",
        "годовых",
        "годовые",
        "ежегодно",
        "ежегодная",
        "year",
        "years",
        "yearly",
        "annual",
        "annually",
        "annum",
    ]
)
QUARTER_STEMS = ("квартал", "quarter")

RANGE_UNITS = (
    ("полгод", 180),
    ("дн", 1),
    ("день", 1),
    ("сут", 1),
    ("недел", 7),
    ("месяц", 30),
    ("квартал", 90),
    ("год", 365),
    ("day", 1),
    ("week", 7),
    ("month", 30),
    ("quarter", 90),
    ("year", 365),
)
RANGE_TRIGGERS = frozenset(
    [
        "за",
        "последние",
        "последний",
        "последнюю",
        "последних",
        "последняя",
        "прошлый",
        "прошлые",
        "прошлую",
        "last",
        "past",
        "over",
    ]
)

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN_WORD = re.compile(r"[a-z]+")

Pattern = tuple[tuple[str, bool], ...]


def _compile(table: dict[str, dict[float, tuple[str, ...]]]) -> list[tuple[str, float, Pattern]]:
    compiled = []
    for intent, groups in table.items():
        for weight, patterns in groups.items():
            for pattern in patterns:
                stems = tuple((stem.rstrip("="), stem.endswith("=")) for stem in pattern.split())
                compiled.append((intent, float(weight), stems))
    return compiled


PATTERNS = _compile(RU_KEYWORDS) + _compile(EN_KEYWORDS) + _compile(NEUTRAL_KEYWORDS)
EN_STEMS = tuple(
    sorted(
        {
            stem
            for _, _, stems in _compile(EN_KEYWORDS)
            for stem, exact in stems
            if not exact and len(stem) >= 3
        }
    )
)


def words(text: str) -> list[str]:
    """The question as lower-case words, ё read as е, punctuation dropped."""
    return _WORD.findall((text or "").lower().replace("ё", "е"))


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _word_matches(word: str, stem: str, exact: bool) -> bool:
    if exact:
        return word == stem
    if word.startswith(stem):
        return True
    if len(stem) < TYPO_MIN_STEM:
        return False
    return any(
        _within_one_edit(word[:n], stem)
        for n in (len(stem) - 1, len(stem), len(stem) + 1)
        if n <= len(word)
    )


def _pattern_matches(tokens: list[str], stems: Pattern) -> bool:
    first_stem, first_exact = stems[0]
    for start, token in enumerate(tokens):
        if not _word_matches(token, first_stem, first_exact):
            continue
        position, ok = start, True
        for stem, exact in stems[1:]:
            position += 1
            while (
                position < len(tokens)
                and tokens[position] in FILLERS
                and not (_word_matches(tokens[position], stem, exact))
            ):
                position += 1
            if position >= len(tokens) or not _word_matches(tokens[position], stem, exact):
                ok = False
                break
        if ok:
            return True
    return False


def raw_scores(question: str) -> dict[str, float]:
    tokens = words(question)
    scores: dict[str, float] = {}
    for intent, weight, stems in PATTERNS:
        if _pattern_matches(tokens, stems):
            scores[intent] = scores.get(intent, 0.0) + weight
    return scores


def detect_language(question: str) -> Language:
    """Russian unless the question has more English words than Russian ones."""
    tokens = words(question)
    russian = sum(1 for t in tokens if _CYRILLIC.search(t))
    english = sum(
        1 for t in tokens if _LATIN_WORD.fullmatch(t) and (t in COMMON_EN or t.startswith(EN_STEMS))
    )
    return "en" if english > russian else "ru"


def classify(*, scenario: str, question: str) -> tuple[str, str | None]:
    """(the intent the scenario answers with, what the question asked when that differs)."""
    mapping = INTENT_MAPS.get(scenario, INTENT_MAPS[SCENARIO_RECOMMENDATION])
    raw = raw_scores(question)
    folded: dict[str, float] = {}
    for intent, score in raw.items():
        target = mapping[intent]
        folded[target] = folded.get(target, 0.0) + score
    if not folded:
        return "overview", None
    best = max(folded.values())
    intent = next(i for i in PRIORITY if folded.get(i) == best)
    feeders = [(score, i) for i, score in raw.items() if mapping[i] == intent]
    top_raw = max(feeders, key=lambda item: (item[0], -_rank(item[1])))[1]
    asked = top_raw if top_raw != intent and top_raw not in PSEUDO_INTENTS else None
    return intent, asked


def _rank(intent: str) -> int:
    return PRIORITY.index(intent) if intent in PRIORITY else len(PRIORITY)


def savings_period(question: str) -> SavingsPeriod:
    tokens = words(question)
    if any(t.startswith(QUARTER_STEMS) for t in tokens):
        return "quarter"
    if any(t in YEAR_WORDS for t in tokens) or "12 месяц" in " ".join(tokens):
        return "year"
    return "month"


def question_range_days(question: str) -> int | None:
    """ "за 7 дней", "последние 3 месяца", "last week", "over the past 90 days" → days."""
    tokens = words(question)
    for index, token in enumerate(tokens):
        if token not in RANGE_TRIGGERS:
            continue
        rest = [t for t in tokens[index + 1 : index + 5] if t not in ("the", "last", "past")]
        count = 1
        if rest and rest[0].isdigit():
            count, rest = int(rest[0]), rest[1:]
        if not rest:
            continue
        for stem, unit in RANGE_UNITS:
            if rest[0].startswith(stem):
                return count * unit
    return None


def _context_range_days(context: dict) -> int | None:
    value = (context or {}).get("time_range_days")
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value > 0 else None


def _clamped(days_: int | None, limits: tuple[int, int]) -> int | None:
    if days_ is None:
        return None
    low, high = limits
    return max(low, min(high, days_))


def _range_args(days_: int | None, kind: str) -> dict[str, Any]:
    value = _clamped(days_, RANGE_LIMITS[kind])
    return {} if value is None else {"time_range_days": value}


def offline_plan(
    *, scenario: str, recommendation_id: int | None, context: dict, question: str
) -> OfflinePlan:
    """The intent of `question` and the tool calls that answer it (pure, no DB, no user)."""
    if scenario not in INTENT_MAPS:
        scenario = SCENARIO_RECOMMENDATION
    intent, asked = classify(scenario=scenario, question=question)
    language = detect_language(question)
    period = savings_period(question)

    calls: list[PlannedCall] = []
    if scenario == SCENARIO_RECOMMENDATION:
        rec = {"recommendation_id": recommendation_id}
        if intent == "connections":
            calls = [PlannedCall("get_user_context", {})]
        elif intent == "help" or not recommendation_id:
            calls = []
        elif intent == "alternatives":
            calls = [PlannedCall("list_top_alternatives", rec | {"limit": ALTERNATIVES_LIMIT})]
        elif intent == "risks":
            calls = [
                PlannedCall("get_recommendation", rec),
                PlannedCall("estimate_migration_effort", rec),
            ]
        elif intent == "plan":
            calls = [
                PlannedCall("get_recommendation", rec),
                PlannedCall("estimate_migration_effort", rec),
                PlannedCall("generate_step_plan", rec),
            ]
        else:  # explain, savings, resource, overview: the recommendation first
            calls = [PlannedCall("get_recommendation", rec)]
    else:
        range_days = question_range_days(question) or _context_range_days(context)
        calls = {
            "overview": [PlannedCall("get_analytics_overview", _range_args(range_days, "trends"))],
            "trends": [
                PlannedCall("get_cost_trends", _range_args(range_days, "trends")),
                PlannedCall("get_analytics_overview", _range_args(range_days, "trends")),
            ],
            "anomalies": [PlannedCall("get_anomalies", _range_args(range_days, "anomalies"))],
            "top": [PlannedCall("summarize_top_recommendations", {"limit": TOP_LIMIT})],
            "providers": [PlannedCall("get_provider_breakdown", {})],
            "services": [PlannedCall("get_service_breakdown", {"top_n": SERVICES_TOP_N})],
            "connections": [PlannedCall("get_user_context", {})],
            "help": [],
        }[intent]
    return OfflinePlan(
        intent=intent,
        language=language,
        calls=calls,
        asked=asked,
        period=period,
        scenario=scenario,
        recommendation_id=recommendation_id,
    )


# --- second round -----------------------------------------------------------------------------


def offline_followup(
    *, plan: OfflinePlan, results: list[tuple[PlannedCall, BaseModel | ToolError]]
) -> list[PlannedCall]:
    """Calls whose arguments come from the first round's results (pure; may be empty).

    calculate_savings takes the recommendation's current and new monthly cost, get_resource and
    get_latest_snapshot its resource id: none is known before get_recommendation has run. The
    engine runs these after plan.calls and passes every result to offline_answer. An engine
    that skips this round still gets a true answer, built from get_recommendation's figures.
    """
    done = {call.name for call, _ in results}
    rec = _found(results, "get_recommendation")
    if rec is None:
        return []
    calls: list[PlannedCall] = []
    if plan.intent in ("savings", "overview", "explain") and "calculate_savings" not in done:
        current = _amount(rec.current_monthly)
        new = _amount(rec.target_monthly)
        saving = _amount(rec.savings_monthly)
        if new is None and current is not None and saving is not None:
            new = round(current - saving, 2)
        if current is not None and new is not None and new >= 0:
            calls.append(
                PlannedCall(
                    "calculate_savings",
                    {"current_monthly": current, "new_monthly": new, "period": plan.period},
                )
            )
    if plan.intent == "resource" and rec.resource_id:
        for name in ("get_resource", "get_latest_snapshot"):
            if name not in done:
                calls.append(PlannedCall(name, {"resource_id": rec.resource_id}))
    return calls


# --- wording ------------------------------------------------------------------------------------

SUFFIXES = {
    "ru": {"month": "₽/мес", "day": "₽/день", "year": "₽/год", "quarter": "₽/квартал"},
    "en": {"month": "₽/month", "day": "₽/day", "year": "₽/year", "quarter": "₽/quarter"},
}
PROVIDER_NAMES = {"yandex": "Yandex Cloud", "selectel": "Selectel", "beget": "Beget"}
RESOURCE_TYPES = {
    "server": ("сервер", "server"),
    "vm": ("виртуальная машина", "virtual machine"),
    "instance": ("виртуальная машина", "virtual machine"),
    "volume": ("диск", "disk"),
    "snapshot": ("снимок диска", "disk snapshot"),
    "snapshots": ("снимок диска", "disk snapshot"),
    "image": ("образ диска", "disk image"),
    "reserved_ip": ("IP-адрес", "IP address"),
    "floating_ip": ("IP-адрес", "IP address"),
    "ip": ("IP-адрес", "IP address"),
    "kubernetes-cluster": ("кластер Kubernetes", "Kubernetes cluster"),
    "kubernetes_cluster": ("кластер Kubernetes", "Kubernetes cluster"),
    "postgresql-cluster": ("кластер PostgreSQL", "PostgreSQL cluster"),
    "mysql-cluster": ("кластер MySQL", "MySQL cluster"),
    "kafka-cluster": ("кластер Kafka", "Kafka cluster"),
    "redis-cluster": ("кластер Redis", "Redis cluster"),
    "mongodb-cluster": ("кластер MongoDB", "MongoDB cluster"),
    "clickhouse-cluster": ("кластер ClickHouse", "ClickHouse cluster"),
    "database": ("база данных", "database"),
    "load_balancer": ("балансировщик нагрузки", "load balancer"),
    "s3_bucket": ("бакет S3", "S3 bucket"),
    "storage": ("хранилище", "storage"),
    "file_storage": ("файловое хранилище", "file storage"),
    "domain": ("домен", "domain"),
    "email": ("почта", "email"),
    "backup": ("резервная копия", "backup"),
}
RECOMMENDATION_TYPES = {
    "price_compare_cross_provider": (
        "перенос к более выгодному провайдеру",
        "a move to a cheaper provider",
    ),
    "price_compare_same_provider": (
        "переход на более дешёвый тариф у того же провайдера",
        "a cheaper plan at the same provider",
    ),
    "cleanup_old_snapshot": ("удаление старого снимка", "deleting an old snapshot"),
    "cleanup_unused_ip": (
        "освобождение неиспользуемого IP-адреса",
        "releasing an unused IP address",
    ),
    "cleanup_unused_volume": ("удаление неподключённого диска", "deleting an unattached disk"),
    "cleanup_stopped": ("удаление остановленного сервера", "deleting a stopped server"),
    "cleanup": ("удаление неиспользуемого ресурса", "removing an unused resource"),
    "rightsizing_cpu": ("уменьшение числа vCPU", "fewer vCPUs"),
    "rightsizing": ("уменьшение конфигурации", "a smaller configuration"),
    "shutdown": ("выключение по расписанию", "a shutdown schedule"),
    "migrate": ("перенос", "a migration"),
    "commitment": ("резервирование ресурсов", "a capacity commitment"),
}
FAMILY_TYPES = {
    "price": ("более выгодная конфигурация", "a cheaper configuration"),
    "rightsizing": ("уменьшение конфигурации", "a smaller configuration"),
    "cleanup": ("удаление неиспользуемого ресурса", "removing an unused resource"),
    "stopped": ("удаление остановленного сервера", "deleting a stopped server"),
    "generic": ("оптимизация расходов", "a cost optimisation"),
}
STATUSES = {
    "pending": ("ожидает решения", "pending"),
    "seen": ("просмотрена", "seen"),
    "snoozed": ("отложена", "snoozed"),
    "implemented": ("выполнена", "implemented"),
    "dismissed": ("отклонена", "dismissed"),
    "auto_dismissed": ("отклонена автоматически", "dismissed automatically"),
}
SEVERITIES = {
    "info": ("информационная", "informational"),
    "low": ("низкая", "low"),
    "medium": ("средняя", "medium"),
    "high": ("высокая", "high"),
    "critical": ("критическая", "critical"),
}
LEVELS = {"low": ("низкая", "low"), "medium": ("средняя", "medium"), "high": ("высокая", "high")}
RISKS = {"low": ("низкий", "low"), "medium": ("средний", "medium"), "high": ("высокий", "high")}
SYNC_STATUSES = {
    "success": ("успешно", "successful"),
    "partial": ("частично", "partial"),
    "partial_success": ("частично", "partial"),
    "error": ("с ошибкой", "failed"),
    "running": ("идёт", "running"),
    "syncing": ("идёт", "running"),
    "pending": ("ожидает", "pending"),
}
MONTHS_RU = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

TOOL_TOPICS = {
    "get_recommendation": ("данные рекомендации", "the recommendation's data"),
    "calculate_savings": ("расчёт экономии", "the savings calculation"),
    "list_top_alternatives": ("список альтернатив", "the list of alternatives"),
    "estimate_migration_effort": ("оценку сложности", "the effort estimate"),
    "generate_step_plan": ("план действий", "the step plan"),
    "get_resource": ("данные ресурса", "the resource's data"),
    "get_latest_snapshot": ("историю синхронизаций ресурса", "the resource's sync history"),
    "get_prices_for_skus": ("цены каталога", "the catalogue prices"),
    "get_user_context": ("данные о подключениях", "your connections"),
    "get_analytics_overview": ("ключевые показатели", "the key figures"),
    "get_cost_trends": ("динамику расходов", "the cost trend"),
    "get_service_breakdown": ("расходы по сервисам", "costs by service"),
    "get_provider_breakdown": ("расходы по провайдерам", "costs by provider"),
    "get_anomalies": ("данные об аномалиях", "the anomaly data"),
    "summarize_top_recommendations": ("список рекомендаций", "the list of recommendations"),
}
NO_DATA = (
    "Не удалось получить {topic}: этих данных сейчас нет, поэтому цифр по ним не привожу.",
    "I could not get {topic}: that data is unavailable right now, so I give no figures for it.",
)
NO_DATA_NEXT = (
    "Проверьте, что синхронизация с провайдерами прошла, и спросите ещё раз чуть позже.",
    "Check that the provider sync has completed and ask again a little later.",
)
NO_RECOMMENDATION = (
    "Не вижу, о какой рекомендации идёт речь: откройте чат из карточки рекомендации.",
    "I cannot tell which recommendation this is about: open the chat from a recommendation card.",
)

HELP_RECOMMENDATION = (
    (
        "Что это за рекомендация?",
        "Сколько я сэкономлю в месяц или за год?",
        "Какие есть альтернативы у других провайдеров?",
        "Какие риски и насколько это сложно?",
        "Как это сделать по шагам?",
        "Какая загрузка и конфигурация у ресурса?",
    ),
    (
        "What is this recommendation?",
        "How much will I save per month or per year?",
        "What are the alternatives at other providers?",
        "What are the risks and how hard is it?",
        "How do I do it, step by step?",
        "What are the resource's load and configuration?",
    ),
)
HELP_ANALYTICS = (
    (
        "Какие у меня ключевые показатели?",
        "Как менялись расходы за месяц?",
        "Были ли аномалии и всплески расходов?",
        "Где можно сэкономить больше всего?",
        "Какие расходы по провайдерам?",
        "Какие расходы по сервисам?",
    ),
    (
        "What are my key figures?",
        "How did my costs change over the month?",
        "Were there any anomalies or spikes?",
        "Where can I save the most?",
        "What are my costs by provider?",
        "What are my costs by service?",
    ),
)
HELP_LEAD = (
    "Я отвечаю по данным InfraZen. Можно спросить, например:",
    "I answer from your InfraZen data. You can ask, for example:",
)
CAN_ASK = ("Можно спросить: ", "You can ask: ")
ELSEWHERE_ANALYTICS = (
    "Альтернативы, риски и план по отдельной рекомендации — в её собственном чате на странице "
    "рекомендаций; здесь — общая картина.",
    "Alternatives, risks and a plan for a single recommendation are in its own chat on the "
    "recommendations page; here is the overall picture.",
)
ELSEWHERE_RECOMMENDATION = (
    "Динамика всех расходов, аномалии и разбивки по провайдерам и сервисам — в чате на странице "
    "аналитики; здесь — данные этой рекомендации.",
    "Overall cost trends, anomalies and breakdowns by provider and service are in the chat on "
    "the analytics page; here is this recommendation's data.",
)
NEXT_STEPS = {
    "explain": (
        "Дальше можно спросить «какие есть альтернативы?» или «как это сделать?».",
        'Next you can ask "what are the alternatives?" or "how do I do it?".',
    ),
    "savings": (
        "Чтобы взвесить экономию против усилий, спросите «какие риски?».",
        'To weigh the savings against the effort, ask "what are the risks?".',
    ),
    "alternatives": (
        "Перед переносом спросите «какие риски?» и «как это сделать?» — оценю сложность и "
        "распишу шаги.",
        'Before moving, ask "what are the risks?" and "how do I do it?" for the effort and the '
        "steps.",
    ),
    "risks": (
        "Спросите «как это сделать по шагам?» — распишу шаги с проверками и откатом.",
        'Ask "how do I do it step by step?" for the steps with checks and a rollback.',
    ),
    "plan": (
        "Начните с шага 1 и отмечайте проверки; шаги с высоким риском делайте в окно работ.",
        "Start with step 1 and tick off the checks; do the high-risk steps in a maintenance "
        "window.",
    ),
    "resource": (
        "Чтобы понять, что с этим делать, спросите «сколько я сэкономлю?» или «какие риски?».",
        'To decide what to do, ask "how much will I save?" or "what are the risks?".',
    ),
    "connections": (
        "Если синхронизация не прошла, проверьте ключи доступа подключения в InfraZen.",
        "If a sync failed, check the connection's access keys in InfraZen.",
    ),
    "trends": (
        "Чтобы разобрать всплески, спросите «были ли аномалии?»; разбивка — «расходы по "
        "провайдерам».",
        'To look into spikes, ask "were there anomalies?"; for a split, ask "costs by provider".',
    ),
    "anomalies": (
        "Проверьте в консоли провайдера, что менялось в эти дни; общая динамика — «как менялись "
        "расходы?».",
        "Check the provider's console for what changed on those days; for the overall trend, "
        'ask "how did my costs change?".',
    ),
    "top": (
        "Откройте рекомендацию из списка: в её чате можно спросить про альтернативы, риски и план.",
        "Open a recommendation from the list: its chat answers about alternatives, risks and a "
        "plan.",
    ),
    "providers": (
        "Чтобы увидеть, на что уходят деньги внутри провайдера, спросите «расходы по сервисам».",
        'To see what the money goes on inside a provider, ask "costs by service".',
    ),
    "services": (
        "Где сократить расходы, подскажет вопрос «где можно сэкономить?».",
        'To find where to cut, ask "where can I save?".',
    ),
    "overview": (
        "Подробнее: «как менялись расходы?», «были ли аномалии?», «где можно сэкономить?».",
        'More: "how did my costs change?", "were there anomalies?", "where can I save?".',
    ),
}

# The step plans and effort reasons come from tools in Russian; an English answer uses these.
EN_TEXT = {
    # generate_step_plan.PLANS: titles and checks
    "Убедиться, что от снимка не зависят образы и диски": (
        "Make sure no images or disks depend on the snapshot"
    ),
    "Ни один образ или диск не создан из этого снимка": (
        "No image or disk was created from this snapshot"
    ),
    "При необходимости выгрузить снимок в объектное хранилище": (
        "If needed, export the snapshot to object storage"
    ),
    "Копия доступна и её размер совпадает": "The copy is available and its size matches",
    "Удалить снимок": "Delete the snapshot",
    "Снимок исчез из списка, списания прекратились": (
        "The snapshot is gone from the list and charges stopped"
    ),
    "Проверить, что адрес ни к чему не привязан": "Check that the address is attached to nothing",
    "Адрес не назначен ни ВМ, ни балансировщику": (
        "The address is assigned to no VM and no load balancer"
    ),
    "Проверить DNS-записи и правила доступа с этим адресом": (
        "Check the DNS records and access rules that use this address"
    ),
    "Ни одна A-запись и ни одно правило не ссылаются на адрес": (
        "No A record and no rule refers to the address"
    ),
    "Освободить адрес": "Release the address",
    "Адрес исчез из списка, списания прекратились": (
        "The address is gone from the list and charges stopped"
    ),
    "Убедиться, что диск не подключён и не нужен": (
        "Make sure the disk is not attached and not needed"
    ),
    "Диск не подключён ни к одной ВМ, владелец подтвердил": (
        "The disk is attached to no VM and the owner confirmed"
    ),
    "Сделать снимок диска перед удалением": "Take a snapshot of the disk before deleting it",
    "Снимок в статусе READY": "The snapshot is READY",
    "Удалить диск": "Delete the disk",
    "Диск исчез из списка, списания прекратились": (
        "The disk is gone from the list and charges stopped"
    ),
    "Подтвердить у владельца, что ресурс не нужен": (
        "Confirm with the owner that the resource is not needed"
    ),
    "Есть подтверждение владельца": "The owner has confirmed",
    "Сохранить резервную копию данных, если они есть": "Back up the data, if there is any",
    "Копия проверена": "The backup is verified",
    "Удалить ресурс": "Delete the resource",
    "Ресурс исчез из списка, списания прекратились": (
        "The resource is gone from the list and charges stopped"
    ),
    "Сделать снимок дисков сервера": "Take a snapshot of the server's disks",
    "Подтвердить у владельца, что сервер не нужен": (
        "Confirm with the owner that the server is not needed"
    ),
    "Удалить сервер вместе с дисками": "Delete the server with its disks",
    "Сервер и диски исчезли, списания прекратились": (
        "The server and disks are gone and charges stopped"
    ),
    "Через месяц удалить снимок, если он не понадобился": (
        "After a month, delete the snapshot if it was not needed"
    ),
    "Снимок удалён": "The snapshot is deleted",
    "Проверить пиковую загрузку (p95 CPU и памяти) за 30 дней": (
        "Check the peak load (p95 CPU and memory) over 30 days"
    ),
    "p95 с запасом помещается в новую конфигурацию": (
        "The p95 fits the new configuration with headroom"
    ),
    "Сделать снимок дисков": "Take a snapshot of the disks",
    "Изменить конфигурацию в окно работ": "Change the configuration in a maintenance window",
    "Сервер запущен, сервисы отвечают": "The server is running and services respond",
    "Наблюдать загрузку неделю": "Watch the load for a week",
    "Нет роста задержек и ошибок": "No rise in latency or errors",
    "План отката: вернуть прежнюю конфигурацию": (
        "Rollback plan: return to the previous configuration"
    ),
    "Процедура отката описана": "The rollback procedure is written down",
    "Создать целевой ресурс у нового провайдера": "Create the target resource at the new provider",
    "Ресурс создан, доступ есть": "The resource exists and is reachable",
    "Перенести или реплицировать данные": "Copy or replicate the data",
    "Объём и контрольные суммы совпадают": "Sizes and checksums match",
    "Заранее снизить TTL DNS-записей (например, до 300 с)": (
        "Lower the DNS records' TTL in advance (e.g. to 300 s)"
    ),
    "Новый TTL виден в ответах DNS": "The new TTL shows in DNS answers",
    "Переключить трафик на новый ресурс": "Switch traffic to the new resource",
    "Сервис отвечает с нового адреса": "The service answers from the new address",
    "Проверить работу и метрики": "Check the service and its metrics",
    "Ошибок и деградации нет сутки": "No errors or degradation for a day",
    "План отката: вернуть DNS на старый ресурс": (
        "Rollback plan: point DNS back to the old resource"
    ),
    "Старый ресурс не удалён": "The old resource is not deleted yet",
    "Удалить старый ресурс после периода наблюдения": (
        "Delete the old resource after the observation period"
    ),
    "Списания у старого провайдера прекратились": "Charges at the old provider stopped",
    "Согласовать часы работы стенда с командой": (
        "Agree the environment's working hours with the team"
    ),
    "Расписание утверждено": "The schedule is approved",
    "Настроить автоматическое выключение и включение": "Set up automatic shutdown and start-up",
    "Стенд выключился и включился по расписанию": (
        "The environment stopped and started on schedule"
    ),
    "Проверить экономию в следующем месяце": "Check the savings next month",
    "Расход снизился": "Spending went down",
    "Проверить стабильность нагрузки за 90 дней": "Check that the load was steady for 90 days",
    "Ресурс работает без перерывов": "The resource runs without breaks",
    "Оформить резерв у провайдера": "Buy the commitment from the provider",
    "Резерв активен": "The commitment is active",
    "Сверить первый счёт после резерва": "Check the first bill after the commitment",
    "Цена снизилась": "The price went down",
    "Изучить рекомендацию вместе с владельцем ресурса": (
        "Review the recommendation with the resource's owner"
    ),
    "Решение принято": "A decision is made",
    "Выполнить изменение в окно работ": "Make the change in a maintenance window",
    "Сервис работает": "The service works",
    "Проверить расход в следующем месяце": "Check the spending next month",
    "Проверить совместимость версий и параметров СУБД или кластера у нового провайдера": (
        "Check that the new provider supports the DBMS or cluster versions and settings"
    ),
    "Версия и настройки поддерживаются": "The version and settings are supported",
    # estimate_migration_effort: reasons and caveats
    "перенос управляемого кластера или базы данных: репликация и переключение клиентов": (
        "moving a managed cluster or database: replication and switching clients over"
    ),
    "перенос сервера к другому провайдеру: новая ВМ, перенос данных, переключение": (
        "moving a server to another provider: a new VM, copying data, switching over"
    ),
    "смена конфигурации требует перезапуска": "changing the configuration needs a restart",
    "нужно расписание включения и выключения": "needs a start and stop schedule",
    "удаление или изменение без переноса данных": "a deletion or change without moving data",
    "внешний IP сменится: обновить DNS и правила доступа": (
        "the external IP will change: update DNS and access rules"
    ),
    "узел Kubernetes: менять через группу узлов кластера": (
        "a Kubernetes node: change it through the cluster's node group"
    ),
    "продуктивная среда: нужно окно работ": "production: needs a maintenance window",
    "Beget подходит для dev/test, а не для продуктивных кластеров и БД": (
        "Beget suits dev/test, not production clusters and databases"
    ),
    "Beget — уровень dev/test для продуктивных Kubernetes и баз данных.": (
        "Beget is dev/test grade for production Kubernetes and databases."
    ),
    "Правило рекомендации само оценивает перенос как сложный.": (
        "The recommendation's own rule rates the move as complex."
    ),
}
EN_PATTERNS = (
    (re.compile(r"^объём данных ([\d.,]+) ГБ$"), "data volume {0} GB"),
    (re.compile(r"^подключено дисков: (\d+)$"), "attached disks: {0}"),
)


def _t(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def _translated(text: str, lang: str) -> str:
    if lang != "en":
        return text
    if text in EN_TEXT:
        return EN_TEXT[text]
    for pattern, template in EN_PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return text


def _clean(text: Any, limit: int = NAME_MAX_CHARS) -> str:
    """A value from the data, made safe for the client's markdown: one line, no asterisks."""
    text = " ".join(str(text).replace("*", "").replace("`", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bold(text: str) -> str:
    return f"**{text}**"


def _amount(money: Any) -> float | None:
    return None if money is None else money.amount


def _rub(money: Any, lang: str, period: str | None = None) -> str:
    """A Money (or an amount with an explicit period) as "1,450 ₽/мес" / "1,450 ₽/month"."""
    amount = money if isinstance(money, int | float) else money.amount
    period = period or money.period
    if lang == "ru" and period in ("month", "day", "year"):
        return rub_period(amount, period)
    return f"{rub(amount)} {SUFFIXES[lang].get(period, '₽')}"


def _rub_total(money: Any, lang: str, ru: str, en: str) -> str:
    """A one-off amount, said with what it covers: "14,124 ₽ за всё время"."""
    return f"{rub(money.amount)} ₽ {en if lang == 'en' else ru}"


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent(value: float) -> str:
    return f"{_number(abs(value))}%"


def _signed_percent(value: float) -> str:
    if value > 0:
        return f"+{_number(value)}%"
    if value < 0:
        return f"−{_number(-value)}%"
    return "0%"


def _date(text: str | None, lang: str, *, time: bool = False) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _clean(text, 30)
    if lang == "en":
        day = f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}"
    else:
        day = f"{moment.day} {MONTHS_RU[moment.month - 1]} {moment.year}"
    return f"{day}, {moment:%H:%M}" if time else day


def _provider(provider_type: str | None) -> str | None:
    if not provider_type:
        return None
    return PROVIDER_NAMES.get(provider_type.lower(), _clean(provider_type, 40))


def _resource_type(resource_type: str | None, lang: str) -> str | None:
    if not resource_type:
        return None
    pair = RESOURCE_TYPES.get(resource_type.lower())
    return _t(lang, pair) if pair else _clean(resource_type, 40)


def _rec_kind(rec: Any, lang: str) -> str:
    pair = RECOMMENDATION_TYPES.get(rec.type) or FAMILY_TYPES.get(rec.family)
    return _t(lang, pair) if pair else _clean(rec.type, 60)


def _label(table: dict[str, tuple[str, str]], value: str | None, lang: str) -> str | None:
    if not value:
        return None
    pair = table.get(value.lower())
    return _t(lang, pair) if pair else _clean(value, 40)


def _plural(n: int, forms: tuple[str, str, str], en: tuple[str, str], lang: str) -> str:
    if lang == "en":
        return f"{n} {en[0] if n == 1 else en[1]}"
    return f"{n} {plural(n, *forms)}"


def _has_money_text(text: str) -> bool:
    # Rule texts carry amounts as "1450.0 ₽" without a period: never quoted as they are.
    return "₽" in text or "руб" in text.lower()


def _numbered(items: Iterable[str]) -> list[str]:
    return [f"{index}. {item}" for index, item in enumerate(items, start=1)]


def _joined(parts: Iterable[str | None], sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


# --- reading the results ------------------------------------------------------------------------


def _found(results: list[tuple[PlannedCall, BaseModel | ToolError]], name: str) -> Any | None:
    for call, result in results:
        if call.name == name and not isinstance(result, ToolError):
            return result
    return None


@dataclass
class _Answer:
    plan: OfflinePlan
    results: list[tuple[PlannedCall, BaseModel | ToolError]]

    @property
    def lang(self) -> str:
        return "en" if self.plan.language == "en" else "ru"

    def t(self, pair: tuple[str, str]) -> str:
        return _t(self.lang, pair)

    def get(self, name: str) -> Any | None:
        return _found(self.results, name)

    def missing(self) -> list[str]:
        """Planned or run tools that gave no data, in plan order, each named once."""
        got = {call.name for call, result in self.results if not isinstance(result, ToolError)}
        names = [call.name for call in self.plan.calls] + [call.name for call, _ in self.results]
        return [name for name in dict.fromkeys(names) if name not in got]

    def no_data_lines(self) -> list[str]:
        return [
            self.t(NO_DATA).format(topic=self.t(TOOL_TOPICS.get(name, ("данные", "the data"))))
            for name in self.missing()
        ]


# --- recommendation scenario --------------------------------------------------------------------


def _subject(rec: Any, lang: str) -> str:
    """ "**office** (сервер, Yandex Cloud)"."""
    name = _bold(_clean(rec.resource_name)) if rec.resource_name else None
    where = _joined([_resource_type(rec.resource_type, lang), _provider(rec.provider_type)])
    if name and where:
        return f"{name} ({where})"
    return name or where or _t(lang, ("ресурс", "the resource"))


def _savings_phrase(rec: Any, lang: str) -> str | None:
    monthly, yearly = rec.savings_monthly, rec.savings_yearly
    if monthly is None:
        return None
    if yearly is None:
        return _bold(_rub(monthly, lang))
    return f"{_bold(_rub(monthly, lang))} ({_rub(yearly, lang)})"


def _why(rec: Any, lang: str) -> str | None:
    """Why the rule fired, from the structured figures; a rule text only when it has no ₽."""
    en = lang == "en"
    if rec.family == "price":
        nodes = (
            _plural(rec.total_nodes, ("узел", "узла", "узлов"), ("node", "nodes"), lang)
            if rec.total_nodes
            else None
        )
        target = _joined(
            [
                _provider(rec.target_provider),
                _clean(rec.target_region, 30) if rec.target_region else None,
                _clean(rec.target_sku, 60) if rec.target_sku else None,
                (f"cluster of {nodes}" if en else f"кластер из {nodes}") if nodes else None,
            ]
        )
        if not target:
            return None
        return f"Target: {target}." if en else f"Куда: {target}."
    if rec.family == "rightsizing" and rec.cpu_avg_percent is not None:
        text = (
            f"Average CPU load is {_percent(rec.cpu_avg_percent)}"
            if en
            else f"Средняя загрузка CPU — {_percent(rec.cpu_avg_percent)}"
        )
        if rec.cpu_p95_percent is not None:
            peak = _percent(rec.cpu_p95_percent)
            text += f", p95 {peak}" if en else f", в пиках (p95) — {peak}"
        if rec.current_vcpu:
            text += f" on {rec.current_vcpu} vCPU" if en else f" при {rec.current_vcpu} vCPU"
        return text + "."
    if rec.family == "stopped":
        if en:
            return "The server is stopped, but its disks are still billed."
        return "Сервер остановлен, но за его диски продолжают списывать деньги."
    if rec.family == "cleanup" and rec.age_days is not None:
        age = days(rec.age_days) if not en else f"{rec.age_days} days"
        kind = (rec.resource_type or "").lower()
        if rec.ip_address or kind in ("reserved_ip", "ip", "floating_ip"):
            ip = f" {_clean(rec.ip_address, 45)}" if rec.ip_address else ""
            text = (
                f"The IP address{ip} was reserved {age} ago and is attached to nothing"
                if en
                else f"IP-адрес{ip} зарезервирован {age} назад и ни к чему не привязан"
            )
        elif "snapshot" in kind:
            size = f", {_number(rec.size_gb)} {'GB' if en else 'ГБ'}" if rec.size_gb else ""
            text = f"The snapshot is {age} old{size}" if en else f"Снимку {age}{size}"
        else:
            size = f" ({_number(rec.size_gb)} {'GB' if en else 'ГБ'})" if rec.size_gb else ""
            text = (
                f"The resource{size} has been unused for {age}"
                if en
                else f"Ресурс{size} не используется уже {age}"
            )
        if rec.already_spent is not None and rec.already_spent.amount > 0:
            spent = _rub_total(rec.already_spent, lang, "за это время", "over that time")
            text += f"; already spent: {spent}" if en else f"; уже потрачено {spent}"
        return text + "."
    if en:
        return None
    for text in (rec.explanation, rec.description):
        if text and not _has_money_text(text):
            return _clean(text, TEXT_MAX_CHARS)
    return None


def _rec_costs_line(rec: Any, calc: Any, lang: str) -> str | None:
    current = calc.current if calc else rec.current_monthly
    new = calc.new if calc else rec.target_monthly
    if current is None:
        return None
    if new is None:
        return (
            f"Now it costs {_rub(current, lang)}."
            if lang == "en"
            else f"Сейчас это стоит {_rub(current, lang)}."
        )
    share = calc.savings_percent if calc else None
    tail = f" ({_signed_percent(-share)})" if share else ""
    if lang == "en":
        return f"Now {_rub(current, lang)}, after the change {_rub(new, lang)}{tail}."
    return f"Сейчас {_rub(current, lang)}, после изменения — {_rub(new, lang)}{tail}."


def _status_line(rec: Any, lang: str) -> str | None:
    status = _label(STATUSES, rec.status, lang)
    severity = _label(SEVERITIES, rec.severity, lang)
    parts = []
    if status:
        parts.append(f"status: {status}" if lang == "en" else f"статус: {status}")
    if severity:
        parts.append(f"priority: {severity}" if lang == "en" else f"важность: {severity}")
    if rec.confidence is not None and 0 < rec.confidence <= 1:
        confidence = _percent(rec.confidence * 100)
        parts.append(f"confidence {confidence}" if lang == "en" else f"уверенность {confidence}")
    if not parts:
        return None
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _rec_lead(rec: Any, lang: str) -> str:
    kind = _rec_kind(rec, lang)
    subject = _subject(rec, lang)
    savings = _savings_phrase(rec, lang)
    if lang == "en":
        lead = f"Recommendation #{rec.id} is {kind} for {subject}"
        return lead + (f": it saves {savings}." if savings else ".")
    title = _bold(_clean(rec.title, 120)) if rec.title else _bold(kind)
    lead = f"Рекомендация #{rec.id} — {title}: {kind}, {subject}"
    return lead + (f". Экономия — {savings}." if savings else ".")


def _help_line(answer: _Answer) -> str:
    questions = (
        HELP_RECOMMENDATION if answer.plan.scenario != SCENARIO_ANALYTICS else HELP_ANALYTICS
    )
    items = answer.t(questions)
    if answer.lang == "en":
        return answer.t(CAN_ASK) + "; ".join(f'"{q}"' for q in items)
    return answer.t(CAN_ASK) + "; ".join(f"«{q}»" for q in items)


def _answer_explain(answer: _Answer, *, with_help: bool) -> list[str]:
    rec = answer.get("get_recommendation")
    if rec is None:
        lines = answer.no_data_lines()
        return [*lines, _help_line(answer)] if with_help else [*lines, answer.t(NO_DATA_NEXT)]
    lang = answer.lang
    calc = answer.get("calculate_savings")
    details = [
        _rec_costs_line(rec, calc, lang),
        _why(rec, lang),
        _status_line(rec, lang),
    ]
    lines = [_rec_lead(rec, lang), *_numbered(d for d in details if d)]
    lines += answer.no_data_lines()
    lines.append(_help_line(answer) if with_help else answer.t(NEXT_STEPS["explain"]))
    return lines


def _answer_savings(answer: _Answer) -> list[str]:
    rec = answer.get("get_recommendation")
    calc = answer.get("calculate_savings")
    lang = answer.lang
    if rec is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    monthly = calc.savings_monthly if calc else rec.savings_monthly
    yearly = calc.savings_yearly if calc else rec.savings_yearly
    if monthly is None:
        lead = (
            "InfraZen has no savings amount for this recommendation, so I cannot name one."
            if lang == "en"
            else "Сумма экономии для этой рекомендации в данных InfraZen не указана — назвать её "
            "не могу."
        )
    elif monthly.amount <= 0:
        more = _rub(abs(monthly.amount), lang, "month")
        lead = (
            f"By the figures there is no saving: the new cost is higher by {_bold(more)}."
            if lang == "en"
            else f"По расчёту экономии нет: новая стоимость выше на {_bold(more)}."
        )
    else:
        month = _bold(_rub(monthly, lang))
        year = _bold(_rub(yearly, lang)) if yearly else None
        period = answer.plan.period
        if period == "quarter" and calc and calc.savings_for_period.period == "quarter":
            quarter = _bold(_rub(calc.savings_for_period, lang))
            lead = (
                f"Over a quarter you save {quarter}: {month}"
                if lang == "en"
                else f"За квартал экономия составит {quarter}: это {month}"
            )
            lead += f", {year}." if year else "."
        elif period == "year" and year:
            lead = (
                f"Over a year you save {year}, that is {month}."
                if lang == "en"
                else f"За год экономия составит {year}, то есть {month}."
            )
        else:
            lead = (f"You save {month}" if lang == "en" else f"Экономия составит {month}") + (
                f", or {year}." if lang == "en" and year else f", или {year}." if year else "."
            )
    details = [
        _rec_costs_line(rec, calc, lang),
        (
            f"What to do: {_rec_kind(rec, lang)} for "
            if lang == "en"
            else f"Что нужно сделать: {_rec_kind(rec, lang)}, "
        )
        + _subject(rec, lang)
        + ".",
        _why(rec, lang),
    ]
    lines = [lead, *_numbered(d for d in details if d), *answer.no_data_lines()]
    if answer.plan.asked == "top":
        lines.append(answer.t(ELSEWHERE_RECOMMENDATION))
    lines.append(answer.t(NEXT_STEPS["savings"]))
    return lines


def _alternative_line(alt: Any, lang: str) -> str:
    where = _joined(
        [
            _clean(alt.region, 30) if alt.region else None,
            _clean(alt.sku, 60) if alt.sku else None,
            _clean(alt.config, 60) if alt.config else None,
        ]
    )
    head = _bold(_provider(alt.provider) or "—") + (f", {where}" if where else "")
    text = f"{head} — {_rub(alt.monthly_price, lang)}"
    if alt.savings is not None:
        if alt.savings.amount > 0:
            saving = _rub(alt.savings, lang)
            share = f", {_percent(alt.savings_percent)}" if alt.savings_percent else ""
            text += f", saves {saving}{share}" if lang == "en" else f", экономия {saving}{share}"
        elif alt.savings.amount < 0:
            more = _rub(abs(alt.savings.amount), lang, "month")
            text += f", dearer by {more}" if lang == "en" else f", дороже на {more}"
        else:
            text += ", same price" if lang == "en" else ", та же цена"
    if alt.parity is not None and alt.parity.score is not None:
        parity = _percent(alt.parity.score * 100)
        text += f"; size match {parity}" if lang == "en" else f"; сходство конфигурации {parity}"
    return text


def _specs(result: Any, lang: str) -> str | None:
    parts = []
    if result.vcpus:
        parts.append(f"{result.vcpus} vCPU")
    if result.ram_gb:
        parts.append(f"{_number(result.ram_gb)} {'GB' if lang == 'en' else 'ГБ'} RAM")
    if result.storage_gb:
        disk = "GB disk" if lang == "en" else "ГБ диска"
        parts.append(f"{_number(result.storage_gb)} {disk}")
    return ", ".join(parts) or None


def _answer_alternatives(answer: _Answer) -> list[str]:
    result = answer.get("list_top_alternatives")
    lang = answer.lang
    if result is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    name = _bold(_clean(result.resource_name)) if result.resource_name else None
    about = _joined(
        [
            _rub(result.current_monthly, lang) if result.current_monthly else None,
            _provider(result.current_provider),
            _specs(result, lang),
        ]
    )
    subject = _joined([name, f"({about})" if about else None], " ") or answer.t(
        ("ресурса", "the resource")
    )
    alternatives = result.alternatives
    if not alternatives:
        lead = (
            f"For {subject} I found no comparable offers at other providers."
            if lang == "en"
            else f"Для {subject} сопоставимых предложений у других провайдеров не нашлось."
        )
        lines = [lead]
    else:
        count = _plural(
            len(alternatives), ("вариант", "варианта", "вариантов"), ("option", "options"), lang
        )
        cheaper = [a for a in alternatives if a.savings is not None and a.savings.amount > 0]
        if cheaper:
            best = max(cheaper, key=lambda a: a.savings.amount)
            best_text = (
                f"{_bold(_provider(best.provider) or '—')} at "
                f"{_bold(_rub(best.monthly_price, lang))}"
                f" (saves {_rub(best.savings, lang)})"
                if lang == "en"
                else f"{_bold(_provider(best.provider) or '—')} за "
                f"{_bold(_rub(best.monthly_price, lang))} (экономия {_rub(best.savings, lang)})"
            )
            lead = (
                f"For {subject} there are {count}; the best is {best_text}."
                if lang == "en"
                else f"Для {subject} есть {count}; выгоднее всего — {best_text}."
            )
        else:
            lead = (
                f"For {subject} there are {count}, but none is cheaper than now."
                if lang == "en"
                else f"Для {subject} есть {count}, но дешевле текущего нет ни одного."
            )
        lines = [lead, *_numbered(_alternative_line(a, lang) for a in alternatives)]
    if result.excluded_providers:
        excluded = ", ".join(_provider(p) or p for p in result.excluded_providers)
        lines.append(
            f"Left out (disabled in your settings): {excluded}."
            if lang == "en"
            else f"Не рассматривались (отключены в настройках): {excluded}."
        )
    if lang == "ru" and result.note and not _has_money_text(result.note):
        lines.append(_clean(result.note, TEXT_MAX_CHARS))
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["alternatives"]))
    return lines


def _effort_phrase(effort: Any, lang: str) -> str:
    level = _label(LEVELS, effort.level, lang)
    minutes = effort.downtime_minutes
    if lang == "en":
        text = f"effort {_bold(f'{effort.score} of 5 ({level})')}"
        return text + (
            f", expected downtime about {minutes} min" if minutes else ", no downtime expected"
        )
    text = f"сложность {_bold(f'{effort.score} из 5 ({level})')}"
    if minutes:
        return (
            text
            + f", ожидаемый простой около {minutes} {plural(minutes, 'минуты', 'минут', 'минут')}"
        )
    return text + ", без простоя"


def _answer_risks(answer: _Answer) -> list[str]:
    effort = answer.get("estimate_migration_effort")
    rec = answer.get("get_recommendation")
    lang = answer.lang
    if effort is None:
        lines = answer.no_data_lines()
        if rec is not None:
            savings = _savings_phrase(rec, lang)
            if savings:
                lines.append(
                    f"The saving itself is {savings}."
                    if lang == "en"
                    else f"Сама экономия — {savings}."
                )
        return [*lines, answer.t(NO_DATA_NEXT)]
    savings = _savings_phrase(rec, lang) if rec is not None else None
    phrase = _effort_phrase(effort, lang)
    if lang == "en":
        lead = phrase[:1].upper() + phrase[1:]
        lead += f"; the saving is {savings}." if savings else "."
    else:
        lead = phrase[:1].upper() + phrase[1:]
        lead += f"; экономия при этом {savings}." if savings else "."
    reasons = []
    for reason in effort.reasons:
        text = _clean(_translated(reason.detail, lang), TEXT_MAX_CHARS)
        reasons.append(text + (f" (+{reason.points})" if reason.points > 0 else ""))
    heading = "What drives the score:" if lang == "en" else "Из чего складывается оценка:"
    lines = [lead, heading, *_numbered(reasons)]
    for caveat in effort.caveats:
        text = _clean(_translated(caveat, lang), TEXT_MAX_CHARS)
        lines.append(f"Note: {text}" if lang == "en" else f"Важно: {text}")
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["risks"]))
    return lines


def _answer_plan(answer: _Answer) -> list[str]:
    steps = answer.get("generate_step_plan")
    effort = answer.get("estimate_migration_effort")
    rec = answer.get("get_recommendation")
    lang = answer.lang
    if steps is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    name = _bold(_clean(steps.resource_name)) if steps.resource_name else None
    count = _plural(len(steps.steps), ("шаг", "шага", "шагов"), ("step", "steps"), lang)
    facts = [_effort_phrase(effort, lang) if effort else None]
    savings = _savings_phrase(rec, lang) if rec is not None else None
    if savings:
        facts.append(f"saving {savings}" if lang == "en" else f"экономия {savings}")
    tail = f"; {_joined(facts)}" if any(facts) else ""
    if lang == "en":
        lead = f"The plan{' for ' + name if name else ''}: {count}{tail}."
    else:
        lead = f"План{' для ' + name if name else ''}: {count}{tail}."
    items = []
    for step in steps.steps:
        risk = _label(RISKS, step.risk, lang)
        title = _clean(_translated(step.title, lang), TEXT_MAX_CHARS)
        check = _clean(_translated(step.check, lang), TEXT_MAX_CHARS)
        items.append(
            f"{title} — risk {risk}; check: {check}."
            if lang == "en"
            else f"{title} — риск {risk}; проверка: {check}."
        )
    lines = [lead, *_numbered(items)]
    risky = [str(step.order) for step in steps.steps if step.risk == "high"]
    if risky:
        lines.append(
            f"High-risk steps: {', '.join(risky)} — have the rollback ready before them."
            if lang == "en"
            else f"Шаги с высоким риском: {', '.join(risky)} — перед ними подготовьте откат."
        )
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["plan"]))
    return lines


def _usage_value(usage: dict[str, str], key: str) -> float | None:
    try:
        value = float(usage[key])
    except (KeyError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _answer_resource(answer: _Answer) -> list[str]:
    resource = answer.get("get_resource")
    snapshot = answer.get("get_latest_snapshot")
    rec = answer.get("get_recommendation")
    lang = answer.lang
    en = lang == "en"
    if resource is None and rec is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    details: list[str] = []
    if resource is not None:
        where = _joined(
            [
                _resource_type(resource.resource_type, lang),
                _provider(resource.provider_type),
                _clean(resource.region, 30) if resource.region else None,
            ]
        )
        status = (
            f", {'status' if en else 'статус'} {_clean(resource.status, 30)}"
            if (resource.status)
            else ""
        )
        lead = (
            f"{_bold(_clean(resource.name))} ({where}{status}) costs "
            f"{_bold(_rub(resource.monthly_cost, lang))} ({_rub(resource.daily_cost, lang)})."
            if en
            else f"{_bold(_clean(resource.name))} ({where}{status}) стоит "
            f"{_bold(_rub(resource.monthly_cost, lang))} ({_rub(resource.daily_cost, lang)})."
        )
        specs = resource.specs
        parts = []
        if specs.vcpus:
            parts.append(f"{specs.vcpus} vCPU")
        if specs.ram_gb:
            parts.append(f"{_number(specs.ram_gb)} {'GB' if en else 'ГБ'} RAM")
        if specs.storage_gb:
            disk = f"{_number(specs.storage_gb)} {'GB disk' if en else 'ГБ диска'}"
            parts.append(disk + (f" ({_clean(specs.disk_type, 30)})" if specs.disk_type else ""))
        if parts:
            details.append(("Configuration: " if en else "Конфигурация: ") + ", ".join(parts) + ".")
        cpu_avg = _usage_value(resource.usage, "cpu_avg_usage")
        cpu_max = _usage_value(resource.usage, "cpu_max_usage")
        if cpu_avg is not None:
            text = (
                f"CPU load: average {_percent(cpu_avg)}"
                if en
                else f"Загрузка CPU: в среднем {_percent(cpu_avg)}"
            )
            if cpu_max is not None:
                text += f", peak {_percent(cpu_max)}" if en else f", максимум {_percent(cpu_max)}"
            details.append(text + ".")
        mem_avg = _usage_value(resource.usage, "memory_avg_usage")
        mem_max = _usage_value(resource.usage, "memory_max_usage")
        if mem_avg is not None:
            unit = "MB" if en else "МБ"
            text = (
                f"Memory: average {rub(mem_avg)} {unit}"
                if en
                else f"Память: в среднем {rub(mem_avg)} {unit}"
            )
            if mem_max is not None:
                text += (
                    f", peak {rub(mem_max)} {unit}" if en else f", максимум {rub(mem_max)} {unit}"
                )
            details.append(text + ".")
    else:
        lead = (
            f"The resource is {_subject(rec, lang)}"
            if en
            else f"Ресурс рекомендации — {_subject(rec, lang)}"
        )
        if rec.current_monthly is not None:
            cost = _bold(_rub(rec.current_monthly, lang))
            lead += f", it costs {cost}." if en else f", стоит {cost}."
        else:
            lead += "."
        why = _why(rec, lang)
        if why:
            details.append(why)
    if snapshot is not None:
        details.append(_snapshot_line(snapshot, lang))
    lines = [lead, *_numbered(d for d in details if d), *answer.no_data_lines()]
    if answer.plan.asked in ("trends", "anomalies", "providers", "services", "top"):
        lines.append(answer.t(ELSEWHERE_RECOMMENDATION))
    lines.append(answer.t(NEXT_STEPS["resource"]))
    return lines


def _snapshot_line(snapshot: Any, lang: str) -> str:
    en = lang == "en"
    when = _date(snapshot.latest_complete_sync_at or snapshot.provider_last_sync, lang, time=True)
    status = _label(
        SYNC_STATUSES,
        snapshot.latest_complete_sync_status or snapshot.provider_sync_status,
        lang,
    )
    text = ("Last sync" if en else "Последняя синхронизация") + (f" {when}" if when else "")
    text += f" ({status})" if status else ""
    cost_changes = [
        change
        for state in snapshot.states
        for change in state.changes
        if change.field == "cost" and change.previous_cost and change.current_cost
    ]
    changed = sum(1 for state in snapshot.states if state.state_action != "unchanged")
    if cost_changes:
        change = cost_changes[0]
        text += (
            f"; the cost changed from {_rub(change.previous_cost, lang)} to "
            f"{_rub(change.current_cost, lang)}"
            if en
            else f"; стоимость менялась: было {_rub(change.previous_cost, lang)}, стало "
            f"{_rub(change.current_cost, lang)}"
        )
    elif snapshot.states:
        count = len(snapshot.states)
        if count == 1:
            syncs = "sync" if en else "синхронизацию"
        else:
            syncs = _plural(
                count, ("синхронизацию", "синхронизации", "синхронизаций"), ("sync", "syncs"), lang
            )
        if changed:
            text += (
                f"; over the last {syncs} the resource changed {changed} times, cost unchanged"
                if en
                else f"; за последние {syncs} ресурс менялся, стоимость — нет"
            )
        else:
            text += (
                f"; no changes over the last {syncs}"
                if en
                else f"; за последние {syncs} изменений не было"
            )
    return text + "."


def _answer_connections(answer: _Answer) -> list[str]:
    context = answer.get("get_user_context")
    lang = answer.lang
    en = lang == "en"
    if context is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    connections = context.connections
    if not connections:
        lines = [
            "You have no cloud connections in InfraZen yet."
            if en
            else "Подключений к облакам в InfraZen пока нет."
        ]
    else:
        count = _plural(
            len(connections),
            ("подключение", "подключения", "подключений"),
            ("connection", "connections"),
            lang,
        )
        lines = [f"You have {count}:" if en else f"У вас {count}:"]
        items = []
        for connection in connections:
            kind = _provider(connection.provider_type)
            text = _bold(_clean(connection.connection_name)) + (f" ({kind})" if kind else "")
            state = (
                ("active" if en else "активно")
                if connection.is_active
                else ("inactive" if en else "неактивно")
            )
            sync = _date(connection.last_sync, lang, time=True)
            status = _label(SYNC_STATUSES, connection.sync_status, lang)
            sync_text = (
                (f"last sync {sync}" if en else f"последняя синхронизация {sync}")
                if sync
                else ("never synced" if en else "синхронизаций не было")
            )
            items.append(f"{text} — {_joined([state, sync_text, status])}.")
        lines += _numbered(items)
    if context.disabled_target_providers:
        disabled = ", ".join(_provider(p) or p for p in context.disabled_target_providers)
        lines.append(
            f"Not offered as migration targets: {disabled}."
            if en
            else f"Не предлагаются как цель переноса: {disabled}."
        )
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["connections"]))
    return lines


def _answer_help(answer: _Answer) -> list[str]:
    questions = (
        HELP_RECOMMENDATION if answer.plan.scenario != SCENARIO_ANALYTICS else HELP_ANALYTICS
    )
    lines = [answer.t(HELP_LEAD), *_numbered(answer.t(questions))]
    if answer.plan.scenario == SCENARIO_RECOMMENDATION and not answer.plan.recommendation_id:
        lines.insert(0, answer.t(NO_RECOMMENDATION))
    return lines


# --- analytics scenario -----------------------------------------------------------------------


def _change_text(value: float | None, lang: str, *, over: str) -> str | None:
    if value is None:
        return None
    if value == 0:
        return f"{over}: no change" if lang == "en" else f"{over}: без изменений"
    return f"{over}: {_signed_percent(value)}"


def _overview_lines(overview: Any, lang: str) -> tuple[str, list[str]]:
    en = lang == "en"
    range_days = overview.time_range_days
    period = f"{range_days} days" if en else days(range_days)
    if overview.monthly_cost is None:
        lead = (
            "There is no successful sync yet, so your costs are unknown."
            if en
            else "Успешных синхронизаций нет, поэтому расходы неизвестны."
        )
    else:
        date = _date(overview.cost_date, lang)
        lead = (
            f"Your run-rate is {_bold(_rub(overview.monthly_cost, lang))}"
            f" ({_rub(overview.daily_cost, lang)}{' on ' + date if date else ''})"
            if en
            else f"Расход — {_bold(_rub(overview.monthly_cost, lang))} по текущему темпу"
            f" ({_rub(overview.daily_cost, lang)}{' на ' + date if date else ''})"
        )
        changes = _joined(
            [
                _change_text(
                    overview.change_over_range_percent,
                    lang,
                    over=f"over {period}" if en else f"за {period}",
                ),
                _change_text(
                    overview.change_vs_previous_day_percent,
                    lang,
                    over="vs the day before" if en else "к предыдущему дню",
                ),
            ],
            "; ",
        )
        lead += f"; {changes}." if changes else "."
    details = [
        (
            f"{overview.active_resources} active resource"
            + ("" if overview.active_resources == 1 else "s")
            + "."
            if en
            else f"{overview.active_resources} "
            + plural(
                overview.active_resources,
                "активный ресурс",
                "активных ресурса",
                "активных ресурсов",
            )
            + "."
        )
    ]
    if overview.pending_recommendations:
        count = _plural(
            overview.pending_recommendations,
            ("рекомендация", "рекомендации", "рекомендаций"),
            ("recommendation", "recommendations"),
            lang,
        )
        savings = _bold(_rub(overview.pending_savings, lang))
        yearly = _rub(overview.pending_savings_yearly, lang)
        details.append(
            f"{count} pending, worth {savings} ({yearly})."
            if en
            else f"В ожидании {count} на {savings} экономии ({yearly})."
        )
    else:
        details.append("No pending recommendations." if en else "Рекомендаций в ожидании нет.")
    if overview.last_sync_at:
        when = _date(overview.last_sync_at, lang, time=True)
        status = _label(SYNC_STATUSES, overview.last_sync_status, lang)
        text = (f"Last sync {when}" if en else f"Последняя синхронизация {when}") + (
            f": {status}" if status else ""
        )
        if overview.providers_total:
            text += (
                f", {overview.providers_successful or 0} of {overview.providers_total} providers"
                if en
                else f", провайдеров {overview.providers_successful or 0} из "
                f"{overview.providers_total}"
            )
        failed = [h for h in overview.provider_health if h.status not in ("success",)]
        if failed:
            names = ", ".join(_clean(h.connection_name, 40) for h in failed)
            text += f"; with problems: {names}" if en else f"; с проблемами: {names}"
        details.append(text + ".")
    if overview.note and not en and not _has_money_text(overview.note):
        details.append(_clean(overview.note, TEXT_MAX_CHARS))
    return lead, details


def _answer_overview(answer: _Answer, *, with_help: bool) -> list[str]:
    overview = answer.get("get_analytics_overview")
    if overview is None:
        lines = answer.no_data_lines()
        return [*lines, _help_line(answer)] if with_help else [*lines, answer.t(NO_DATA_NEXT)]
    lead, details = _overview_lines(overview, answer.lang)
    lines = [lead, *_numbered(details), *answer.no_data_lines()]
    lines.append(_help_line(answer) if with_help else answer.t(NEXT_STEPS["overview"]))
    return lines


def _answer_trends(answer: _Answer) -> list[str]:
    trends = answer.get("get_cost_trends")
    overview = answer.get("get_analytics_overview")
    lang = answer.lang
    en = lang == "en"
    if trends is None or trends.latest_daily_cost is None:
        lines = answer.no_data_lines()
        if trends is not None:
            lines.insert(
                0,
                f"There is no cost data for the last {trends.time_range_days} days."
                if en
                else f"Данных о расходах за {days(trends.time_range_days)} нет.",
            )
        if overview is not None:
            lead, details = _overview_lines(overview, lang)
            lines += [lead, *_numbered(details)]
        return [*lines, answer.t(NEXT_STEPS["trends"])]
    period = f"{trends.time_range_days} days" if en else days(trends.time_range_days)
    now = _bold(_rub(trends.latest_daily_cost, lang))
    rate = _bold(_rub(trends.latest_monthly_run_rate, lang))
    change = trends.change_over_range_percent
    if change is None or change == 0:
        lead = (
            f"Over {period} your costs held steady: now {now}, a run-rate of {rate}."
            if en
            else f"За {period} расход не изменился: сейчас {now}, это {rate} по текущему темпу."
        )
    else:
        went = ("rose" if change > 0 else "fell") if en else ("вырос" if change > 0 else "снизился")
        lead = (
            f"Over {period} your daily cost {went} by {_percent(change)}: now {now}, "
            f"a run-rate of {rate}."
            if en
            else f"За {period} дневной расход {went} на {_percent(change)}: сейчас {now}, это "
            f"{rate} по текущему темпу."
        )
    details = []
    if trends.average_daily_cost and trends.min_daily_cost and trends.max_daily_cost:
        peak_date = None
        if trends.bucket_days == 1:
            peak = max(trends.points, key=lambda p: p.daily_cost, default=None)
            if peak is not None and round(peak.daily_cost, 2) == trends.max_daily_cost.amount:
                peak_date = _date(peak.date, lang)
        peak = _rub(trends.max_daily_cost, lang) + (f" ({peak_date})" if peak_date else "")
        details.append(
            f"Average {_rub(trends.average_daily_cost, lang)}; lowest "
            f"{_rub(trends.min_daily_cost, lang)}, highest {peak}."
            if en
            else f"В среднем {_rub(trends.average_daily_cost, lang)}; минимум "
            f"{_rub(trends.min_daily_cost, lang)}, максимум {peak}."
        )
    if trends.day_over_day_change_percent is not None:
        details.append(
            f"Against the day before: {_signed_percent(trends.day_over_day_change_percent)}."
            if en
            else f"К предыдущему дню: {_signed_percent(trends.day_over_day_change_percent)}."
        )
    if trends.bucket_days > 1:
        details.append(
            f"Points are {trends.bucket_days}-day averages."
            if en
            else f"Точки графика — средние за {days(trends.bucket_days)}."
        )
    if trends.partial_days:
        details.append(
            f"Days with only a partial sync (some providers missing): {trends.partial_days}."
            if en
            else f"Дней с частичной синхронизацией (учтены не все провайдеры): "
            f"{trends.partial_days}."
        )
    if overview is not None and overview.pending_recommendations:
        savings = _bold(_rub(overview.pending_savings, lang))
        details.append(
            f"Pending recommendations could cut {savings}."
            if en
            else f"Рекомендации в ожидании могут сократить расход на {savings}."
        )
    lines = [lead, *_numbered(details), *answer.no_data_lines()]
    lines.append(answer.t(NEXT_STEPS["trends"]))
    return lines


def _anomaly_line(anomaly: Any, lang: str) -> str:
    en = lang == "en"
    start, end = _date(anomaly.date, lang), _date(anomaly.end_date, lang)
    when = start if anomaly.days == 1 or start == end else f"{start} – {end}"
    if anomaly.days > 1:
        when += f" ({anomaly.days} days)" if en else f" ({days(anomaly.days)})"
    spike = anomaly.direction == "spike"
    kind = ("spike" if spike else "drop") if en else ("всплеск" if spike else "спад")
    text = (
        f"{when} — {kind}: {_rub(anomaly.actual, lang)} against the usual "
        f"{_rub(anomaly.expected_low, lang)}–{_rub(anomaly.expected_high, lang)} "
        f"({_signed_percent(anomaly.deviation_percent)})"
        if en
        else f"{when} — {kind}: {_rub(anomaly.actual, lang)} при обычных "
        f"{_rub(anomaly.expected_low, lang)}–{_rub(anomaly.expected_high, lang)} "
        f"({_signed_percent(anomaly.deviation_percent)})"
    )
    drivers = [d for d in anomaly.drivers if (d.delta.amount > 0) == spike and d.delta.amount != 0][
        :2
    ]
    if drivers:
        names = ", ".join(
            f"{_clean(d.connection_name, 40)} ({'+' if spike else '−'}"
            f"{_rub(abs(d.delta.amount), lang, 'day')})"
            for d in drivers
        )
        text += f"; driven by {names}" if en else f"; причина — {names}"
    if spike and anomaly.excess_total.amount > 0:
        extra = _rub_total(anomaly.excess_total, lang, "за весь всплеск", "over the whole spike")
        text += f"; extra spend {extra}" if en else f"; перерасход {extra}"
    return text + "."


def _answer_anomalies(answer: _Answer) -> list[str]:
    result = answer.get("get_anomalies")
    lang = answer.lang
    en = lang == "en"
    if result is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    period = f"{result.time_range_days} days" if en else days(result.time_range_days)
    if result.note or result.points_analysed < 7:
        analysed = _plural(result.points_analysed, ("день", "дня", "дней"), ("day", "days"), lang)
        lines = [
            f"Too little data to look for anomalies: {analysed} of cost history, at least 7 needed."
            if en
            else f"Для поиска аномалий мало данных: история расходов за {analysed}, нужно не "
            "меньше 7."
        ]
        return [*lines, *answer.no_data_lines(), answer.t(NEXT_STEPS["trends"])]
    anomalies = result.anomalies
    if not anomalies:
        lines = [
            f"No anomalies over {period}: the daily cost stayed within its usual range."
            if en
            else f"За {period} аномалий нет: дневной расход держался в обычном диапазоне."
        ]
        return [*lines, *answer.no_data_lines(), answer.t(NEXT_STEPS["trends"])]
    count = _plural(
        len(anomalies), ("аномалия", "аномалии", "аномалий"), ("anomaly", "anomalies"), lang
    )
    latest = anomalies[0]
    spike = latest.direction == "spike"
    kind = ("a spike" if spike else "a drop") if en else ("всплеск" if spike else "спад")
    latest_text = (
        f"{kind} on {_date(latest.peak_date, lang)}: {_bold(_rub(latest.actual, lang))} against "
        f"a usual {_rub(latest.expected, lang)}"
        if en
        else f"{kind} {_date(latest.peak_date, lang)}: {_bold(_rub(latest.actual, lang))} при "
        f"обычных {_rub(latest.expected, lang)}"
    )
    lead = (
        f"Over {period}: {count}; the latest is {latest_text}."
        if en
        else f"За {period} — {count}; последняя — {latest_text}."
    )
    lines = [lead, *_numbered(_anomaly_line(a, lang) for a in anomalies)]
    if result.truncated:
        lines.append("Only the most recent ones are listed." if en else "Показаны самые свежие.")
    if not en:
        lines.append(f"Метод: {_clean(result.method, TEXT_MAX_CHARS)}")
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["anomalies"]))
    return lines


def _answer_top(answer: _Answer) -> list[str]:
    result = answer.get("summarize_top_recommendations")
    lang = answer.lang
    en = lang == "en"
    if result is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    if not result.recommendations:
        lines = [
            "There are no pending recommendations: nothing to save on right now."
            if en
            else "Рекомендаций в ожидании нет: экономить сейчас не на чем."
        ]
    else:
        first = result.recommendations[0]
        count = _plural(
            result.count,
            ("рекомендация", "рекомендации", "рекомендаций"),
            ("recommendation", "recommendations"),
            lang,
        )
        total = _bold(_rub(result.total_savings, lang))
        yearly = _rub(result.total_savings_yearly, lang)
        name = _bold(_clean(first.resource_name or first.title or f"#{first.id}"))
        biggest = f"{name}: {_bold(_rub(first.savings, lang))}" if first.savings else name
        lead = (
            f"The most to save is on {biggest}. In total you have {count} worth {total} ({yearly})."
            if en
            else f"Больше всего можно сэкономить на {biggest}. Всего у вас {count} на {total} "
            f"({yearly})."
        )
        items = []
        for item in result.recommendations:
            kind = _label(RECOMMENDATION_TYPES, item.recommendation_type, lang) or _clean(
                item.recommendation_type, 40
            )
            if not en and item.title:
                kind = _clean(item.title, 120)
            where = _joined(
                [_resource_type(item.resource_type, lang), _provider(item.provider_type)]
            )
            head = _bold(_clean(item.resource_name or f"#{item.id}"))
            head += f" ({where})" if where else ""
            saving = f" — {_rub(item.savings, lang)}" if item.savings else ""
            items.append(f"{head}{saving}: {kind} (#{item.id}).")
        lines = [lead, *_numbered(items)]
    if answer.plan.asked in ("explain", "alternatives", "risks", "plan"):
        lines.append(answer.t(ELSEWHERE_ANALYTICS))
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["top"]))
    return lines


def _answer_providers(answer: _Answer) -> list[str]:
    result = answer.get("get_provider_breakdown")
    lang = answer.lang
    en = lang == "en"
    if result is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    if not result.providers or result.total_monthly_cost is None:
        lines = [
            "There is no successful sync yet, so costs by provider are unknown."
            if en
            else "Успешных синхронизаций нет, поэтому расходы по провайдерам неизвестны."
        ]
        return [*lines, *answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    first = result.providers[0]
    date = _date(result.cost_date, lang)
    share = f", {_percent(first.share_percent)}" if first.share_percent is not None else ""
    total = (
        f"{_bold(_rub(result.total_monthly_cost, lang))} ({_rub(result.total_daily_cost, lang)})"
    )
    lead = (
        f"The most goes to {_bold(_clean(first.connection_name))}: "
        f"{_bold(_rub(first.monthly_cost, lang))}{share} of {total}"
        + (f" as of {date}." if date else ".")
        if en
        else f"Больше всего уходит на {_bold(_clean(first.connection_name))}: "
        f"{_bold(_rub(first.monthly_cost, lang))}{share} из {total}"
        + (f" на {date}." if date else ".")
    )
    items = []
    for provider in result.providers:
        kind = _provider(provider.provider_type)
        head = _clean(provider.connection_name) + (f" ({kind})" if kind else "")
        part = f", {_percent(provider.share_percent)}" if provider.share_percent is not None else ""
        items.append(
            f"{head} — {_rub(provider.monthly_cost, lang)} "
            f"({_rub(provider.daily_cost, lang)}){part}."
        )
    lines = [lead, *_numbered(items)]
    if result.partial_sync:
        lines.append(
            "The latest sync was partial: some providers are missing."
            if en
            else "Последняя синхронизация частичная: учтены не все провайдеры."
        )
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["providers"]))
    return lines


def _answer_services(answer: _Answer) -> list[str]:
    result = answer.get("get_service_breakdown")
    lang = answer.lang
    en = lang == "en"
    if result is None:
        return [*answer.no_data_lines(), answer.t(NO_DATA_NEXT)]
    if not result.services:
        lines = [
            "You have no active resources, so there are no costs by service."
            if en
            else "Активных ресурсов нет, поэтому расходов по сервисам тоже нет."
        ]
        return [*lines, *answer.no_data_lines(), answer.t(NEXT_STEPS["services"])]
    first = result.services[0]
    share = f", {_percent(first.share_percent)}" if first.share_percent is not None else ""
    total = _bold(_rub(result.total_monthly_cost, lang))
    lead = (
        f"The most expensive service is {_bold(_clean(first.service_name))}: "
        f"{_bold(_rub(first.monthly_cost, lang))}{share} of {total}."
        if en
        else f"Дороже всего обходится {_bold(_clean(first.service_name))}: "
        f"{_bold(_rub(first.monthly_cost, lang))}{share} из {total}."
    )
    items = []
    for service in result.services:
        providers = _joined(_provider(p) for p in service.provider_types)
        head = _clean(service.service_name) + (f" ({providers})" if providers else "")
        count = _plural(
            service.resources, ("ресурс", "ресурса", "ресурсов"), ("resource", "resources"), lang
        )
        part = f", {_percent(service.share_percent)}" if service.share_percent is not None else ""
        text = f"{head} — {_rub(service.monthly_cost, lang)}, {count}{part}"
        top = ", ".join(
            f"{_clean(r.name, 40)} ({_rub(r.monthly_cost, lang)})"
            for r in service.top_resources[:2]
        )
        if top:
            text += f"; the largest: {top}" if en else f"; крупнее всего: {top}"
        items.append(text + ".")
    lines = [lead, *_numbered(items)]
    if result.other_services and result.other_monthly_cost is not None:
        others = _plural(
            result.other_services, ("сервис", "сервиса", "сервисов"), ("service", "services"), lang
        )
        lines.append(
            f"Another {others}: {_rub(result.other_monthly_cost, lang)}."
            if en
            else f"Ещё {others}: {_rub(result.other_monthly_cost, lang)}."
        )
    lines += answer.no_data_lines()
    lines.append(answer.t(NEXT_STEPS["services"]))
    return lines


ANSWERS: dict[str, Callable[[_Answer], list[str]]] = {
    "savings": _answer_savings,
    "alternatives": _answer_alternatives,
    "risks": _answer_risks,
    "plan": _answer_plan,
    "resource": _answer_resource,
    "connections": _answer_connections,
    "help": _answer_help,
    "trends": _answer_trends,
    "anomalies": _answer_anomalies,
    "top": _answer_top,
    "providers": _answer_providers,
    "services": _answer_services,
}


def offline_answer(
    *, plan: OfflinePlan, results: list[tuple[PlannedCall, BaseModel | ToolError]]
) -> str:
    """The answer text, from the tool results only (pure). Ends with the offline notice."""
    answer = _Answer(plan=plan, results=list(results))
    analytics = plan.scenario == SCENARIO_ANALYTICS
    if plan.intent in ANSWERS:
        lines = ANSWERS[plan.intent](answer)
    elif plan.intent == "explain":
        lines = _answer_explain(answer, with_help=False)
    elif analytics:
        lines = _answer_overview(answer, with_help=True)
    elif not plan.recommendation_id:
        lines = _answer_help(answer)
    else:
        lines = _answer_explain(answer, with_help=True)
    notice = OFFLINE_NOTICE_EN if answer.lang == "en" else OFFLINE_NOTICE_RU
    return "\n".join(line for line in lines if line) + "\n\n" + notice
