"""The service's spend today and its cap are exported for the InfrazenAgentDailyCapNear
alert, read from the shared counter when /metrics is scraped."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import metrics
from governance.budgets import budget_reserve
from governance.tests.helpers import policy
from ops.tests.test_metrics import _value

pytestmark = pytest.mark.django_db


def test_a_scrape_shows_todays_spend_and_the_cap(clock, settings):
    settings.AGENT_DAILY_CAP_RUB = 2500.0
    budget_reserve(policy=policy(1), tokens=1000, cost_usd=Decimal("1.25"))
    budget_reserve(policy=policy(2), tokens=1000, cost_usd=Decimal("0.5"))

    text = metrics.exposition().decode()

    assert _value(text, "infrazen_agent_spend_today_rub") == 175
    assert _value(text, "infrazen_agent_daily_cap_rub") == 2500


def test_after_moscow_midnight_the_spend_reads_zero_before_any_question(clock):
    budget_reserve(policy=policy(1), tokens=1000, cost_usd=Decimal("1.25"))
    assert _value(metrics.exposition().decode(), "infrazen_agent_spend_today_rub") == 125
    clock.now = clock.now.replace(hour=21)  # 00:00 in Moscow

    assert "\ninfrazen_agent_spend_today_rub 0.0\n" in metrics.exposition().decode()
