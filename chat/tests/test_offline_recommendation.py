"""Offline answers about one recommendation: what it is, what it saves, its resource; checked
against the figures the tools returned on the demo dataset."""

from __future__ import annotations

from chat.tests.offline_talk import (
    REC,
    assert_well_formed,
    converse,
    rec_id,
)
from ru_format import rub, rub_period

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
