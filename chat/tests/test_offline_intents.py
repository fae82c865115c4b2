"""The offline assistant reads a question: its intent, language, period and range, and the
tool calls that answer it (pure: no database, no user)."""

from __future__ import annotations

import json

import pytest

from chat.offline import (
    PlannedCall,
    offline_plan,
)
from chat.tests.offline_talk import (
    ANALYTICS,
    REC,
)
from tools.registry import TOOLS, tools_for

# --- recognising questions --------------------------------------------------------------------

INTENTS = [
    # recommendation scenario, Russian
    (REC, "Что это за рекомендация?", "explain", "ru"),
    (REC, "ЧТО ЭТО ЗА РЕКОМЕНДАЦИЯ???", "explain", "ru"),
    (REC, "объясни, пожалуйста", "explain", "ru"),
    (REC, "Почему мне это советуют?", "explain", "ru"),
    (REC, "Сколько я сэкономлю в месяц?", "savings", "ru"),
    (REC, "сколько сэкономлю за год", "savings", "ru"),
    (REC, "Какая будет экономия за квартал?", "savings", "ru"),
    (REC, "скока сэканомлю", "savings", "ru"),
    (REC, "Какие есть альтернативы?", "alternatives", "ru"),
    (REC, "какие альтернатвы", "alternatives", "ru"),
    (REC, "А есть дешевле у других провайдеров?", "alternatives", "ru"),
    (REC, "Сколько стоит такой же сервер в Selectel?", "alternatives", "ru"),
    (REC, "Какие риски?", "risks", "ru"),
    (REC, "Какие риски при переносе в Beget?", "risks", "ru"),
    (REC, "Насколько это сложно, будет ли простой?", "risks", "ru"),
    (REC, "Сколько времени займёт переезд?", "risks", "ru"),
    (REC, "Как это сделать?", "plan", "ru"),
    (REC, "Дай пошаговый план", "plan", "ru"),
    (REC, "с чего начать?", "plan", "ru"),
    (REC, "Какая загрузка CPU у сервера?", "resource", "ru"),
    (REC, "Покажи характеристики ресурса", "resource", "ru"),
    (REC, "Какие провайдеры у меня подключены?", "connections", "ru"),
    (REC, "Что ты умеешь?", "help", "ru"),
    (REC, "привет", "overview", "ru"),
    (REC, "ммм", "overview", "ru"),
    (REC, "", "overview", "ru"),
    # recommendation scenario, English
    (REC, "What is this recommendation?", "explain", "en"),
    (REC, "Explain this to me", "explain", "en"),
    (REC, "How much will I save per year?", "savings", "en"),
    (REC, "what are the savings", "savings", "en"),
    (REC, "Any cheaper alternatives at other providers?", "alternatives", "en"),
    (REC, "What are the risks and the effort?", "risks", "en"),
    (REC, "how long is the downtime", "risks", "en"),
    (REC, "How do I do it?", "plan", "en"),
    (REC, "Step-by-step plan please", "plan", "en"),
    (REC, "What are the server specs and CPU usage?", "resource", "en"),
    (REC, "help", "help", "en"),
    (REC, "hello", "overview", "en"),
    # a question from the analytics domain gets the closest tool of this scenario
    (REC, "Были ли аномалии?", "resource", "ru"),
    (REC, "Как менялись расходы?", "resource", "ru"),
    (REC, "Где можно сэкономить больше всего?", "savings", "ru"),
    (REC, "Show me the cost trend", "resource", "en"),
    # analytics scenario, Russian
    (ANALYTICS, "Как менялись расходы за месяц?", "trends", "ru"),
    (ANALYTICS, "Сколько я трачу?", "trends", "ru"),
    (ANALYTICS, "Были ли аномалии?", "anomalies", "ru"),
    (ANALYTICS, "Почему был скачок расходов?", "anomalies", "ru"),
    (ANALYTICS, "были всплески?!", "anomalies", "ru"),
    (ANALYTICS, "Где можно сэкономить?", "top", "ru"),
    (ANALYTICS, "Топ рекомендаций", "top", "ru"),
    (ANALYTICS, "Расходы по провайдерам", "providers", "ru"),
    (ANALYTICS, "Сколько стоит Яндекс?", "providers", "ru"),
    (ANALYTICS, "Какие сервисы дороже всего?", "services", "ru"),
    (ANALYTICS, "Какие провайдеры подключены?", "connections", "ru"),
    (ANALYTICS, "Покажи сводку", "overview", "ru"),
    (ANALYTICS, "Помоги", "help", "ru"),
    (ANALYTICS, "Здравствуйте", "overview", "ru"),
    # analytics scenario, English
    (ANALYTICS, "How did my costs change over the last 90 days?", "trends", "en"),
    (ANALYTICS, "What is my spend this month?", "trends", "en"),
    (ANALYTICS, "Any spikes or anomalies?", "anomalies", "en"),
    (ANALYTICS, "Where can I save the most?", "top", "en"),
    (ANALYTICS, "What are the top recommendations?", "top", "en"),
    (ANALYTICS, "How much do I spend per provider?", "providers", "en"),
    (ANALYTICS, "Cost by service", "services", "en"),
    (ANALYTICS, "Give me an overview", "overview", "en"),
    (ANALYTICS, "What can you do?", "help", "en"),
    # a question from the recommendation domain gets the closest tool of this scenario
    (ANALYTICS, "Сколько я сэкономлю?", "top", "ru"),
    (ANALYTICS, "Какие риски?", "top", "ru"),
    (ANALYTICS, "What is this recommendation?", "top", "en"),
    (ANALYTICS, "Какая загрузка сервера?", "services", "ru"),
]


@pytest.mark.parametrize(("scenario", "question", "intent", "language"), INTENTS)
def test_it_recognises_common_questions_in_russian_and_english(
    scenario, question, intent, language
):
    plan = offline_plan(scenario=scenario, recommendation_id=7, context={}, question=question)
    assert (plan.intent, plan.language) == (intent, language)


@pytest.mark.parametrize(("scenario", "question", "intent", "language"), INTENTS)
def test_every_plan_calls_tools_of_its_scenario_with_valid_arguments(
    scenario, question, intent, language
):
    plan = offline_plan(
        scenario=scenario,
        recommendation_id=7,
        context={"time_range_days": 30, "filters": {"provider": "yandex"}},
        question=question,
    )
    allowed = {module.NAME for module in tools_for(scenario)}
    for call in plan.calls:
        assert call.name in allowed
        TOOLS[call.name].Args.model_validate_json(json.dumps(call.arguments))
        assert not {"user", "user_id", "email"} & set(call.arguments)
    if intent != "help":
        assert plan.calls


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("Сколько я сэкономлю в месяц?", "month"),
        ("Сколько я сэкономлю?", "month"),
        ("сколько сэкономлю за год", "year"),
        ("Какая годовая экономия?", "year"),
        ("экономия за 12 месяцев", "year"),
        ("Сколько в квартал?", "quarter"),
        ("How much per year?", "year"),
        ("annual savings", "year"),
        ("quarterly savings", "quarter"),
    ],
)
def test_a_savings_question_carries_the_period_it_asks_about(question, period):
    plan = offline_plan(scenario=REC, recommendation_id=7, context={}, question=question)
    assert plan.period == period


@pytest.mark.parametrize(
    ("question", "context", "tool", "days"),
    [
        ("Как менялись расходы?", {"time_range_days": 30}, "get_cost_trends", 30),
        ("Как менялись расходы?", {"time_range_days": "90"}, "get_cost_trends", 90),
        ("Как менялись расходы за 7 дней?", {"time_range_days": 30}, "get_cost_trends", 7),
        ("расходы за последние 3 месяца", {}, "get_cost_trends", 90),
        ("costs over the past 2 weeks", {}, "get_cost_trends", 14),
        ("Как менялись расходы за 2 года?", {}, "get_cost_trends", 365),
        ("аномалии за неделю", {}, "get_anomalies", 7),
        ("аномалии за сутки", {}, "get_anomalies", 7),
        ("аномалии за год", {}, "get_anomalies", 180),
        ("Покажи сводку", {"time_range_days": 14}, "get_analytics_overview", 14),
    ],
)
def test_analytics_plans_use_the_range_of_the_question_else_of_the_page(
    question, context, tool, days
):
    plan = offline_plan(
        scenario=ANALYTICS, recommendation_id=None, context=context, question=question
    )
    call = next(c for c in plan.calls if c.name == tool)
    assert call.arguments["time_range_days"] == days


def test_without_a_range_the_tools_use_their_own_defaults():
    plan = offline_plan(scenario=ANALYTICS, recommendation_id=None, context={}, question="аномалии")
    assert plan.calls == [PlannedCall("get_anomalies", {})]
    plan = offline_plan(
        scenario=ANALYTICS, recommendation_id=None, context={"raw": "x"}, question="тренд"
    )
    assert plan.calls[0] == PlannedCall("get_cost_trends", {})


def test_a_plan_is_the_same_for_every_user_and_names_no_user():
    first = offline_plan(scenario=REC, recommendation_id=5, context={}, question="Какие риски?")
    again = offline_plan(scenario=REC, recommendation_id=5, context={}, question="Какие риски?")
    assert first == again
    assert first.calls == [
        PlannedCall("get_recommendation", {"recommendation_id": 5}),
        PlannedCall("estimate_migration_effort", {"recommendation_id": 5}),
    ]
