"""Offline answers about carrying a recommendation out: alternatives, risks, the step plan, and
the English of the tools' own Russian texts (by their codes)."""

from __future__ import annotations

import re
from typing import get_args

from chat.offline import (
    OFFLINE_NOTICE_EN,
    tool_wording,
)
from chat.tests.offline_talk import (
    REC,
    assert_well_formed,
    converse,
    item_line,
    rec_id,
)
from ru_format import rub_period
from tools import estimate_migration_effort, generate_step_plan


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


def test_every_step_reason_and_caveat_of_the_tools_has_an_english_wording():
    plans = [*generate_step_plan.PLANS.values(), [generate_step_plan.HEAVY_MIGRATION_STEP]]
    steps = {code for plan in plans for code, *_ in plan}
    assert steps <= set(tool_wording.STEPS)
    assert set(get_args(estimate_migration_effort.ReasonCode)) <= set(tool_wording.REASONS)
    assert set(estimate_migration_effort.REASONS) <= set(tool_wording.REASONS)
    assert set(get_args(estimate_migration_effort.CaveatCode)) <= set(tool_wording.CAVEATS)
    assert set(estimate_migration_effort.CAVEATS) <= set(tool_wording.CAVEATS)


def test_a_step_code_names_one_text():
    plans = [*generate_step_plan.PLANS.values(), [generate_step_plan.HEAVY_MIGRATION_STEP]]
    texts: dict[str, tuple[str, str]] = {}
    for plan in plans:
        for code, title, _, check in plan:
            assert texts.setdefault(code, (title, check)) == (title, check)
