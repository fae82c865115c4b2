"""A model call's settle and the calls-a-minute admission of the tools it asked for at once
(budget_settle_admit: one Redis script; on the database, the two as before)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.budgets import budget_reserve, budget_settle_admit, budget_status, tool_call_admit
from governance.refusals import LIMIT_TOOL_CALLS, QuotaExceeded
from governance.tests.backends import backend_use
from governance.tests.helpers import policy
from ops.ratelimit import rate_count

pytestmark = pytest.mark.django_db

ALICE = 8031


def _calls(tool: str) -> int:
    return rate_count(key=f"governance:tool:{tool}:{ALICE}", window_s=60)


def test_the_settle_corrects_and_each_tool_is_counted_in_its_window_in_turn(backend, clock):
    alice = policy(ALICE, tool_calls=2)
    tool_call_admit(policy=alice, tool="get_resources")  # the same window as the script's
    reservation = budget_reserve(policy=alice, tokens=1900, cost_usd=Decimal("0.05"))

    status, refusals = budget_settle_admit(
        reservation=reservation,
        tokens=700,
        cost_usd=Decimal("0.0123"),
        policy=alice,
        tools=["get_resources", "get_kpis", "get_resources"],
    )

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

    _, refusals = budget_settle_admit(
        reservation=reservation, tokens=0, cost_usd=0, policy=alice, tools=[]
    )

    assert refusals == []
    assert budget_status(policy=alice).tokens_used == 0


@pytest.mark.redis
def test_with_redis_failing_the_estimate_stays_and_the_database_counts_the_tools(settings, clock):
    backend_use("redis", settings)
    alice = policy(ALICE, tool_calls=1)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))
    real = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    lost = type(reservation)(**{**reservation.__dict__})

    status, refusals = budget_settle_admit(
        reservation=lost, tokens=0, cost_usd=0, policy=alice, tools=["get_kpis", "get_kpis"]
    )

    assert status is None and refusals[0] is None and refusals[1].limit == LIMIT_TOOL_CALLS
    settings.REDIS_URL = ""
    assert _calls("get_kpis") == 2
    settings.REDIS_URL = real
    assert budget_status(policy=alice).tokens_used == 1000
