"""A settle reports the user's budget after it, from its own round trip (the chat's final
frame shows it without reading the budget again), and one store serves every call."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from governance.budgets import budget_reserve, budget_settle, budget_status
from governance.store import budget_store
from governance.tests.backends import backend_use
from governance.tests.helpers import policy

pytestmark = pytest.mark.django_db

ALICE = 8011


def test_the_status_a_settle_reports_is_budget_status_after_it(backend, clock):
    alice = policy(ALICE, rub=150, tokens=50_000)
    budget_reserve(policy=alice, tokens=900, cost_usd=Decimal("0.02"))
    reservation = budget_reserve(policy=alice, tokens=1900, cost_usd=Decimal("0.05"))

    reported = budget_settle(
        reservation=reservation, tokens=700, cost_usd=Decimal("0.0123"), status=True
    )

    assert reported == budget_status(policy=alice)
    assert (reported.tokens_used, reported.rub_used) == (1600, Decimal("3.23"))


@pytest.mark.redis
def test_on_redis_every_settle_reports_the_status_unasked(settings, clock):
    backend_use("redis", settings)
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))

    reported = budget_settle(reservation=reservation, tokens=500, cost_usd=Decimal("0.02"))

    assert reported == budget_status(policy=alice)


def test_the_database_reads_the_status_only_when_asked(clock):
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))

    assert budget_settle(reservation=reservation, tokens=500, cost_usd=Decimal("0.02")) is None
    assert budget_status(policy=alice).rub_used == Decimal(2)


def test_a_settle_of_a_day_already_over_reports_no_status(backend, clock):
    """Its counters are yesterday's: the final frame reads today's budget instead."""
    alice = policy(ALICE)
    clock.now = datetime(2026, 12, 7, 20, 59, 0)  # 23:59 in Moscow
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.10"))
    clock.now = datetime(2026, 12, 7, 21, 1, 0)

    settled = budget_settle(
        reservation=reservation, tokens=400, cost_usd=Decimal("0.02"), status=True
    )

    assert settled is None
    assert budget_status(policy=alice).rub_used == 0


def test_a_settle_that_fails_reports_no_status_and_does_not_raise(settings, clock):
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))
    lost = type(reservation)(**{**reservation.__dict__, "store": "redis"})
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    assert budget_settle(reservation=lost, tokens=0, cost_usd=0, status=True) is None


def test_one_redis_store_per_url_and_process():
    assert budget_store("redis://127.0.0.1:1/0") is budget_store("redis://127.0.0.1:1/0")
    assert budget_store("redis://127.0.0.1:1/0") is not budget_store("redis://127.0.0.1:1/1")
