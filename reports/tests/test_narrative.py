"""The narrative: a model may only refer to facts; a lying, hanging or failing model changes
nothing that ships; offline, the template narrative is always used."""

from __future__ import annotations

import json
import time

import pytest

from llm.fake_server import Reply
from reports.models import AgentReport
from reports.narrative import Highlight, Narrative, narrative_problems, narrative_template
from reports.snapshot import snapshot_build
from reports.tests.client import render as render_for

pytestmark = pytest.mark.django_db(transaction=True)

FACTS = {"cost.monthly", "savings.monthly", "scenario.all.delay"}
HONEST = {
    "executive_summary": (
        "Расходы составляют {cost.monthly}; рекомендации экономят {savings.monthly}."
    ),
    "highlights": [{"title": "Экономия", "detail": "Промедление стоит {scenario.all.delay}."}],
    "risks": ["Переносы требуют окна работ."],
    "next_steps": ["DevOps: удалить неиспользуемое на этой неделе."],
}


def narrative(**changes) -> Narrative:
    return Narrative.model_validate({**HONEST, **changes})


def test_an_honest_narrative_has_no_problems():
    assert narrative_problems(narrative(), fact_ids=FACTS) == []


@pytest.mark.parametrize(
    "summary",
    [
        "Расходы составляют 987 654 ₽ в месяц.",
        "Экономия 12%, то есть {savings.monthly}.",
        "Расходы {cost.yearly}.",
        "Расходы <script>alert(1)</script> {cost.monthly}.",
        "<img src=x onerror=alert(1)>",
        "Смотрите javascript:alert(1)",
        "",
    ],
)
def test_invented_figures_unknown_facts_and_markup_are_refused(summary):
    assert narrative_problems(narrative(executive_summary=summary), fact_ids=FACTS)


def test_a_figure_hidden_in_a_highlight_or_a_step_is_refused():
    lying = narrative(
        highlights=[Highlight(title="Рост на 40%", detail="{cost.monthly}")],
        next_steps=["Сэкономить 5000 ₽ за неделю."],
    )
    problems = narrative_problems(lying, fact_ids=FACTS)
    assert any("highlights.0.title" in p for p in problems)
    assert any("next_steps.0" in p for p in problems)


def test_the_template_narrative_refers_only_to_facts_of_its_snapshot(tenant):
    for role in ("cfo", "cto", "product", "finops"):
        snapshot = snapshot_build(user_id=tenant.pk, role=role)
        problems = narrative_problems(narrative_template(snapshot), fact_ids=set(snapshot.facts))
        assert not [p for p in problems if "неизвестные" in p or "разметка" in p], problems


async def render(tenant, role="cfo") -> dict:
    return await render_for(tenant.pk, role)


@pytest.fixture
def llm_mode(settings, fake_llm):
    settings.AI_TEXT_MODE = "llm"
    return fake_llm


async def test_a_grounded_model_narrative_ships_with_its_figures_filled_in(tenant, llm_mode):
    llm_mode.enqueue(Reply.structured_output(HONEST))
    body = await render(tenant)
    assert body["narrative_source"] == "llm"
    assert 'href="#src-cost.monthly">15,360 ₽/мес</a>; рекомендации экономят' in body["html"]
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert report.narrative_note == "ok" and report.prompt_tokens > 0 and report.model


async def test_the_prompt_holds_headline_facts_not_rows_and_no_data_strings(tenant, llm_mode):
    llm_mode.enqueue(Reply.structured_output(HONEST))
    await render(tenant)
    sent = json.dumps(llm_mode.chat_requests()[0]["messages"], ensure_ascii=False)
    assert "cost.monthly" in sent and "15,360 ₽/мес" in sent
    assert "rec." not in sent and "onerror" not in sent and "SECRET-" not in sent


async def test_a_lying_model_changes_nothing_that_ships(tenant, llm_mode):
    lie = {**HONEST, "executive_summary": "Вы теряете 987,654 ₽ <script>alert(1)</script>"}
    llm_mode.enqueue(Reply.structured_output(lie), Reply.structured_output(lie))
    body = await render(tenant)
    assert body["narrative_source"] == "template"
    assert "987,654" not in body["html"] and "<script>alert(1)" not in body["html"]
    assert "&lt;script&gt;alert(1)" not in body["html"]
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert report.narrative_note.startswith("validation:")
    assert len(llm_mode.chat_requests()) == 2  # one re-ask, then the template


async def test_a_hanging_model_still_gives_a_report_within_the_deadline(tenant, llm_mode, settings):
    settings.REPORT_DEADLINE_S = 4.0
    settings.LLM_TIMEOUT_S = 30.0
    llm_mode.enqueue(Reply.hang(60))
    started = time.monotonic()
    body = await render(tenant)
    assert time.monotonic() - started < 6.0
    assert body["narrative_source"] == "template" and body["html"].startswith("<!DOCTYPE")


async def test_a_failing_model_gives_the_template_narrative(tenant, llm_mode):
    llm_mode.enqueue(*[Reply.error(500)] * 5)
    body = await render(tenant, role="finops")
    assert body["narrative_source"] == "template"
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert report.narrative_note.startswith("llm:")


async def test_offline_the_model_is_never_called(tenant, settings):
    settings.AI_TEXT_MODE = "auto"
    settings.LLM_API_KEY = ""
    settings.OPENROUTER_API_KEY = ""
    body = await render(tenant)
    assert body["narrative_source"] == "template"
