"""A chat turn's strings as the model sees them, with personal data in them: the question,
a few turns of history, the analytics tools whose results the engine sends, and a model
answer with placeholders (bench/pii_scrub.py, bench/governance_overhead.py)."""

from __future__ import annotations

import json

QUESTION = "Почему сервер office стоит 5,610 ₽/мес и как сэкономить? Пишите на alice@itlab.ru"
HISTORY = [
    "Какие ресурсы дороже всего в этом месяце?",
    "Самые дорогие: сервер office (5,610 ₽/мес, 4 vCPU, 8 GB), база db-main (3 200 ₽/мес) "
    "и диск backup-01 (1 234,56 ₽/мес). Вместе 10 044,56 ₽/мес, это 62% расходов.",
    "Алиса, а что с IP 95.213.4.18 и 10.0.0.5? Мой телефон +7 (912) 345-67-89.",
    "Адрес 95.213.4.18 привязан к серверу office с 12.03.2024; внутренний 10.0.0.5 бесплатен.",
]
ANALYTICS_TOOLS = (
    "get_user_context",
    "get_analytics_overview",
    "get_service_breakdown",
    "summarize_top_recommendations",
)
ANSWER = (
    "[имя 1], сервер office стоит 5,610 ₽/мес. Переход на 2 vCPU сэкономит 2 300 ₽/мес (41%). "
    "Уведомление уйдёт на [email 1], а номер [телефон 1] останется в профиле. "
) * 3


def tool_content(user, name: str) -> str:
    """A tool's result as the chat engine shows it to the model."""
    from tools.registry import tool_run

    result = tool_run(user=user, name=name, arguments_json="{}", scenario="analytics")
    return json.dumps({"ok": True, "data": result.model_dump(mode="json")}, ensure_ascii=False)
