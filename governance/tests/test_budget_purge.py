"""Budget counters do not pile up: the database's rows of Moscow days past
AGENT_BUDGET_COUNTERS_KEEP_DAYS go (`manage.py budget_counters_purge`, a daily timer), today's
and the kept days' stay; Redis's keys expire on their own."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from governance.budgets import budget_counters_purge, budget_reserve, budget_status
from governance.models import BudgetCounter
from governance.store import REDIS_TTL_S, RedisBudgetStore
from governance.tests.helpers import policy

pytestmark = pytest.mark.django_db

ALICE = 8001
TODAY = date(2026, 12, 7)  # the `clock` fixture's Moscow day


def _counter(day: date, scope: str = "rub") -> None:
    BudgetCounter.objects.create(scope=scope, subject=str(ALICE), day=day, used=5)


def _days() -> list[date]:
    return sorted(set(BudgetCounter.objects.values_list("day", flat=True)))


def test_rows_past_the_kept_days_go_and_todays_stay(clock, settings):
    settings.AGENT_BUDGET_COUNTERS_KEEP_DAYS = 35
    budget_reserve(policy=policy(ALICE), tokens=100, cost_usd=Decimal("0.01"))
    for day in (date(2026, 11, 2), date(2026, 11, 1), date(2026, 10, 1), date(2025, 12, 7)):
        _counter(day)

    assert budget_counters_purge() == 3
    # 35 days before 7 December is 2 November: kept, with today's three counters.
    assert _days() == [date(2026, 11, 2), TODAY]
    assert BudgetCounter.objects.filter(day=TODAY).count() == 3
    assert budget_status(policy=policy(ALICE)).tokens_used > 0


def test_the_command_takes_the_days_to_keep_and_says_how_many_went(clock):
    _counter(TODAY)
    _counter(date(2026, 12, 6))
    _counter(date(2026, 12, 5))
    out = StringIO()
    call_command("budget_counters_purge", "--keep-days", "1", stdout=out)

    assert out.getvalue().strip() == "purged 1 budget counters"
    assert _days() == [date(2026, 12, 6), TODAY]
    call_command("budget_counters_purge", "--keep-days", "0", stdout=StringIO())
    assert _days() == [TODAY]


@pytest.mark.redis
def test_redis_counters_expire_by_themselves(clock, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    budget_reserve(policy=policy(ALICE), tokens=100, cost_usd=Decimal("0.01"))
    keys = store.client.keys(f"agent:budget:{TODAY.isoformat()}:*:{ALICE}")

    assert keys
    assert all(0 < store.client.ttl(key) <= REDIS_TTL_S for key in keys)
    assert BudgetCounter.objects.count() == 0
