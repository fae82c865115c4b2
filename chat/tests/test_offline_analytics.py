"""Offline answers on the analytics page and about the account: key figures, trends, anomalies,
top recommendations, breakdowns, connections, help; also wording checked without a database."""

from __future__ import annotations

import pytest

from chat.offline import (
    offline_answer,
    offline_plan,
)
from chat.offline.answer import percent
from chat.tests.offline_talk import (
    ANALYTICS,
    REC,
    assert_well_formed,
    converse,
    item_line,
)
from conftest import make_user
from demo_data.personas import DEMO_EMAIL
from infrazen.models import InfraZenUser
from ru_format import rub, rub_period
from tools import get_anomalies, get_user_context
from tools.base import Money


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
    assert percent(trends.change_over_range_percent) in lead
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
        assert percent(anomaly.deviation_percent) in line


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


def test_without_a_model_a_screenshot_is_said_to_be_unread_and_the_question_still_answered(world):
    image = "[image:3f1c0b5e-2a4d-4c1e-9b7a-0d5c2b7f9a10]"

    talk = converse(world.alice, ANALYTICS, f"{image} как менялись расходы?")

    first = talk.text.splitlines()[0]
    assert first.startswith("Скриншот получен, но без языковой модели я не могу его прочитать")
    assert talk.plan.images == 1 and talk.plan.intent == "trends"
    assert "[image:" not in talk.text
