"""Recognising a question: which intent it asks about, in which language, over which period.

A pattern is one or more word stems; a stem matches a word that starts with it (a stem of
TYPO_MIN_STEM letters or more also matches with one letter wrong, missing or extra), a stem
ending in "=" matches only that whole word. The stems of a pattern match consecutive words,
but filler words ("мне", "это", "i") may sit between them. Each raw intent sums the weights
of its matching patterns; the scenario folds raw intents into its own (INTENT_MAPS: the
closest tool of this scenario) and the highest sum wins, ties going to the earlier intent
in PRIORITY.
"""

from __future__ import annotations

import re
from typing import Literal

SavingsPeriod = Literal["month", "quarter", "year"]

SCENARIO_RECOMMENDATION = "recommendation"
SCENARIO_ANALYTICS = "analytics"

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
