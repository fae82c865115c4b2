"""Trends, overview and breakdowns: one point per day, daily and monthly labelled apart."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest

from conftest import make_provider, make_user
from infrazen.models import CompleteSync
from infrazen.values import parse_text_dict
from tools.base import MAX_RESULT_BYTES
from tools.registry import tool_run

DAY = date(2025, 3, 10)


@pytest.fixture
def carol(world):
    """A tenant of her own next to the demo data, with no sync yet."""
    user = make_user("carol@example.com")
    make_provider(user, "selectel", connection_name="s")
    return user


def sync(user, *, day: date, hour: int, status: str, total: float, by: dict[str, float]):
    return CompleteSync.objects.create(
        user=user,
        sync_type="scheduled",
        sync_status=status,
        sync_started_at=datetime.combine(day, time(hour)),
        total_daily_cost=total,
        total_monthly_cost=total * 30,
        cost_by_provider=json.dumps(by),
    )


def test_a_day_with_several_syncs_is_one_point_from_its_successful_sync(carol):
    sync(carol, day=DAY - timedelta(days=1), hour=3, status="success", total=100.0, by={"s": 100.0})
    sync(carol, day=DAY, hour=3, status="success", total=120.0, by={"s": 120.0})
    sync(carol, day=DAY, hour=9, status="partial", total=20.0, by={"s": 20.0})
    sync(carol, day=DAY, hour=12, status="error", total=0.0, by={})
    result = tool_run(user=carol, name="get_cost_trends", arguments_json="{}")
    assert [(p.date, p.daily_cost) for p in result.points] == [
        ((DAY - timedelta(days=1)).isoformat(), 100.0),
        (DAY.isoformat(), 120.0),
    ]
    assert result.day_over_day_change_percent == 20.0
    assert result.latest_monthly_run_rate.model_dump() == {
        "amount": 3600.0,
        "unit": "RUB",
        "period": "month",
    }


def test_day_over_day_compares_calendar_days_not_consecutive_syncs(carol):
    sync(carol, day=DAY - timedelta(days=3), hour=3, status="success", total=100.0, by={"s": 100.0})
    sync(carol, day=DAY, hour=3, status="success", total=150.0, by={"s": 150.0})
    trends = tool_run(user=carol, name="get_cost_trends", arguments_json="{}")
    overview = tool_run(user=carol, name="get_analytics_overview", arguments_json="{}")
    assert trends.day_over_day_change_percent is None
    assert overview.change_vs_previous_day_percent is None
    assert trends.change_over_range_percent == 50.0


def test_a_day_with_only_a_partial_sync_is_used_and_flagged(carol):
    sync(carol, day=DAY, hour=3, status="partial", total=80.0, by={"s": 80.0})
    result = tool_run(user=carol, name="get_provider_breakdown", arguments_json="{}")
    assert result.partial_sync is True
    assert result.total_daily_cost.amount == 80.0


def test_long_ranges_are_averaged_into_buckets_and_stay_small(world):
    result = tool_run(
        user=world.alice,
        name="get_cost_trends",
        arguments_json='{"time_range_days": 365, "include_provider_breakdown": true}',
    )
    assert result.bucket_days == 9
    assert len(result.points) == 10  # alice has 90 days of syncs
    assert all(len(s.daily_costs) == len(result.points) for s in result.provider_series)
    daily = tool_run(user=world.alice, name="get_cost_trends", arguments_json="{}")
    assert daily.bucket_days == 1 and len(daily.points) == 30


def test_provider_breakdown_monthly_is_the_daily_cost_by_provider_times_thirty(world):
    result = tool_run(user=world.alice, name="get_provider_breakdown", arguments_json="{}")
    latest = CompleteSync.objects.filter(user=world.alice, sync_status="success").latest(
        "sync_started_at"
    )
    daily = parse_text_dict(latest.cost_by_provider)
    assert {p.connection_name for p in result.providers} == set(daily)
    for provider in result.providers:
        assert provider.daily_cost.period == "day"
        assert provider.monthly_cost.period == "month"
        assert provider.daily_cost.amount == pytest.approx(
            daily[provider.connection_name], abs=0.01
        )
        assert provider.monthly_cost.amount == pytest.approx(
            daily[provider.connection_name] * 30, abs=0.01
        )
        assert provider.id is not None
    # total_monthly_cost is a MySQL FLOAT column: about 7 significant digits on MariaDB.
    assert result.total_monthly_cost.amount == pytest.approx(latest.total_monthly_cost, rel=1e-5)
    assert sum(p.share_percent for p in result.providers) == pytest.approx(100, abs=0.2)


def test_service_breakdown_comes_from_live_resources_with_monthly_costs(world):
    result = tool_run(
        user=world.alice, name="get_service_breakdown", arguments_json='{"top_n": 10}'
    )
    compute = next(s for s in result.services if s.service_name == "Compute Cloud")
    assert compute.monthly_cost.amount > 0  # resource_states would give 0 for Yandex
    assert compute.monthly_cost.period == "month"
    assert len(compute.top_resources) <= 3
    listed = sum(s.monthly_cost.amount for s in result.services)
    other = result.other_monthly_cost.amount if result.other_monthly_cost else 0.0
    assert listed + other == pytest.approx(result.total_monthly_cost.amount, abs=0.5)


def test_many_connections_over_many_days_still_fit_and_say_they_were_cut(carol):
    by = {f"Connection number {i}": 1234.56 + i for i in range(8)}
    for days_ago in range(45):
        day = DAY - timedelta(days=days_ago)
        sync(carol, day=day, hour=3, status="success", total=sum(by.values()), by=by)
    result = tool_run(
        user=carol,
        name="get_cost_trends",
        arguments_json='{"time_range_days": 45, "include_provider_breakdown": true}',
    )
    assert result.truncated is True
    assert len(result.model_dump_json().encode()) <= MAX_RESULT_BYTES
    assert result.points[-1].date == DAY.isoformat()
    assert all(len(s.daily_costs) == len(result.points) for s in result.provider_series)
