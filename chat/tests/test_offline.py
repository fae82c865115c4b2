"""The offline assistant: questions → intents and tool calls → answers from the tool results only.

End-to-end tests run the planned calls through the real registry as alice (or bob) on the demo
dataset, the way the engine does, and check the answer against the figures the tools returned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from chat.offline import (
    OFFLINE_NOTICE_EN,
    OFFLINE_NOTICE_RU,
    OfflinePlan,
    PlannedCall,
    offline_answer,
    offline_followup,
    offline_plan,
)
from chat.offline_wording import EN_TOOL_TEXTS
from conftest import make_recommendation, make_resource, make_user
from demo_data.personas import DEMO_EMAIL
from infrazen.models import CloudProvider, InfraZenUser, OptimizationRecommendation, Resource
from ru_format import rub, rub_period
from tools import generate_step_plan, get_anomalies, get_user_context
from tools.base import Money, ToolError
from tools.registry import TOOLS, tool_run, tools_for

REC = "recommendation"
ANALYTICS = "analytics"
PERIOD_WORDS = ("мес", "день", "год", "квартал", "month", "day", "year", "quarter")
# Every ₽ says its period: "₽/мес", or a one-off amount with what it covers ("₽ за весь всплеск").
RUB_WITHOUT_PERIOD = re.compile(r"₽(?!/(?:" + "|".join(PERIOD_WORDS) + r")\b| за | over )")


def rec_id(user: InfraZenUser, recommendation_type: str, resource_name: str | None = None) -> int:
    recs = OptimizationRecommendation.objects.filter(
        resource__provider__user=user, recommendation_type=recommendation_type
    ).order_by("id")
    if resource_name:
        recs = recs.filter(resource__resource_name=resource_name)
    return recs.first().pk


def run_calls(user, calls: list[PlannedCall], scenario: str):
    results = []
    for call in calls:
        try:
            result = tool_run(
                user=user,
                name=call.name,
                arguments_json=json.dumps(call.arguments),
                scenario=scenario,
            )
        except ToolError as exc:
            result = exc
        results.append((call, result))
    return results


@dataclass
class Conversation:
    plan: OfflinePlan
    results: list
    text: str

    def result(self, name: str):
        found = [r for call, r in self.results if call.name == name]
        assert found, f"{name} was not called"
        return found[0]


def converse(
    user,
    scenario: str,
    question: str,
    *,
    recommendation_id: int | None = None,
    context: dict | None = None,
    followup: bool = True,
) -> Conversation:
    """What the engine does: plan, run as the connected user, follow up, answer."""
    plan = offline_plan(
        scenario=scenario,
        recommendation_id=recommendation_id,
        context=context or {},
        question=question,
    )
    results = run_calls(user, plan.calls, scenario)
    if followup:
        results += run_calls(user, offline_followup(plan=plan, results=results), scenario)
    return Conversation(plan, results, offline_answer(plan=plan, results=results))


def item_line(text: str, prefix: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(prefix))


def assert_well_formed(text: str, language: str) -> None:
    notice = OFFLINE_NOTICE_EN if language == "en" else OFFLINE_NOTICE_RU
    other = OFFLINE_NOTICE_RU if language == "en" else OFFLINE_NOTICE_EN
    assert text.count(notice) == 1 and other not in text
    assert text.rstrip().endswith(notice)
    assert "None" not in text and "nan" not in text.lower().split()
    assert not re.search(r"\bnan\b|\binf\b", text)
    assert not RUB_WITHOUT_PERIOD.search(text), RUB_WITHOUT_PERIOD.search(text).string
    # The client escapes HTML and renders only **bold** and line breaks.
    assert "<" not in text and ">" not in text
    assert "```" not in text and "__" not in text
    assert not re.search(r"^\s*#", text, re.MULTILINE)
    assert text.count("**") % 2 == 0
    if language == "ru":
        assert re.search(r"[а-яё]{4,}", text.replace(notice, "").lower())


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


# --- answers from real tool results -------------------------------------------------------------


def test_explain_names_the_recommendation_its_savings_and_costs(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    talk = converse(world.alice, REC, "Что это за рекомендация?", recommendation_id=rid)
    rec = talk.result("get_recommendation")
    assert_well_formed(talk.text, "ru")
    assert talk.text.startswith(f"Рекомендация #{rid}")
    assert "**office**" in talk.text
    for money in (rec.savings_monthly, rec.savings_yearly, rec.current_monthly, rec.target_monthly):
        assert rub_period(money.amount, money.period) in talk.text
    assert "Selectel" in talk.text


def test_savings_per_year_come_from_calculate_savings(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    talk = converse(world.alice, REC, "Сколько я сэкономлю за год?", recommendation_id=rid)
    rec = talk.result("get_recommendation")
    calc = talk.result("calculate_savings")
    call = next(c for c, _ in talk.results if c.name == "calculate_savings")
    assert call.arguments == {
        "current_monthly": rec.current_monthly.amount,
        "new_monthly": rec.target_monthly.amount,
        "period": "year",
    }
    assert_well_formed(talk.text, "ru")
    first_line = talk.text.splitlines()[0]
    assert f"**{rub_period(calc.savings_yearly.amount, 'year')}**" in first_line
    assert rub_period(calc.savings_monthly.amount, "month") in first_line
    assert f"{calc.savings_percent}%" in talk.text


def test_savings_per_quarter_in_english(world):
    rid = rec_id(world.alice, "rightsizing_cpu", "office")
    talk = converse(world.alice, REC, "How much will I save per quarter?", recommendation_id=rid)
    calc = talk.result("calculate_savings")
    assert calc.savings_for_period.period == "quarter"
    assert_well_formed(talk.text, "en")
    assert f"{rub(calc.savings_for_period.amount)} ₽/quarter" in talk.text
    assert f"{rub(calc.savings_monthly.amount)} ₽/month" in talk.text
    assert f"{rub(calc.savings_yearly.amount)} ₽/year" in talk.text


def test_a_cleanup_saving_is_the_whole_current_cost(world):
    rid = rec_id(world.alice, "cleanup_old_snapshot")
    talk = converse(world.alice, REC, "Сколько сэкономлю?", recommendation_id=rid)
    rec = talk.result("get_recommendation")
    call = next(c for c, _ in talk.results if c.name == "calculate_savings")
    assert call.arguments["new_monthly"] == 0
    assert_well_formed(talk.text, "ru")
    assert rub_period(rec.savings_monthly.amount, "month") in talk.text
    # a one-off figure says what it covers
    assert f"{rub(rec.already_spent.amount)} ₽ за это время" in talk.text
    assert "248 дней" in talk.text


def test_without_the_second_round_the_savings_come_from_the_recommendation(world):
    rid = rec_id(world.alice, "rightsizing", "prod-api-1")
    talk = converse(
        world.alice, REC, "сколько сэкономлю в год", recommendation_id=rid, followup=False
    )
    rec = talk.result("get_recommendation")
    assert [c.name for c, _ in talk.results] == ["get_recommendation"]
    assert_well_formed(talk.text, "ru")
    assert rub_period(rec.savings_yearly.amount, "year") in talk.text.splitlines()[0]
    assert rub_period(rec.savings_monthly.amount, "month") in talk.text


def test_alternatives_list_each_offer_with_its_monthly_price_and_savings(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    talk = converse(world.alice, REC, "Какие есть альтернативы подешевле?", recommendation_id=rid)
    result = talk.result("list_top_alternatives")
    assert_well_formed(talk.text, "ru")
    assert len(result.alternatives) >= 2
    for index, alternative in enumerate(result.alternatives, start=1):
        line = item_line(talk.text, f"{index}. ")
        assert rub_period(alternative.monthly_price.amount, "month") in line
        if alternative.savings.amount > 0:
            assert f"экономия {rub_period(alternative.savings.amount, 'month')}" in line
        else:
            assert f"дороже на {rub_period(-alternative.savings.amount, 'month')}" in line
    assert rub_period(result.current_monthly.amount, "month") in talk.text.splitlines()[0]


def test_risks_name_effort_and_downtime_next_to_the_savings(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "mysql-shop")
    talk = converse(world.alice, REC, "Какие риски у переноса?", recommendation_id=rid)
    effort = talk.result("estimate_migration_effort")
    rec = talk.result("get_recommendation")
    assert_well_formed(talk.text, "ru")
    lead = talk.text.splitlines()[0]
    assert f"**{effort.score} из 5" in lead
    assert f"{effort.downtime_minutes} минут" in lead
    assert rub_period(rec.savings_monthly.amount, "month") in lead
    for reason in effort.reasons:
        assert reason.detail in talk.text
    assert effort.caveats and effort.caveats[0] in talk.text


def test_risks_in_english_translate_the_reasons(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    talk = converse(world.alice, REC, "What are the risks?", recommendation_id=rid)
    effort = talk.result("estimate_migration_effort")
    assert_well_formed(talk.text, "en")
    assert f"effort **{effort.score} of 5" in talk.text.lower()
    assert "data volume" in talk.text
    assert not re.search(r"[а-яё]", talk.text.replace(OFFLINE_NOTICE_EN, ""))


def test_the_step_plan_lists_every_step_with_its_risk_and_check(world):
    rid = rec_id(world.alice, "cleanup_unused_ip")
    talk = converse(world.alice, REC, "Как это сделать по шагам?", recommendation_id=rid)
    steps = talk.result("generate_step_plan")
    effort = talk.result("estimate_migration_effort")
    rec = talk.result("get_recommendation")
    assert_well_formed(talk.text, "ru")
    lead = talk.text.splitlines()[0]
    assert f"{len(steps.steps)} шага" in lead
    assert f"**{effort.score} из 5" in lead and "без простоя" in lead
    assert rub_period(rec.savings_monthly.amount, "month") in lead
    for step in steps.steps:
        line = item_line(talk.text, f"{step.order}. ")
        assert step.title in line
    assert "Проверить, что адрес ни к чему не привязан" in talk.text


def test_the_step_plan_in_english_is_in_english(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "pg-itl-prod")
    talk = converse(world.alice, REC, "Give me a step by step plan", recommendation_id=rid)
    steps = talk.result("generate_step_plan")
    assert_well_formed(talk.text, "en")
    assert f"{len(steps.steps)} steps" in talk.text.splitlines()[0]
    assert "Lower the DNS records' TTL" in talk.text
    assert not re.search(r"[а-яё]", talk.text.replace(OFFLINE_NOTICE_EN, ""))


def test_every_step_and_reason_text_of_the_tools_has_an_english_wording():
    texts = {text for plan in generate_step_plan.PLANS.values() for step in plan for text in step}
    texts -= {"low", "medium", "high"}
    texts |= {
        generate_step_plan.HEAVY_MIGRATION_STEP[0],
        generate_step_plan.HEAVY_MIGRATION_STEP[2],
    }
    assert texts <= set(EN_TOOL_TEXTS)


def test_resource_questions_read_the_resource_in_a_second_round(world):
    rid = rec_id(world.alice, "rightsizing_cpu", "office")
    talk = converse(world.alice, REC, "Какая загрузка CPU?", recommendation_id=rid)
    resource = talk.result("get_resource")
    talk.result("get_latest_snapshot")
    assert_well_formed(talk.text, "ru")
    assert rub_period(resource.monthly_cost.amount, "month") in talk.text
    assert rub_period(resource.daily_cost.amount, "day") in talk.text
    assert f"в среднем {resource.usage['cpu_avg_usage']}%" in talk.text
    assert "Последняя синхронизация" in talk.text


def test_an_unknown_question_gets_an_overview_and_what_can_be_asked(world):
    rid = rec_id(world.alice, "cleanup_stopped", "old-vps")
    talk = converse(world.alice, REC, "ну и?", recommendation_id=rid)
    rec = talk.result("get_recommendation")
    talk.result("calculate_savings")
    assert talk.plan.intent == "overview"
    assert_well_formed(talk.text, "ru")
    assert rub_period(rec.savings_monthly.amount, "month") in talk.text
    assert "Можно спросить:" in talk.text and "«Какие риски" in talk.text


def test_help_lists_the_questions_without_calling_tools(world):
    talk = converse(world.alice, ANALYTICS, "What can you do?")
    assert talk.results == []
    assert_well_formed(talk.text, "en")
    assert "1. What are my key figures?" in talk.text


def test_connections_with_their_sync_state(world):
    talk = converse(world.alice, REC, "какие провайдеры подключены?", recommendation_id=1)
    context = talk.result("get_user_context")
    assert_well_formed(talk.text, "ru")
    assert talk.text.startswith(f"У вас {len(context.connections)} подключения:")
    for connection in context.connections:
        assert f"**{connection.connection_name}**" in talk.text


def test_analytics_overview_for_an_unknown_question(world):
    talk = converse(world.alice, ANALYTICS, "привет", context={"time_range_days": 30})
    overview = talk.result("get_analytics_overview")
    assert_well_formed(talk.text, "ru")
    lead = talk.text.splitlines()[0]
    assert f"**{rub_period(overview.monthly_cost.amount, 'month')}**" in lead
    assert rub_period(overview.daily_cost.amount, "day") in lead
    assert f"{overview.active_resources} активных ресурсов" in talk.text
    assert f"{overview.pending_recommendations} рекомендаций" in talk.text
    assert rub_period(overview.pending_savings.amount, "month") in talk.text
    assert rub_period(overview.pending_savings_yearly.amount, "year") in talk.text
    assert "Можно спросить:" in talk.text


def test_trends_give_the_run_rate_change_and_extremes(world):
    talk = converse(
        world.alice, ANALYTICS, "Как менялись расходы?", context={"time_range_days": 30}
    )
    trends = talk.result("get_cost_trends")
    assert_well_formed(talk.text, "ru")
    lead = talk.text.splitlines()[0]
    assert lead.startswith("За 30 дней")
    assert rub_period(trends.latest_daily_cost.amount, "day") in lead
    assert rub_period(trends.latest_monthly_run_rate.amount, "month") in lead
    assert f"{abs(trends.change_over_range_percent)}%" in lead
    for money in (trends.average_daily_cost, trends.min_daily_cost, trends.max_daily_cost):
        assert rub_period(money.amount, "day") in talk.text


def test_trends_in_english(world):
    talk = converse(world.alice, ANALYTICS, "How did my spend change over the last 7 days?")
    trends = talk.result("get_cost_trends")
    assert trends.time_range_days == 7
    assert_well_formed(talk.text, "en")
    assert talk.text.startswith("Over 7 days")
    assert f"{rub(trends.latest_monthly_run_rate.amount)} ₽/month" in talk.text


def test_anomalies_report_the_planted_ones_with_their_drivers(world):
    talk = converse(world.alice, ANALYTICS, "Были ли аномалии за 90 дней?")
    result = talk.result("get_anomalies")
    assert result.time_range_days == 90 and len(result.anomalies) == 3
    assert_well_formed(talk.text, "ru")
    assert talk.text.startswith("За 90 дней — 3 аномалии")
    for index, anomaly in enumerate(result.anomalies, start=1):
        line = item_line(talk.text, f"{index}. ")
        assert rub_period(anomaly.actual.amount, "day") in line
        assert anomaly.drivers[0].connection_name in line
        assert f"{abs(anomaly.deviation_percent)}%" in line


def test_top_recommendations_with_their_total(world):
    talk = converse(world.alice, ANALYTICS, "Где можно сэкономить больше всего?")
    result = talk.result("summarize_top_recommendations")
    assert_well_formed(talk.text, "ru")
    lead = talk.text.splitlines()[0]
    assert rub_period(result.recommendations[0].savings.amount, "month") in lead
    assert rub_period(result.total_savings.amount, "month") in lead
    assert rub_period(result.total_savings_yearly.amount, "year") in lead
    assert f"{result.count} рекомендаций" in lead
    for item in result.recommendations:
        assert f"(#{item.id})" in talk.text


def test_a_recommendation_question_on_the_analytics_page_says_where_to_ask_it(world):
    talk = converse(world.alice, ANALYTICS, "Какие риски?")
    assert talk.plan.intent == "top" and talk.plan.asked == "risks"
    assert_well_formed(talk.text, "ru")
    assert "в её собственном чате" in talk.text


def test_costs_by_provider(world):
    talk = converse(world.alice, ANALYTICS, "Расходы по провайдерам")
    result = talk.result("get_provider_breakdown")
    assert_well_formed(talk.text, "ru")
    for provider in result.providers:
        assert provider.connection_name in talk.text
        assert rub_period(provider.monthly_cost.amount, "month") in talk.text
        assert rub_period(provider.daily_cost.amount, "day") in talk.text
    assert rub_period(result.total_monthly_cost.amount, "month") in talk.text.splitlines()[0]


def test_costs_by_service_in_english(world):
    talk = converse(world.alice, ANALYTICS, "costs by service")
    result = talk.result("get_service_breakdown")
    assert_well_formed(talk.text, "en")
    for service in result.services:
        assert f"{rub(service.monthly_cost.amount)} ₽/month" in talk.text
    assert f"Another {result.other_services} services: " in talk.text


# --- no data, and another tenant ----------------------------------------------------------------


def test_a_tool_error_gives_an_honest_no_data_answer_without_figures():
    plan = offline_plan(
        scenario=REC, recommendation_id=42, context={}, question="сколько сэкономлю"
    )
    results = [(call, ToolError("Recommendation not found")) for call in plan.calls]
    assert offline_followup(plan=plan, results=results) == []
    text = offline_answer(plan=plan, results=results)
    assert_well_formed(text, "ru")
    assert text.startswith("Не удалось получить данные рекомендации")
    assert "₽" not in text and not re.search(r"\d", text)


@pytest.mark.parametrize(
    ("scenario", "question"),
    [(REC, q) for q in ("What is it?", "alternatives", "risks", "plan", "cpu load")]
    + [(ANALYTICS, q) for q in ("trend", "anomalies", "top", "providers", "services", "hi")],
)
def test_every_intent_says_so_when_its_data_is_unavailable(scenario, question):
    plan = offline_plan(scenario=scenario, recommendation_id=42, context={}, question=question)
    results = [(call, ToolError("boom")) for call in plan.calls]
    text = offline_answer(plan=plan, results=results)
    assert_well_formed(text, plan.language)
    assert "I could not get" in text if plan.language == "en" else "Не удалось получить" in text
    assert "₽" not in text and "boom" not in text


def test_a_partly_failed_plan_keeps_what_it_has_and_says_what_is_missing(world):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    plan = offline_plan(scenario=REC, recommendation_id=rid, context={}, question="план")
    results = run_calls(world.alice, plan.calls, REC)
    results = [
        (call, ToolError("down") if call.name == "estimate_migration_effort" else result)
        for call, result in results
    ]
    text = offline_answer(plan=plan, results=results)
    assert_well_formed(text, "ru")
    assert "Не удалось получить оценку сложности" in text
    assert "1. Создать целевой ресурс" in text


def alice_strings(alice: InfraZenUser) -> list[str]:
    names = Resource.objects.filter(provider__user=alice).values_list("resource_name", flat=True)
    connections = CloudProvider.objects.filter(user=alice).values_list("connection_name", flat=True)
    return [s for s in [*names, *connections] if len(s) >= 7]


@pytest.mark.parametrize(
    "question", ["Что это?", "Сколько сэкономлю?", "альтернативы", "риски", "план", "загрузка"]
)
def test_bob_asking_about_alices_recommendation_learns_nothing(world, question):
    rid = rec_id(world.alice, "price_compare_cross_provider", "office")
    talk = converse(world.bob, REC, question, recommendation_id=rid)
    assert all(isinstance(result, ToolError) for _, result in talk.results)
    assert_well_formed(talk.text, "ru")
    assert "₽" not in talk.text
    for string in alice_strings(world.alice):
        assert string not in talk.text


@pytest.mark.parametrize(
    "question",
    [
        "привет",
        "расходы",
        "аномалии",
        "где сэкономить",
        "по провайдерам",
        "по сервисам",
        "подключения",
    ],
)
def test_bobs_analytics_answers_contain_only_his_data(world, question):
    talk = converse(world.bob, ANALYTICS, question)
    assert_well_formed(talk.text, "ru")
    for string in alice_strings(world.alice):
        assert string not in talk.text


# --- wording without a database ------------------------------------------------------------------


def user_context(connections: int) -> get_user_context.Result:
    return get_user_context.Result(
        first_name=None,
        role="user",
        is_read_only=False,
        currency="RUB",
        language="ru",
        timezone=None,
        connections=[
            get_user_context.Connection(
                provider_type="selectel",
                connection_name=f"Selectel {n}",
                is_active=True,
                last_sync=None,
                sync_status=None,
            )
            for n in range(connections)
        ],
    )


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 подключение"),
        (2, "2 подключения"),
        (5, "5 подключений"),
        (11, "11 подключений"),
        (21, "21 подключение"),
    ],
)
def test_russian_plurals_agree_with_the_number(count, expected):
    plan = offline_plan(
        scenario=ANALYTICS, recommendation_id=None, context={}, question="подключения"
    )
    text = offline_answer(plan=plan, results=[(plan.calls[0], user_context(count))])
    assert text.startswith(f"У вас {expected}:")
    assert "синхронизаций не было" in text


def anomaly(day: str, actual: float, expected: float) -> get_anomalies.Anomaly:
    def m(amount: float) -> Money:
        return Money(amount=amount, period="day")

    return get_anomalies.Anomaly(
        date=day,
        end_date=day,
        days=1,
        direction="spike" if actual > expected else "drop",
        peak_date=day,
        actual=m(actual),
        expected=m(expected),
        expected_low=m(expected * 0.9),
        expected_high=m(expected * 1.1),
        deviation_percent=round((actual - expected) * 100 / expected, 1),
        excess_total=Money(amount=actual - expected, period="one_time"),
        drivers=[],
    )


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "аномалий нет"), (1, "1 аномалия"), (2, "2 аномалии")]
)
def test_anomaly_counts_and_a_quiet_series(count, expected):
    plan = offline_plan(scenario=ANALYTICS, recommendation_id=None, context={}, question="аномалии")
    result = get_anomalies.Result(
        time_range_days=30,
        points_analysed=30,
        anomalies=[anomaly(f"2026-03-0{n + 1}", 200.0, 100.0) for n in range(count)],
    )
    text = offline_answer(plan=plan, results=[(plan.calls[0], result)])
    assert_well_formed(text, "ru")
    assert expected in text.splitlines()[0]
    if count:
        assert "перерасход 100 ₽ за весь всплеск" in text


def test_names_from_the_data_cannot_break_the_markdown():
    plan = offline_plan(
        scenario=ANALYTICS, recommendation_id=None, context={}, question="подключения"
    )
    context = user_context(1)
    context.connections[0].connection_name = "**evil**\n\n# heading <b>x</b>"
    text = offline_answer(plan=plan, results=[(plan.calls[0], context)])
    assert "**evil # heading <b>x</b>** (Selectel)" in text
    assert "\n#" not in text


# --- thin data: a tenant with nothing synced, a bare recommendation ------------------------------

ALL_QUESTIONS = [
    "что это?",
    "сколько сэкономлю за год",
    "альтернативы",
    "риски",
    "план",
    "загрузка cpu",
    "подключения",
    "ну?",
    "расходы",
    "аномалии",
    "где сэкономить",
    "по провайдерам",
    "по сервисам",
    "help",
]


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_a_tenant_with_no_data_gets_plain_answers_without_invented_figures(db, question):
    carol = make_user("carol@example.com")
    for scenario in (REC, ANALYTICS):
        talk = converse(carol, scenario, question, recommendation_id=None)
        assert_well_formed(talk.text, talk.plan.language)
        assert "₽" not in talk.text


@pytest.mark.parametrize("question", ALL_QUESTIONS)
def test_a_bare_recommendation_still_gets_a_sound_answer(alice, question):
    provider = CloudProvider.objects.filter(user=alice).first()
    resource = make_resource(provider, "bare-server", daily_cost=10.0, effective_cost=10.0)
    rec = make_recommendation(resource, estimated_monthly_savings=300.0)
    talk = converse(alice, REC, question, recommendation_id=rec.pk)
    assert_well_formed(talk.text, talk.plan.language)
    assert not [r for _, r in talk.results if isinstance(r, ToolError)]


def test_anomalies_say_how_many_days_of_data_there_were(world):
    demo = InfraZenUser.objects.get(email=DEMO_EMAIL)
    talk = converse(demo, ANALYTICS, "аномалии за 90 дней")
    result = talk.result("get_anomalies")
    assert result.points_analysed < 90
    assert_well_formed(talk.text, "ru")
    assert talk.text.startswith(f"За 90 дней (данные есть за {result.points_analysed} дней)")


def test_without_cost_history_there_is_nothing_to_search(db):
    carol = make_user("carol@example.com")
    talk = converse(carol, ANALYTICS, "any anomalies?")
    assert_well_formed(talk.text, "en")
    assert talk.text.startswith("There is no cost history yet")
