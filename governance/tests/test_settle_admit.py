"""A model call's settle, the calls-a-minute admission of the tools it asked for and the
reservation of the call that reads their results at once (budget_settle_admit: one Redis
script; on the database, the three as before)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.budgets import budget_reserve, budget_status, rub_units
from governance.per_minute import tool_call_admit
from governance.refusals import LIMIT_TOKENS, LIMIT_TOOL_CALLS, QuotaExceeded
from governance.tests.backends import backend_use
from governance.tests.helpers import policy
from governance.trips import Estimate, budget_settle_admit
from ops.ratelimit import rate_count

pytestmark = pytest.mark.django_db

ALICE = 8031


def _calls(tool: str) -> int:
    return rate_count(key=f"governance:tool:{tool}:{ALICE}", window_s=60)


def test_the_settle_corrects_and_each_tool_is_counted_in_its_window_in_turn(backend, clock):
    alice = policy(ALICE, tool_calls=2)
    tool_call_admit(policy=alice, tool="get_resources")  # the same window as the script's
    reservation = budget_reserve(policy=alice, tokens=1900, cost_usd=Decimal("0.05"))

    settled = budget_settle_admit(
        reservation=reservation,
        tokens=700,
        cost_usd=Decimal("0.0123"),
        policy=alice,
        tools=["get_resources", "get_kpis", "get_resources"],
    )

    refusals, status = settled.refusals, settled.status
    assert settled.ahead is None
    assert refusals[:2] == [None, None]
    assert isinstance(refusals[2], QuotaExceeded)
    assert (refusals[2].limit, refusals[2].tool) == (LIMIT_TOOL_CALLS, "get_resources")
    assert (_calls("get_resources"), _calls("get_kpis")) == (3, 1)
    now = budget_status(policy=alice)
    assert (now.tokens_used, now.rub_used) == (700, Decimal("1.23"))
    assert status in (None, now)  # the database reads it only for an answer's last settle
    if backend == "redis":
        assert status == now


def test_with_no_tools_it_is_a_settle(backend, clock):
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))

    settled = budget_settle_admit(
        reservation=reservation, tokens=0, cost_usd=0, policy=alice, tools=[]
    )

    assert settled.refusals == [] and settled.ahead is None
    assert budget_status(policy=alice).tokens_used == 0


@pytest.mark.redis
def test_with_redis_failing_the_estimate_stays_and_the_database_counts_the_tools(settings, clock):
    backend_use("redis", settings)
    alice = policy(ALICE, tool_calls=1)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))
    real = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    lost = type(reservation)(**{**reservation.__dict__})

    settled = budget_settle_admit(
        reservation=lost,
        tokens=0,
        cost_usd=0,
        policy=alice,
        tools=["get_kpis", "get_kpis"],
        ahead=Estimate(300, Decimal("0.01")),
    )

    status, refusals = settled.status, settled.refusals
    assert status is None and refusals[0] is None and refusals[1].limit == LIMIT_TOOL_CALLS
    assert settled.ahead.store == "database"  # reserved where it could be
    settings.REDIS_URL = ""
    assert _calls("get_kpis") == 2
    assert budget_status(policy=alice).tokens_used == 300
    settings.REDIS_URL = real
    assert budget_status(policy=alice).tokens_used == 1000


def test_the_next_calls_reservation_is_made_on_the_settled_counters(backend, clock):
    """The settle's correction first, then the next call's check and charge: a budget the
    first call's estimate had filled admits the next call once settled."""
    alice = policy(ALICE, tokens=3000)
    reservation = budget_reserve(policy=alice, tokens=3000, cost_usd=Decimal("0.03"))

    settled = budget_settle_admit(
        reservation=reservation,
        tokens=800,
        cost_usd=Decimal("0.01"),
        policy=alice,
        tools=["get_kpis"],
        ahead=Estimate(1500, Decimal("0.02")),
    )

    assert settled.refusals == [None]
    assert settled.ahead.tokens == 1500
    assert settled.ahead.rub_units == rub_units(cost_usd=Decimal("0.02"))
    assert budget_status(policy=alice).tokens_used == 800 + 1500
    if backend == "redis":
        assert settled.status.tokens_used == 800  # as settled, before the next call's charge


def test_a_next_call_over_the_budget_is_refused_and_nothing_charged(backend, clock):
    alice = policy(ALICE, tokens=3000)
    reservation = budget_reserve(policy=alice, tokens=3000, cost_usd=Decimal("0.03"))

    settled = budget_settle_admit(
        reservation=reservation,
        tokens=3000,
        cost_usd=Decimal("0.03"),
        policy=alice,
        tools=["get_kpis"],
        ahead=Estimate(1500, Decimal("0.02")),
    )

    assert isinstance(settled.ahead, QuotaExceeded)
    assert settled.ahead.limit == LIMIT_TOKENS
    assert settled.refusals == [None]  # the tools are admitted all the same
    assert budget_status(policy=alice).tokens_used == 3000
