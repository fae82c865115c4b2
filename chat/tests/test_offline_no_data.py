"""Offline answers without data: a failed tool, another tenant's ids, a tenant with nothing
synced, a bare recommendation. No figure is ever invented."""

from __future__ import annotations

import re

import pytest

from chat.offline import (
    offline_answer,
    offline_followup,
    offline_plan,
)
from chat.tests.offline_talk import (
    ANALYTICS,
    REC,
    assert_well_formed,
    converse,
    rec_id,
    run_calls,
)
from conftest import make_recommendation, make_resource, make_user
from infrazen.models import CloudProvider, InfraZenUser, Resource
from tools.base import ToolError

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
