"""The chat assistant without a language model: keyword intents, the same tools, fixed wording.

When no LLM is configured the engine still answers:

1. `offline_plan` reads the question (Russian or English; any case, ё or е, punctuation, light
   typos), picks an intent and the read-only tool calls that answer it;
2. the engine runs them through `tools.registry.tool_run` as the connected user (with the
   usual tool_call/tool_result frames and audit rows);
3. optionally it runs `offline_followup`: calls whose arguments come from the first results
   (calculate_savings needs the recommendation's monthly costs, get_resource its resource id);
4. it streams the text of `offline_answer`.

All three functions are pure: no database and no user. A plan names tools and arguments only,
so it cannot reach another tenant's rows; every figure in an answer is read from a tool
result, and a ToolError becomes a plain "no data" sentence, never a number. The wording lives
in chat.offline_wording.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from chat import offline_wording as wording
from chat.offline_wording import OFFLINE_NOTICE_EN, OFFLINE_NOTICE_RU
from ru_format import plural, rub, rub_period
from tools.base import ToolError

__all__ = [
    "OFFLINE_NOTICE_EN",
    "OFFLINE_NOTICE_RU",
    "OfflinePlan",
    "PlannedCall",
    "offline_answer",
    "offline_followup",
    "offline_plan",
]

SavingsPeriod = Literal["month", "quarter", "year"]
Results = list[tuple["PlannedCall", BaseModel | ToolError]]

SCENARIO_RECOMMENDATION = "recommendation"
SCENARIO_ANALYTICS = "analytics"

ALTERNATIVES_LIMIT = 5
TOP_LIMIT = 5
SERVICES_TOP_N = 5
TRENDS_RANGE = (1, 365)
ANOMALIES_RANGE = (7, 180)
ANOMALIES_MIN_DAYS = 7
NAME_MAX_CHARS = 80
TEXT_MAX_CHARS = 300
# A driver of an anomaly is named when it moved at least this share of the day's deviation.
DRIVER_MIN_SHARE = 0.2


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
    # The period a savings question asks about; offline_followup gives it to calculate_savings.
    period: SavingsPeriod = "month"
    scenario: str = SCENARIO_RECOMMENDATION
    recommendation_id: int | None = None


# --- recognising the question -----------------------------------------------------------------
#
# A pattern is one or more word stems; a stem matches a word that starts with it (a stem of
# TYPO_MIN_STEM letters or more also matches with one letter wrong, missing or extra), a stem
# ending in "=" matches only that whole word. The stems of a pattern match consecutive words,
# but filler words ("мне", "это", "i") may sit between them. Each raw intent sums the weights
# of its matching patterns; the scenario folds raw intents into its own (INTENT_MAPS: the
# closest tool of this scenario) and the highest sum wins, ties going to the earlier intent
# in PRIORITY.

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    """The text as lower-case words, ё read as е, punctuation dropped."""
    return _WORD.findall((text or "").lower().replace("ё", "е"))


TYPO_MIN_STEM = 6
FILLERS = frozenset(
    words("мне мы я нам бы ли же это все вообще можно лучше теперь тут там i me we it the a to")
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

# Raw intent → the intent this scenario answers it with, when that is another one.
INTENT_MAPS: dict[str, dict[str, str]] = {
    SCENARIO_RECOMMENDATION: {
        "cost": "resource",
        "trends": "resource",
        "anomalies": "resource",
        "services": "resource",
        "top": "savings",
        "providers": "alternatives",
        "provider_name": "alternatives",
    },
    SCENARIO_ANALYTICS: {
        "explain": "top",
        "savings": "top",
        "alternatives": "top",
        "risks": "top",
        "plan": "top",
        "resource": "services",
        "cost": "trends",
        "provider_name": "providers",
    },
}
# Raw intents that only lend weight: never the topic of a question on their own.
PSEUDO_INTENTS = frozenset({"cost", "provider_name"})
PRIORITY = tuple(
    words(
        "help plan risks savings alternatives anomalies providers services top trends "
        "connections resource explain overview"
    )
)

COMMON_EN = frozenset(
    words(
        "a an the is are was were be been am i me my we our you your it its this that these "
        "those what which who why how when where do does did can could will would should may "
        "might must have has had of to in on at for from by with about and or but not no yes "
        "if then than much many more most any some there here please thanks thank "
        "show give tell get need want know per each all last past over next month year day "
        "week hi hello hey"
    )
)
YEAR_WORDS = frozenset(
    words(
        "год года году годовая годовой годовую годовых годовые ежегодно ежегодная year years "
        "yearly annual annually annum"
    )
)
QUARTER_STEMS = ("квартал", "quarter")
RANGE_TRIGGERS = frozenset(
    words(
        "за последние последний последнюю последних последняя прошлый прошлые прошлую "
        "last past over"
    )
)
RANGE_SKIPPED = frozenset(words("the last past"))
# stem of the unit word → days; "полгода" before "год".
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

Pattern = tuple[tuple[str, bool], ...]


def _compile(table: dict[str, dict[float, tuple[str, ...]]]) -> list[tuple[str, float, Pattern]]:
    return [
        (intent, float(weight), tuple((s.rstrip("="), s.endswith("=")) for s in pattern.split()))
        for intent, groups in table.items()
        for weight, patterns in groups.items()
        for pattern in patterns
    ]


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


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _word_matches(word: str, stem: str, exact: bool) -> bool:
    if exact:
        return word == stem
    if word.startswith(stem):
        return True
    return len(stem) >= TYPO_MIN_STEM and any(
        _within_one_edit(word[:n], stem)
        for n in (len(stem) - 1, len(stem), len(stem) + 1)
        if n <= len(word)
    )


def _pattern_matches(tokens: list[str], stems: Pattern) -> bool:
    for start, token in enumerate(tokens):
        if not _word_matches(token, *stems[0]):
            continue
        position = start
        for stem, exact in stems[1:]:
            position += 1
            while (
                position < len(tokens)
                and tokens[position] in FILLERS
                and not _word_matches(tokens[position], stem, exact)
            ):
                position += 1
            if position >= len(tokens) or not _word_matches(tokens[position], stem, exact):
                break
        else:
            return True
    return False


def raw_scores(question: str) -> dict[str, float]:
    tokens = words(question)
    scores: dict[str, float] = {}
    for intent, weight, stems in PATTERNS:
        if _pattern_matches(tokens, stems):
            scores[intent] = scores.get(intent, 0.0) + weight
    return scores


def detect_language(question: str) -> str:
    """Russian unless the question has more English words than Russian ones."""
    tokens = words(question)
    russian = sum(1 for t in tokens if _CYRILLIC.search(t))
    english = sum(
        1 for t in tokens if _LATIN.fullmatch(t) and (t in COMMON_EN or t.startswith(EN_STEMS))
    )
    return "en" if english > russian else "ru"


def _rank(intent: str) -> int:
    return PRIORITY.index(intent) if intent in PRIORITY else len(PRIORITY)


def classify(*, scenario: str, question: str) -> tuple[str, str | None]:
    """(the intent the scenario answers with, what the question asked when that differs)."""
    mapping = INTENT_MAPS[scenario]
    raw = raw_scores(question)
    folded: dict[str, float] = {}
    for intent, score in raw.items():
        folded[mapping.get(intent, intent)] = folded.get(mapping.get(intent, intent), 0) + score
    if not folded:
        return "overview", None
    best = max(folded.values())
    intent = min((i for i, score in folded.items() if score == best), key=_rank)
    feeders = [i for i in raw if mapping.get(i, i) == intent]
    asked = max(feeders, key=lambda i: (raw[i], -_rank(i)))
    return intent, (None if asked == intent or asked in PSEUDO_INTENTS else asked)


def savings_period(question: str) -> SavingsPeriod:
    tokens = words(question)
    if any(t.startswith(QUARTER_STEMS) for t in tokens):
        return "quarter"
    if YEAR_WORDS & set(tokens) or "12 месяц" in " ".join(tokens):
        return "year"
    return "month"


def question_range_days(question: str) -> int | None:
    """ "за 7 дней", "последние 3 месяца", "last week", "over the past 90 days" → days."""
    tokens = words(question)
    for index, token in enumerate(tokens):
        if token not in RANGE_TRIGGERS:
            continue
        rest = [t for t in tokens[index + 1 : index + 5] if t not in RANGE_SKIPPED]
        count = 1
        if rest and rest[0].isdigit():
            count, rest = int(rest[0]), rest[1:]
        for stem, unit in RANGE_UNITS:
            if rest and rest[0].startswith(stem):
                return count * unit
    return None


def _context_range_days(context: dict | None) -> int | None:
    value = (context or {}).get("time_range_days")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _range_args(days: int | None, limits: tuple[int, int]) -> dict[str, Any]:
    if days is None:
        return {}
    return {"time_range_days": max(limits[0], min(limits[1], days))}


def _recommendation_calls(intent: str, recommendation_id: int | None) -> list[PlannedCall]:
    if intent == "connections":
        return [PlannedCall("get_user_context", {})]
    if intent == "help" or not recommendation_id:
        return []
    rec = {"recommendation_id": recommendation_id}
    first = PlannedCall("get_recommendation", rec)
    if intent == "alternatives":
        return [PlannedCall("list_top_alternatives", rec | {"limit": ALTERNATIVES_LIMIT})]
    if intent == "risks":
        return [first, PlannedCall("estimate_migration_effort", rec)]
    if intent == "plan":
        return [
            first,
            PlannedCall("estimate_migration_effort", rec),
            PlannedCall("generate_step_plan", rec),
        ]
    # explain, savings, resource, overview: the recommendation, then offline_followup.
    return [first]


def _analytics_calls(intent: str, days: int | None) -> list[PlannedCall]:
    trends = _range_args(days, TRENDS_RANGE)
    return {
        "overview": [PlannedCall("get_analytics_overview", trends)],
        "trends": [
            PlannedCall("get_cost_trends", trends),
            PlannedCall("get_analytics_overview", trends),
        ],
        "anomalies": [PlannedCall("get_anomalies", _range_args(days, ANOMALIES_RANGE))],
        "top": [PlannedCall("summarize_top_recommendations", {"limit": TOP_LIMIT})],
        "providers": [PlannedCall("get_provider_breakdown", {})],
        "services": [PlannedCall("get_service_breakdown", {"top_n": SERVICES_TOP_N})],
        "connections": [PlannedCall("get_user_context", {})],
        "help": [],
    }[intent]


def offline_plan(
    *, scenario: str, recommendation_id: int | None, context: dict, question: str
) -> OfflinePlan:
    """The intent of `question` and the tool calls that answer it (pure: no DB, no user)."""
    if scenario != SCENARIO_ANALYTICS:
        scenario = SCENARIO_RECOMMENDATION
    intent, asked = classify(scenario=scenario, question=question)
    if scenario == SCENARIO_ANALYTICS:
        days = question_range_days(question) or _context_range_days(context)
        calls = _analytics_calls(intent, days)
    else:
        calls = _recommendation_calls(intent, recommendation_id)
    return OfflinePlan(
        intent=intent,
        language=detect_language(question),
        calls=calls,
        asked=asked,
        period=savings_period(question),
        scenario=scenario,
        recommendation_id=recommendation_id,
    )


# --- the second round -------------------------------------------------------------------------


def offline_followup(*, plan: OfflinePlan, results: Results) -> list[PlannedCall]:
    """Calls whose arguments come from the first round's results (pure; may be empty).

    calculate_savings takes the recommendation's current and new monthly cost, get_resource and
    get_latest_snapshot its resource id: neither is known before get_recommendation has run.
    The engine runs these after plan.calls and passes every result to offline_answer. Without
    this round the answer is still true, built from get_recommendation's own figures.
    """
    done = {call.name for call, _ in results}
    rec = _found(results, "get_recommendation")
    if rec is None:
        return []
    calls = []
    if plan.intent in ("explain", "savings", "overview") and "calculate_savings" not in done:
        current, new = _amount(rec.current_monthly), _amount(rec.target_monthly)
        saving = _amount(rec.savings_monthly)
        if new is None and current is not None and saving is not None:
            # No target price (cleanup, rightsizing): the new cost is what remains.
            new = round(current - saving, 2)
        if current is not None and new is not None and new >= 0:
            arguments = {"current_monthly": current, "new_monthly": new, "period": plan.period}
            calls.append(PlannedCall("calculate_savings", arguments))
    if plan.intent == "resource" and rec.resource_id:
        for name in ("get_resource", "get_latest_snapshot"):
            if name not in done:
                calls.append(PlannedCall(name, {"resource_id": rec.resource_id}))
    return calls


# --- formatting ---------------------------------------------------------------------------------


def _found(results: Results, name: str) -> Any | None:
    """The first result of tool `name`; a ToolError (or anything but a Result) is no data."""
    for call, result in results:
        if call.name == name and isinstance(result, BaseModel):
            return result
    return None


def _amount(money: Any) -> float | None:
    return None if money is None else money.amount


def _clean(text: Any, limit: int = NAME_MAX_CHARS) -> str:
    """A value from the data, made safe for the client's markdown: one line, no asterisks."""
    text = " ".join(str(text).replace("*", "").replace("`", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bold(text: str) -> str:
    return f"**{text}**"


def _number(value: float) -> str:
    """3.2 → "3.2", 3.0 → "3" (the project's texts write decimals with a dot)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent(value: float) -> str:
    return f"{_number(abs(value))}%"


def _signed_percent(value: float) -> str:
    if value == 0:
        return "0%"
    return f"{'+' if value > 0 else '−'}{_number(abs(value))}%"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    # "Ресурс создан" → "ресурс создан", but "DNS …" stays.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _joined(parts: Iterable[str | None], sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def _numbered(items: Iterable[str | None]) -> list[str]:
    return [f"{n}. {item}" for n, item in enumerate((i for i in items if i), start=1)]


def _has_money_text(text: str) -> bool:
    # Rule texts write amounts as "1450.0 ₽" without a period: never quoted as they are.
    return "₽" in text or "руб" in text.lower()


@dataclass
class _Answer:
    plan: OfflinePlan
    results: Results

    @property
    def en(self) -> bool:
        return self.plan.language == "en"

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.en else pair[0]

    def say(self, key: str, **values: Any) -> str:
        return self.pick(wording.WORDS[key]).format(**values)

    def get(self, name: str) -> Any | None:
        return _found(self.results, name)

    # figures

    def rub(self, money: Any, period: str | None = None) -> str:
        """A Money (or an amount and a period) as "1,450 ₽/мес" / "1,450 ₽/month"."""
        amount = money if isinstance(money, int | float) else money.amount
        period = period or money.period
        if not self.en and period in ("month", "day", "year"):
            return rub_period(amount, period)
        return f"{rub(amount)} {self.pick(wording.SUFFIXES[period])}"

    def rub_total(self, money: Any, covers: str) -> str:
        """A one-off amount said with what it covers: "14,124 ₽ за это время"."""
        return f"{rub(money.amount)} ₽ {self.say(covers)}"

    def count(self, n: int, noun: str) -> str:
        russian, english = wording.NOUNS[noun]
        if self.en:
            return f"{n} {english[0] if n == 1 else english[1]}"
        return f"{n} {plural(n, *russian)}"

    def date(self, text: str | None, *, time: bool = False) -> str | None:
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return _clean(text, 30)
        month = self.pick(wording.MONTHS).split()[moment.month - 1]
        day = f"{moment.day} {month} {moment.year}"
        return f"{day}, {moment:%H:%M}" if time else day

    def label(self, table: dict[str, tuple[str, str]], value: str | None) -> str | None:
        if not value:
            return None
        pair = table.get(value.lower())
        return self.pick(pair) if pair else _clean(value, 40)

    def provider(self, provider_type: str | None) -> str | None:
        if not provider_type:
            return None
        return wording.PROVIDER_NAMES.get(provider_type.lower(), _clean(provider_type, 40))

    def tool_text(self, text: str) -> str:
        """A Russian text from a tool (a step, a reason), in English for an English answer."""
        if self.en:
            if text in wording.EN_TOOL_TEXTS:
                text = wording.EN_TOOL_TEXTS[text]
            for pattern, template in wording.EN_TOOL_PATTERNS:
                if match := re.match(pattern, text):
                    text = template.format(*match.groups())
        return _clean(text, TEXT_MAX_CHARS)

    # shared lines

    def missing(self) -> list[str]:
        """ "No data" sentences for the planned or run tools that gave no result."""
        got = {call.name for call, result in self.results if isinstance(result, BaseModel)}
        names = [c.name for c in self.plan.calls] + [c.name for c, _ in self.results]
        return [
            self.say(
                "no_data", topic=self.pick(wording.TOOL_TOPICS.get(name, wording.UNKNOWN_TOPIC))
            )
            for name in dict.fromkeys(names)
            if name not in got
        ]

    def no_data(self) -> list[str]:
        return [*self.missing(), self.pick(wording.NEXT_STEPS_NO_DATA)]

    def finish(self, lead: str, details: Iterable[str | None], *tail: str | None) -> list[str]:
        """Lead, numbered details, what was missing, then the extra lines and the next step."""
        return [lead, *_numbered(details), *self.missing(), *(t for t in tail if t)]

    def next_step(self, intent: str) -> str:
        return self.pick(wording.NEXT_STEPS[intent])

    def can_ask(self) -> str:
        questions = self.pick(wording.HELP[self.plan.scenario])
        quoted = "; ".join(self.say("quoted", text=q) for q in questions)
        return self.say("can_ask", questions=quoted)


# --- one recommendation -----------------------------------------------------------------------


def _subject(a: _Answer, rec: Any) -> str:
    """ "**office** (сервер, Yandex Cloud)"."""
    kind = a.label(wording.RESOURCE_TYPES, rec.resource_type)
    where = _joined([kind, a.provider(rec.provider_type)])
    name = _bold(_clean(rec.resource_name)) if rec.resource_name else None
    if name:
        return f"{name} ({where})" if where else name
    return where or a.pick(wording.WORDS["alt_resource"])


def _kind(a: _Answer, rec: Any) -> str:
    pair = wording.RECOMMENDATION_TYPES.get(rec.type) or wording.FAMILY_TYPES.get(rec.family)
    return a.pick(pair) if pair else _clean(rec.type, 60)


def _savings(a: _Answer, rec: Any) -> str | None:
    if rec.savings_monthly is None:
        return None
    monthly = _bold(a.rub(rec.savings_monthly))
    return f"{monthly} ({a.rub(rec.savings_yearly)})" if rec.savings_yearly else monthly


def _size(a: _Answer, size_gb: float | None) -> str | None:
    return a.say("size_gb", size=_number(size_gb)) if size_gb else None


def _why(a: _Answer, rec: Any) -> str | None:
    """Why the rule fired, from the structured figures; a rule text only when it has no ₽."""
    if rec.family == "price":
        nodes = (
            a.say("why_nodes", nodes=a.count(rec.total_nodes, "node")) if rec.total_nodes else None
        )
        target = _joined(
            [
                a.provider(rec.target_provider),
                _clean(rec.target_region, 30) if rec.target_region else None,
                _clean(rec.target_sku, 60) if rec.target_sku else None,
                nodes,
            ]
        )
        return a.say("why_target", target=target) if target else None
    if rec.family == "rightsizing" and rec.cpu_avg_percent is not None:
        text = a.say("why_cpu", avg=_percent(rec.cpu_avg_percent))
        if rec.cpu_p95_percent is not None:
            text += a.say("why_cpu_peak", peak=_percent(rec.cpu_p95_percent))
        if rec.current_vcpu:
            text += a.say("why_cpu_vcpu", vcpu=rec.current_vcpu)
        return text + "."
    if rec.family == "stopped":
        return a.say("why_stopped")
    if rec.family == "cleanup" and rec.age_days is not None:
        age = a.count(rec.age_days, "day")
        kind = (rec.resource_type or "").lower()
        if rec.ip_address or kind in ("reserved_ip", "ip", "floating_ip"):
            ip = f" {_clean(rec.ip_address, 45)}" if rec.ip_address else ""
            text = a.say("why_ip", ip=ip, age=age)
        elif "snapshot" in kind:
            size = _size(a, rec.size_gb)
            text = a.say("why_snapshot", age=age, size=f", {size}" if size else "")
        else:
            size = _size(a, rec.size_gb)
            text = a.say("why_unused", age=age, size=f" ({size})" if size else "")
        if rec.already_spent is not None and rec.already_spent.amount > 0:
            text += a.say("why_spent", spent=a.rub_total(rec.already_spent, "spent_over"))
        return text + "."
    if a.en:
        return None
    for text in (rec.explanation, rec.description):
        if text and not _has_money_text(text):
            return _clean(text, TEXT_MAX_CHARS)
    return None


def _costs(a: _Answer, rec: Any, calc: Any | None) -> str | None:
    current = calc.current if calc else rec.current_monthly
    new = calc.new if calc else rec.target_monthly
    if current is None:
        return None
    if new is None:
        return a.say("costs_now", current=a.rub(current))
    share = f" ({_signed_percent(-calc.savings_percent)})" if calc and calc.savings_percent else ""
    return a.say("costs_now_new", current=a.rub(current), new=a.rub(new), share=share)


def _status(a: _Answer, rec: Any) -> str | None:
    parts = [
        a.say("status", value=a.label(wording.STATUSES, rec.status)) if rec.status else None,
        a.say("severity", value=a.label(wording.SEVERITIES, rec.severity))
        if rec.severity
        else None,
    ]
    if rec.confidence is not None and 0 < rec.confidence <= 1:
        parts.append(a.say("confidence", value=_percent(rec.confidence * 100)))
    text = _joined(parts)
    return _sentence(text) + "." if text else None


def _answer_explain(a: _Answer) -> list[str]:
    """What the recommendation is; an unknown question gets this and what can be asked."""
    unknown = a.plan.intent == "overview"
    rec = a.get("get_recommendation")
    if not a.plan.recommendation_id:
        return [a.say("no_recommendation"), a.can_ask()]
    if rec is None:
        return [*a.missing(), a.can_ask() if unknown else a.pick(wording.NEXT_STEPS_NO_DATA)]
    kind, subject = _kind(a, rec), _subject(a, rec)
    title = _bold(_clean(rec.title, 120)) if rec.title else None
    lead = a.say(
        "rec_lead_titled" if title else "rec_lead",
        id=rec.id,
        title=title,
        kind=kind,
        subject=subject,
    )
    savings = _savings(a, rec)
    if savings:
        lead += a.say("rec_saves", savings=savings)
    details = [_costs(a, rec, a.get("calculate_savings")), _why(a, rec), _status(a, rec)]
    # Alternatives exist only for a move; for the rest the next question is how to do it.
    next_step = a.next_step("explain" if rec.family == "price" else "explain_change")
    return a.finish(lead, details, a.can_ask() if unknown else next_step)


def _answer_savings(a: _Answer) -> list[str]:
    rec, calc = a.get("get_recommendation"), a.get("calculate_savings")
    if rec is None:
        return a.no_data()
    monthly = calc.savings_monthly if calc else rec.savings_monthly
    yearly = calc.savings_yearly if calc else rec.savings_yearly
    if monthly is None:
        lead = a.say("savings_unknown")
    elif monthly.amount <= 0:
        lead = a.say("savings_negative", more=_bold(a.rub(abs(monthly.amount), "month")))
    else:
        month = _bold(a.rub(monthly))
        year = _bold(a.rub(yearly)) if yearly else None
        quarter = calc.savings_for_period if calc else None
        if a.plan.period == "quarter" and quarter and quarter.period == "quarter" and year:
            lead = a.say("savings_quarter", quarter=_bold(a.rub(quarter)), month=month, year=year)
        elif a.plan.period == "year" and year:
            lead = a.say("savings_year", year=year, month=month)
        else:
            lead = a.say("savings_month" if year else "savings_month_only", month=month, year=year)
    details = [
        _costs(a, rec, calc),
        a.say("savings_action", kind=_kind(a, rec), subject=_subject(a, rec)),
        _why(a, rec),
    ]
    elsewhere = a.say("elsewhere_recommendation") if a.plan.asked == "top" else None
    return a.finish(lead, details, elsewhere, a.next_step("savings"))


def _specs(a: _Answer, vcpus: int | None, ram_gb: float | None, storage_gb: float | None) -> str:
    return _joined(
        [
            f"{vcpus} vCPU" if vcpus else None,
            a.say("spec_ram", size=_number(ram_gb)) if ram_gb else None,
            a.say("spec_disk", size=_number(storage_gb)) if storage_gb else None,
        ]
    )


def _alternative(a: _Answer, alt: Any) -> str:
    where = _joined(_clean(v, 60) for v in (alt.region, alt.sku, alt.config) if v)
    text = _bold(a.provider(alt.provider) or "—") + (f", {where}" if where else "")
    text += f" — {a.rub(alt.monthly_price)}"
    if alt.savings is not None and alt.savings.amount > 0:
        share = f", {_percent(alt.savings_percent)}" if alt.savings_percent else ""
        text += a.say("alt_saves", saving=a.rub(alt.savings), share=share)
    elif alt.savings is not None and alt.savings.amount < 0:
        text += a.say("alt_dearer", more=a.rub(abs(alt.savings.amount), "month"))
    elif alt.savings is not None:
        text += a.say("alt_same")
    if alt.parity is not None and alt.parity.score is not None:
        text += a.say("alt_parity", parity=_percent(alt.parity.score * 100))
    return text + "."


def _answer_alternatives(a: _Answer) -> list[str]:
    result = a.get("list_top_alternatives")
    if result is None:
        return a.no_data()
    about = _joined(
        [
            a.rub(result.current_monthly) if result.current_monthly else None,
            a.provider(result.current_provider),
            _specs(a, result.vcpus, result.ram_gb, result.storage_gb),
        ]
    )
    name = _bold(_clean(result.resource_name)) if result.resource_name else a.say("alt_resource")
    subject = f"{name} ({about})" if about else name
    offers = result.alternatives
    cheaper = [o for o in offers if o.savings is not None and o.savings.amount > 0]
    count = a.count(len(offers), "option")
    if not offers:
        lead = a.say("alt_none", subject=subject)
    elif cheaper:
        best = max(cheaper, key=lambda o: o.savings.amount)
        lead = a.say(
            "alt_best",
            subject=subject,
            count=count,
            provider=_bold(a.provider(best.provider) or "—"),
            price=_bold(a.rub(best.monthly_price)),
            saving=a.rub(best.savings),
        )
    else:
        lead = a.say("alt_none_cheaper", subject=subject, count=count)
    excluded = None
    if result.excluded_providers:
        names = ", ".join(a.provider(p) or p for p in result.excluded_providers)
        excluded = a.say("alt_excluded", providers=names)
    note = None
    if not a.en and result.note and not _has_money_text(result.note):
        note = _clean(result.note, TEXT_MAX_CHARS)
    lines = [lead, *_numbered(_alternative(a, o) for o in offers)]
    return [*lines, *a.missing(), excluded, note, a.next_step("alternatives")]


def _effort(a: _Answer, effort: Any) -> str:
    level = a.label(wording.EFFORT_LEVELS, effort.level)
    score = a.say("effort_score", score=effort.score, level=level)
    if not effort.downtime_minutes:
        return a.say("effort_no_downtime", score=score)
    downtime = a.count(effort.downtime_minutes, "minute_genitive")
    return a.say("effort", score=score, downtime=downtime)


def _answer_risks(a: _Answer) -> list[str]:
    effort, rec = a.get("estimate_migration_effort"), a.get("get_recommendation")
    savings = _savings(a, rec) if rec is not None else None
    if effort is None:
        saving = a.say("risks_saving_only", savings=savings) if savings else None
        return [*a.missing(), saving, a.pick(wording.NEXT_STEPS_NO_DATA)]
    phrase = _sentence(_effort(a, effort))
    lead = a.say("risks_lead", effort=phrase, savings=savings) if savings else phrase + "."
    reasons = [
        a.tool_text(r.detail) + (f" (+{r.points})" if r.points > 0 else "") for r in effort.reasons
    ]
    caveats = [a.say("risks_caveat", text=a.tool_text(c)) for c in effort.caveats]
    lines = [lead, a.say("risks_heading"), *_numbered(reasons), *caveats]
    return [*lines, *a.missing(), a.next_step("risks")]


def _answer_plan(a: _Answer) -> list[str]:
    steps = a.get("generate_step_plan")
    if steps is None:
        return a.no_data()
    effort, rec = a.get("estimate_migration_effort"), a.get("get_recommendation")
    savings = _savings(a, rec) if rec is not None else None
    facts = _joined(
        [
            _effort(a, effort) if effort else None,
            a.say("plan_saving", savings=savings) if savings else None,
        ]
    )
    name = _bold(_clean(steps.resource_name)) if steps.resource_name else None
    lead = a.say(
        "plan_lead",
        name=a.say("plan_for", name=name) if name else "",
        count=a.count(len(steps.steps), "step"),
        facts=f"; {facts}" if facts else "",
    )
    items = [
        a.say(
            "plan_step",
            title=a.tool_text(step.title),
            risk=a.label(wording.STEP_RISKS, step.risk),
            check=_lower_first(a.tool_text(step.check)),
        )
        for step in steps.steps
    ]
    risky = ", ".join(str(s.order) for s in steps.steps if s.risk == "high")
    warning = a.say("plan_risky", steps=risky) if risky else None
    return [lead, *_numbered(items), warning, *a.missing(), a.next_step("plan")]


def _usage(usage: dict[str, str], key: str) -> float | None:
    try:
        value = float(usage[key])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _resource_lines(a: _Answer, resource: Any) -> tuple[str, list[str | None]]:
    status = a.say("res_status", status=_clean(resource.status, 30)) if resource.status else None
    where = _joined(
        [
            a.label(wording.RESOURCE_TYPES, resource.resource_type),
            a.provider(resource.provider_type),
            _clean(resource.region, 30) if resource.region else None,
            status,
        ]
    )
    lead = a.say(
        "res_lead",
        name=_bold(_clean(resource.name)),
        where=where,
        monthly=_bold(a.rub(resource.monthly_cost)),
        daily=a.rub(resource.daily_cost),
    )
    specs = resource.specs
    config = _specs(a, specs.vcpus, specs.ram_gb, specs.storage_gb)
    if config and specs.disk_type:
        config += f" ({_clean(specs.disk_type, 30)})"
    details: list[str | None] = [a.say("res_config", specs=config) if config else None]
    for key, peak_key, template, peak_template, fmt in (
        ("cpu_avg_usage", "cpu_max_usage", "res_cpu", "res_peak", _percent),
        ("memory_avg_usage", "memory_max_usage", "res_memory", "res_peak_mb", rub),
    ):
        average, peak = _usage(resource.usage, key), _usage(resource.usage, peak_key)
        if average is not None:
            text = a.say(template, avg=fmt(average))
            if peak is not None:
                text += a.say(peak_template, peak=fmt(peak))
            details.append(text + ".")
    return lead, details


def _snapshot_line(a: _Answer, snapshot: Any) -> str:
    when = a.date(snapshot.latest_complete_sync_at or snapshot.provider_last_sync, time=True)
    status = a.label(
        wording.SYNC_STATUSES,
        snapshot.latest_complete_sync_status or snapshot.provider_sync_status,
    )
    text = a.say(
        "sync_last", when=f" {when}" if when else "", status=f" ({status})" if status else ""
    )
    costs = [
        change
        for state in snapshot.states
        for change in state.changes
        if change.field == "cost" and change.previous_cost and change.current_cost
    ]
    if costs:
        before, after = costs[0].previous_cost, costs[0].current_cost
        text += a.say("sync_cost_changed", before=a.rub(before), after=a.rub(after))
    elif snapshot.states:
        n = len(snapshot.states)
        last = a.say("last_sync_one") if n == 1 else a.say("last_syncs", count=a.count(n, "sync"))
        changed = any(state.state_action != "unchanged" for state in snapshot.states)
        text += a.say("sync_changed" if changed else "sync_unchanged", last=last)
    return text + "."


def _answer_resource(a: _Answer) -> list[str]:
    resource, rec = a.get("get_resource"), a.get("get_recommendation")
    if resource is not None:
        lead, details = _resource_lines(a, resource)
    elif rec is not None:
        lead = a.say("res_from_rec", subject=_subject(a, rec))
        if rec.current_monthly is not None:
            lead += a.say("res_from_rec_cost", cost=_bold(a.rub(rec.current_monthly)))
        lead += "."
        details = [_why(a, rec)]
    else:
        return a.no_data()
    snapshot = a.get("get_latest_snapshot")
    if snapshot is not None:
        details.append(_snapshot_line(a, snapshot))
    elsewhere = None
    if a.plan.asked in ("trends", "anomalies", "providers", "services", "top"):
        elsewhere = a.say("elsewhere_recommendation")
    return a.finish(lead, details, elsewhere, a.next_step("resource"))


def _answer_connections(a: _Answer) -> list[str]:
    context = a.get("get_user_context")
    if context is None:
        return a.no_data()
    items = []
    for connection in context.connections:
        kind = a.provider(connection.provider_type)
        name = _bold(_clean(connection.connection_name)) + (f" ({kind})" if kind else "")
        when = a.date(connection.last_sync, time=True)
        state = _joined(
            [
                a.say("conn_active" if connection.is_active else "conn_inactive"),
                a.say("conn_synced", when=when) if when else a.say("conn_never"),
                a.label(wording.SYNC_STATUSES, connection.sync_status),
            ]
        )
        items.append(f"{name} — {state}.")
    if items:
        lead = a.say("conn_lead", count=a.count(len(items), "connection"))
    else:
        lead = a.say("conn_none")
    disabled = None
    if context.disabled_target_providers:
        names = ", ".join(a.provider(p) or p for p in context.disabled_target_providers)
        disabled = a.say("conn_disabled", providers=names)
    return [lead, *_numbered(items), disabled, *a.missing(), a.next_step("connections")]


def _answer_help(a: _Answer) -> list[str]:
    lines = [a.say("help_lead"), *_numbered(a.pick(wording.HELP[a.plan.scenario]))]
    if a.plan.scenario == SCENARIO_RECOMMENDATION and not a.plan.recommendation_id:
        lines.insert(0, a.say("no_recommendation"))
    return lines


# --- analytics --------------------------------------------------------------------------------


def _change(a: _Answer, value: float | None, key: str, **values: Any) -> str | None:
    if value is None:
        return None
    change = a.say("no_change") if value == 0 else _signed_percent(value)
    return a.say(key, change=change, **values)


def _overview(a: _Answer, overview: Any) -> tuple[str, list[str | None]]:
    if overview.monthly_cost is None:
        lead = a.say("ov_no_cost")
    else:
        date = a.date(overview.cost_date)
        changes = _joined(
            [
                _change(
                    a,
                    overview.change_over_range_percent,
                    "change_over",
                    period=a.count(overview.time_range_days, "day"),
                ),
                _change(a, overview.change_vs_previous_day_percent, "change_prev_day"),
            ],
            "; ",
        )
        lead = a.say(
            "ov_lead",
            monthly=_bold(a.rub(overview.monthly_cost)),
            daily=a.rub(overview.daily_cost),
            date=a.say("on_date", date=date) if date else "",
            changes=f"; {changes}" if changes else "",
        )
    details: list[str | None] = [a.count(overview.active_resources, "active_resource") + "."]
    if overview.pending_recommendations:
        details.append(
            a.say(
                "ov_pending",
                count=a.count(overview.pending_recommendations, "recommendation"),
                savings=_bold(a.rub(overview.pending_savings)),
                yearly=a.rub(overview.pending_savings_yearly),
            )
        )
    else:
        details.append(a.say("ov_no_pending"))
    if overview.last_sync_at:
        text = a.say("ov_sync", when=a.date(overview.last_sync_at, time=True))
        status = a.label(wording.SYNC_STATUSES, overview.last_sync_status)
        text += f": {status}" if status else ""
        if overview.providers_total:
            text += a.say(
                "ov_sync_providers",
                ok=overview.providers_successful or 0,
                total=overview.providers_total,
            )
        failed = [
            _clean(h.connection_name, 40) for h in overview.provider_health if h.status != "success"
        ]
        if failed:
            text += a.say("ov_sync_problems", names=", ".join(failed))
        details.append(text + ".")
    # The lead already says when costs are unknown.
    if (
        overview.note
        and overview.monthly_cost is not None
        and not a.en
        and not _has_money_text(overview.note)
    ):
        details.append(_clean(overview.note, TEXT_MAX_CHARS))
    return lead, details


def _answer_overview(a: _Answer) -> list[str]:
    """The KPIs; an unknown question gets them and what can be asked."""
    overview = a.get("get_analytics_overview")
    tail = a.can_ask() if a.plan.intent == "overview" else a.next_step("overview")
    if overview is None:
        return [*a.missing(), tail]
    return a.finish(*_overview(a, overview), tail)


def _answer_trends(a: _Answer) -> list[str]:
    trends, overview = a.get("get_cost_trends"), a.get("get_analytics_overview")
    if trends is None or trends.latest_daily_cost is None:
        if overview is not None:
            lead, details = _overview(a, overview)
            lines = [lead, *_numbered(details)]
        elif trends is not None:
            lines = [a.say("tr_no_data", period=a.count(trends.time_range_days, "day"))]
        else:
            lines = []
        return [*lines, *a.missing(), a.pick(wording.NEXT_STEPS_NO_DATA)]
    change = trends.change_over_range_percent
    key = "tr_flat" if not change else "tr_up" if change > 0 else "tr_down"
    lead = a.say(
        key,
        period=a.count(trends.time_range_days, "day"),
        change=_percent(change or 0),
        now=_bold(a.rub(trends.latest_daily_cost)),
        rate=_bold(a.rub(trends.latest_monthly_run_rate)),
    )
    details: list[str | None] = []
    if trends.average_daily_cost and trends.min_daily_cost and trends.max_daily_cost:
        high = a.rub(trends.max_daily_cost)
        peak = max(trends.points, key=lambda p: p.daily_cost, default=None)
        if trends.bucket_days == 1 and peak and peak.daily_cost == trends.max_daily_cost.amount:
            high += f" ({a.date(peak.date)})"
        details.append(
            a.say(
                "tr_range",
                avg=a.rub(trends.average_daily_cost),
                low=a.rub(trends.min_daily_cost),
                high=high,
            )
        )
    details.append(_change(a, trends.day_over_day_change_percent, "tr_day_over_day"))
    if trends.bucket_days > 1:
        details.append(a.say("tr_buckets", period=a.count(trends.bucket_days, "day")))
    if trends.partial_days:
        details.append(a.say("tr_partial", days=trends.partial_days))
    if overview is not None and overview.pending_recommendations:
        details.append(a.say("tr_pending", savings=_bold(a.rub(overview.pending_savings))))
    return a.finish(lead, details, a.next_step("trends"))


def _anomaly(a: _Answer, anomaly: Any) -> str:
    start, end = a.date(anomaly.date), a.date(anomaly.end_date)
    when = start if anomaly.days == 1 or start == end else f"{start} – {end}"
    if anomaly.days > 1:
        when += f" ({a.count(anomaly.days, 'day')})"
    spike = anomaly.direction == "spike"
    low = rub(anomaly.expected_low.amount)
    text = a.say(
        "an_line",
        when=when,
        kind=a.say("an_spike" if spike else "an_drop"),
        actual=a.rub(anomaly.actual),
        low=low,
        high=a.rub(anomaly.expected_high),
        deviation=_signed_percent(anomaly.deviation_percent),
    )
    moved = abs(anomaly.actual.amount - anomaly.expected.amount)
    drivers = [
        d
        for d in anomaly.drivers
        if (d.delta.amount > 0) == spike and abs(d.delta.amount) >= DRIVER_MIN_SHARE * moved
    ][:2]
    if drivers:
        names = ", ".join(
            f"{_clean(d.connection_name, 40)} ({'+' if spike else '−'}"
            f"{a.rub(abs(d.delta.amount), 'day')})"
            for d in drivers
        )
        text += a.say("an_drivers", names=names)
    if spike and anomaly.excess_total.amount > 0:
        text += a.say("an_excess", extra=a.rub_total(anomaly.excess_total, "an_excess_over"))
    return text + "."


def _answer_anomalies(a: _Answer) -> list[str]:
    result = a.get("get_anomalies")
    if result is None:
        return a.no_data()
    period = a.count(result.time_range_days, "day")
    if result.points_analysed < ANOMALIES_MIN_DAYS:
        lead = (
            a.say("an_few", period=a.count(result.points_analysed, "day"))
            if result.points_analysed
            else a.say("an_no_history")
        )
        return [lead, *a.missing(), a.next_step("anomalies_none")]
    coverage = ""
    if result.points_analysed < result.time_range_days:
        coverage = a.say("an_coverage", days=a.count(result.points_analysed, "day"))
    if not result.anomalies:
        lead = a.say("an_none", period=period, coverage=coverage)
        return [lead, *a.missing(), a.next_step("anomalies_none")]
    latest = result.anomalies[0]
    lead = a.say(
        "an_lead",
        period=period,
        coverage=coverage,
        count=a.count(len(result.anomalies), "anomaly"),
        kind=a.say("an_spike_lead" if latest.direction == "spike" else "an_drop_lead"),
        date=a.date(latest.peak_date),
        actual=_bold(a.rub(latest.actual)),
        expected=a.rub(latest.expected),
    )
    truncated = a.say("an_truncated") if result.truncated else None
    method = a.say("an_method", method=_lower_first(_clean(result.method, TEXT_MAX_CHARS)))
    details = [_anomaly(a, anomaly) for anomaly in result.anomalies]
    return a.finish(lead, details, truncated, method, a.next_step("anomalies"))


def _answer_top(a: _Answer) -> list[str]:
    result = a.get("summarize_top_recommendations")
    if result is None:
        return a.no_data()
    elsewhere = None
    if a.plan.asked in ("explain", "alternatives", "risks", "plan"):
        elsewhere = a.say("elsewhere_analytics")
    if not result.recommendations:
        return [a.say("top_none"), elsewhere, *a.missing(), a.next_step("top")]
    first = result.recommendations[0]
    biggest = _bold(_clean(first.resource_name or first.title or f"#{first.id}"))
    if first.savings:
        biggest += f": {_bold(a.rub(first.savings))}"
    lead = a.say(
        "top_lead",
        biggest=biggest,
        count=a.count(result.count, "recommendation"),
        total=_bold(a.rub(result.total_savings)),
        yearly=a.rub(result.total_savings_yearly),
    )
    items = []
    for item in result.recommendations:
        where = _joined(
            [a.label(wording.RESOURCE_TYPES, item.resource_type), a.provider(item.provider_type)]
        )
        head = _bold(_clean(item.resource_name or f"#{item.id}")) + (f" ({where})" if where else "")
        saving = f" — {a.rub(item.savings)}" if item.savings else ""
        what = (
            _clean(item.title, 120)
            if item.title and not a.en
            else a.label(wording.RECOMMENDATION_TYPES, item.recommendation_type)
        )
        items.append(f"{head}{saving}: {what} (#{item.id}).")
    return a.finish(lead, items, elsewhere, a.next_step("top"))


def _share(value: float | None) -> str:
    return f", {_percent(value)}" if value is not None else ""


def _answer_providers(a: _Answer) -> list[str]:
    result = a.get("get_provider_breakdown")
    if result is None:
        return a.no_data()
    if not result.providers or result.total_monthly_cost is None:
        return [a.say("pr_none"), *a.missing(), a.pick(wording.NEXT_STEPS_NO_DATA)]
    first = result.providers[0]
    date = a.date(result.cost_date)
    lead = a.say(
        "pr_lead",
        name=_bold(_clean(first.connection_name)),
        monthly=_bold(a.rub(first.monthly_cost)),
        share=_share(first.share_percent),
        total=f"{_bold(a.rub(result.total_monthly_cost))} ({a.rub(result.total_daily_cost)})",
        date=a.say("as_of", date=date) if date else "",
    )
    items = []
    for provider in result.providers:
        kind = a.provider(provider.provider_type)
        name = _clean(provider.connection_name) + (f" ({kind})" if kind else "")
        items.append(
            f"{name} — {a.rub(provider.monthly_cost)} ({a.rub(provider.daily_cost)})"
            f"{_share(provider.share_percent)}."
        )
    partial = a.say("pr_partial") if result.partial_sync else None
    return a.finish(lead, items, partial, a.next_step("providers"))


def _answer_services(a: _Answer) -> list[str]:
    result = a.get("get_service_breakdown")
    if result is None:
        return a.no_data()
    if not result.services:
        return [a.say("sv_none"), *a.missing(), a.next_step("services")]
    first = result.services[0]
    lead = a.say(
        "sv_lead",
        name=_bold(_clean(first.service_name)),
        monthly=_bold(a.rub(first.monthly_cost)),
        share=_share(first.share_percent),
        total=_bold(a.rub(result.total_monthly_cost)),
    )
    items = []
    for service in result.services:
        providers = _joined(a.provider(p) for p in service.provider_types)
        text = _clean(service.service_name) + (f" ({providers})" if providers else "")
        text += f" — {a.rub(service.monthly_cost)}, {a.count(service.resources, 'resource')}"
        text += _share(service.share_percent)
        largest = ", ".join(
            f"{_clean(r.name, 40)} ({a.rub(r.monthly_cost)})" for r in service.top_resources[:2]
        )
        if largest:
            text += a.say("sv_largest", items=largest)
        items.append(text + ".")
    other = None
    if result.other_services and result.other_monthly_cost is not None:
        other = a.say(
            "sv_other",
            count=a.count(result.other_services, "service"),
            cost=a.rub(result.other_monthly_cost),
        )
    return a.finish(lead, items, other, a.next_step("services"))


ANSWERS: dict[str, Callable[[_Answer], list[str]]] = {
    "explain": _answer_explain,
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


def offline_answer(*, plan: OfflinePlan, results: Results) -> str:
    """The answer, from the tool results only (pure): lead, details, next step, the notice."""
    answer = _Answer(plan=plan, results=list(results))
    if plan.intent == "overview":
        compose = _answer_overview if plan.scenario == SCENARIO_ANALYTICS else _answer_explain
    else:
        compose = ANSWERS[plan.intent]
    notice = OFFLINE_NOTICE_EN if answer.en else OFFLINE_NOTICE_RU
    return "\n".join(line for line in compose(answer) if line) + "\n\n" + notice
