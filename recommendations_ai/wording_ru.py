"""Every word of the deterministic recommendation texts (recommendations_ai.templates_ru).

Wording is data: a change in tone is a change here, not in the code that picks the figures.
Each constant is a format string, or a table of them, filled by the renderer.
"""

from __future__ import annotations

# Price comparison, server or VM at another provider (the doc's format, verbatim).
PRICE_SHORT = "{provider} предлагает аналог за {target} вместо текущих {current}"
PRICE_SHORT_NO_CURRENT = "{provider} предлагает аналог за {target}"
PRICE_SHORT_NO_PROVIDER = "Есть аналог за {target} вместо текущих {current}"
PRICE_SHORT_NO_TARGET = "Экономия {savings} при переносе {noun} в {provider}"
PRICE_SHORT_BARE = "{provider} предлагает более дешёвый аналог"
PRICE_LEAD = "Экономия {savings} при переносе {noun} {name} в {provider}"
PRICE_LEAD_NO_SAVINGS = "{object} {name} можно перенести в {provider}"
PRICE_LEAD_NO_PROVIDER = "Экономия {savings} при переносе {noun} {name} к другому провайдеру"
PRICE_LEAD_BARE = "{object} {name} можно перенести к другому провайдеру"
PRICE_CONFIG = "Схожая конфигурация ({specs}) там стоит {target}"
PRICE_CONFIG_NO_SPECS = "Сопоставимая конфигурация там стоит {target}"

# Price comparison within the same provider: a cheaper plan, not a move.
SAME_SHORT = "Более дешёвый тариф за {target} вместо текущих {current}"
SAME_SHORT_NO_CURRENT = "Более дешёвый тариф за {target}"
SAME_SHORT_NO_TARGET = "Экономия {savings} при переходе на более дешёвый тариф"
SAME_SHORT_BARE = "Есть более дешёвый тариф с похожей конфигурацией"
SAME_LEAD = "Экономия {savings} при переводе {noun} {name} на более дешёвый тариф{at}"
SAME_LEAD_NO_SAVINGS = "{object} {name} можно перевести на более дешёвый тариф{at}"
SAME_AT_PROVIDER = " в {provider}"
SAME_CONFIG = "Схожая конфигурация ({specs}) на этом тарифе стоит {target}"
SAME_CONFIG_NO_SPECS = "Сопоставимая конфигурация на этом тарифе стоит {target}"

# Managed clusters: the same price format, the configuration is the cluster's.
CLUSTER_CONFIG = "Сопоставимый кластер ({parts}) там стоит {target}"
CLUSTER_CONFIG_NO_PARTS = "Сопоставимый кластер там стоит {target}"
CLUSTER_NODES = ("узел", "узла", "узлов")
CLUSTER_BROKERS = ("брокер", "брокера", "брокеров")
CLUSTER_COUNT_WITH_CONFIG = "{count} по {config}"

# Rightsizing: a smaller configuration at the same provider; there is no target provider.
RIGHTSIZING_SHORT = "Экономия {savings} при уменьшении {underused} {noun}"
RIGHTSIZING_SHORT_NO_SAVINGS = "{underused} {noun_acc} можно уменьшить"
RIGHTSIZING_LEAD = "Экономия {savings} при уменьшении {noun} {name}{load}."
RIGHTSIZING_LEAD_NO_SAVINGS = "{object} {name} можно уменьшить{load}."
RIGHTSIZING_LOAD = ": средняя загрузка CPU {cpu}"
RIGHTSIZING_LOAD_PEAK = ", в пиках (p95) {peak}"
RIGHTSIZING_LOAD_VCPU = " при {vcpu} vCPU"
RIGHTSIZING_VCPU_ONLY = " ({vcpu} vCPU)"
RIGHTSIZING_COSTS = (
    "Сейчас {pronoun} обходится в {current}, конфигурация поменьше — около {target}."
)

# Cleanup of unused snapshots, IPs, disks (and the seed type "cleanup").
CLEANUP_SHORT = "Экономия {savings} при удалении {unused} {noun}"
CLEANUP_SHORT_NO_SAVINGS = "{unused} {noun_acc} можно удалить"
CLEANUP_LEAD = "Экономия {savings} при удалении {noun} {name}."
CLEANUP_LEAD_NO_SAVINGS = "{unused} {noun_acc} {name} можно удалить."
CLEANUP_AGE = "{subject} не используется уже {age}{size}"
CLEANUP_AGE_WITH_NAME = "{subject} {name} не используется уже {age}{size}"
CLEANUP_SIZE_IN_PARENS = " (размер {size} GB)"
CLEANUP_WASTED = ", за это время на {it} уже было потрачено {wasted}"
CLEANUP_SIZE = "Размер {noun} — {size} GB."
# Without an age the text has no story of its own: the year's figure and the step to take
# before deleting (what could go wrong and how to avoid it).
CLEANUP_YEARLY = "За год это {yearly}."
CLEANUP_NEXT_STEPS = {
    "снапшот": (
        "Перед удалением убедитесь, что снапшот не нужен для восстановления: "
        "удалённый снапшот не вернуть."
    ),
    "диск": "Если данные на диске ещё нужны, перед удалением сделайте его снапшот.",
    "IP-адрес": (
        "Перед освобождением проверьте, что адрес не указан в DNS-записях и настройках "
        "клиентов: после удаления он достанется другому владельцу."
    ),
}
CLEANUP_NEXT_STEP = (
    "Перед удалением убедитесь, что {noun_nom} действительно не используется: удаление необратимо."
)

# Stopped servers: InfraZen does not know when they stopped, so no age and no waste.
STOPPED_SHORT = CLEANUP_SHORT
STOPPED_SHORT_NO_SAVINGS = "{stopped} {noun_acc} можно удалить"
STOPPED_LEAD = "Экономия {savings} при удалении {stopped} {noun} {name}."
STOPPED_STATUS = (
    "{subject} находится в статусе {status} и продолжает потреблять средства на хранение."
)
STOPPED_NO_STATUS = (
    "{subject} находится в остановленном состоянии и продолжает потреблять средства на хранение."
)
STOPPED_STATUS_NO_SAVINGS = "{subject} {name} находится в статусе {status}."
STOPPED_NO_STATUS_NO_SAVINGS = "{subject} {name} находится в остановленном состоянии."

# Seed actions and unknown types. Each action: (with savings, without savings).
GENERIC_ACTIONS: dict[str | None, tuple[str, str]] = {
    "shutdown": ("при выключении {noun} {name}", "{object} {name} можно выключить"),
    "migrate": ("при переносе {noun} {name}{to}", "{object} {name} можно перенести{to}"),
    "commitment": (
        "при переходе на долгосрочный тариф для {noun} {name}",
        "Для {noun} {name} стоит рассмотреть долгосрочный тариф",
    ),
    None: ("для {noun} {name}", "{object} {name} можно оптимизировать"),
}
GENERIC_TO_PROVIDER = " в {provider}"
GENERIC_SHORT = "Экономия {savings} {action}"
GENERIC_SHORT_UNKNOWN = "Возможная экономия {savings} {action}"
GENERIC_LEAD = "Экономия {savings}{yearly} {action}."
GENERIC_LEAD_UNKNOWN = "Возможная экономия {savings}{yearly} {action}."
GENERIC_CURRENT = "Сейчас {pronoun} обходится в {current}."
# The yearly figure sits next to the monthly one: after a cost sentence it would read as a cost.
GENERIC_YEARLY = " ({yearly})"

# The sentence-joining rule for the price family: the doc's example has no final period.
PRICE_SENTENCE_JOIN = ". "

# Adjectives agree with the noun: stem + ending by gender and case.
ADJECTIVE_ENDINGS = {
    ("m", "gen"): "ого",
    ("f", "gen"): "ой",
    ("n", "gen"): "ого",
    ("m", "acc"): "ый",  # inanimate
    ("f", "acc"): "ую",
    ("n", "acc"): "ое",
}
UNUSED = "неиспользуем"
STOPPED = "остановленн"
UNDERUSED = "недогруженн"
PRONOUNS = {"m": "он", "f": "она", "n": "оно"}
PRONOUNS_AFTER_PREPOSITION = {"m": "него", "f": "неё", "n": "него"}

# Long names would push a text past its length budget; the full name stays in the facts.
NAME_MAX_CHARS = 60
ELLIPSIS = "…"
