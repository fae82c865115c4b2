"""A report under its user's budget (issue 20): a refused model call ships the template
narrative and says why; a model narrative stores its cost in roubles and settles the day."""

from __future__ import annotations

from decimal import Decimal

import pytest
from channels.db import database_sync_to_async

from governance.budgets import budget_status
from governance.policy import policy_for_id
from governance.tests.wiring import spend
from llm.fake_server import Reply
from reports.models import AgentReport
from reports.tests.client import render
from reports.tests.test_narrative import HONEST

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("budget_settings")]


@pytest.fixture
def llm_mode(settings, fake_llm):
    settings.AI_TEXT_MODE = "llm"
    return fake_llm


async def test_a_spent_user_gets_the_template_narrative(tenant, llm_mode):
    await database_sync_to_async(spend)(tenant.pk, rub="150")
    body = await render(tenant.pk, "cfo")
    assert body["narrative_source"] == "template" and body["html"].startswith("<!DOCTYPE")
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert report.narrative_note == "quota: rub_per_day"
    assert llm_mode.chat_requests() == []


async def test_a_model_narrative_stores_its_roubles_and_settles_the_day(tenant, llm_mode):
    llm_mode.enqueue(Reply.structured_output(HONEST, cost=0.03))
    body = await render(tenant.pk, "cfo")
    assert body["narrative_source"] == "llm"
    report = await AgentReport.objects.aget(uuid=body["report_id"])
    assert report.cost_rub == Decimal(3)
    policy = await database_sync_to_async(policy_for_id)(user_id=tenant.pk)
    status = await database_sync_to_async(budget_status)(policy=policy)
    assert status.rub_used == Decimal(3)
