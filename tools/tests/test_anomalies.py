"""Anomaly detection finds the planted anomalies of the demo data and nothing on flat series."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta

from conftest import make_user
from demo_data.personas import ALICE_EMAIL, PLANTED_ANOMALIES
from infrazen.models import CompleteSync
from tools import anomalies
from tools.registry import tool_run

START = date(2025, 1, 1)


def series(values: list[float]) -> list[anomalies.Point]:
    return [
        anomalies.Point(day=START + timedelta(days=i), total=v, by_connection={"main": v})
        for i, v in enumerate(values)
    ]


def test_on_the_demo_data_it_finds_exactly_the_three_planted_anomalies(world):
    result = tool_run(user=world.alice, name="get_anomalies", arguments_json="{}")
    anchor = CompleteSync.objects.filter(user=world.alice).latest("sync_started_at")
    anchor_day = anchor.sync_started_at.date()
    expected = {
        (
            (anchor_day - timedelta(days=max(p.days_ago))).isoformat(),
            (anchor_day - timedelta(days=min(p.days_ago))).isoformat(),
        ): p
        for p in PLANTED_ANOMALIES
        if p.user_email == ALICE_EMAIL
    }
    found = {(a.date, a.end_date): a for a in result.anomalies}
    assert set(found) == set(expected)
    for key, planted in expected.items():
        anomaly = found[key]
        assert anomaly.direction == planted.kind
        assert anomaly.days == len(planted.days_ago)
        assert anomaly.drivers[0].connection_name == planted.connection_name
        assert anomaly.drivers[0].provider_type == planted.provider_type
        assert (
            anomaly.expected_low.amount <= anomaly.expected.amount <= anomaly.expected_high.amount
        )
        assert (
            not anomaly.expected_low.amount <= anomaly.actual.amount <= anomaly.expected_high.amount
        )
        assert abs(anomaly.deviation_percent) >= 10
        assert anomaly.actual.period == anomaly.expected.period == "day"


def test_bob_has_no_planted_anomaly_and_gets_none(world):
    result = tool_run(user=world.bob, name="get_anomalies", arguments_json="{}")
    assert result.points_analysed == 30
    assert result.anomalies == []


def test_a_constant_series_has_no_anomaly():
    assert anomalies.episodes(series([1000.0] * 60)) == []


def test_a_gently_trending_noisy_series_with_weekends_has_no_anomaly():
    rng = random.Random(7)
    values = [
        1000 * (1 + 0.004 * i) * (0.95 if i % 7 in (5, 6) else 1.0) * (1 + rng.uniform(-0.02, 0.02))
        for i in range(120)
    ]
    assert anomalies.episodes(series(values)) == []


def test_a_single_spike_and_a_multi_day_drop_are_found_as_two_episodes():
    values = [1000.0 + (i % 3) for i in range(60)]
    values[20] = 1500.0
    values[40:43] = [700.0, 690.0, 710.0]
    found = anomalies.episodes(series(values))
    assert [(e.direction, len(e.days)) for e in found] == [("spike", 1), ("drop", 3)]
    assert found[0].days[0].day == START + timedelta(days=20)
    assert found[0].days[0].drivers[0].connection == "main"


def test_a_small_but_statistically_odd_day_is_not_an_anomaly():
    values = [1000.0] * 30
    values[15] = 1080.0  # z is huge on a flat series, but 8% is under the 10% floor
    assert anomalies.episodes(series(values)) == []


def test_a_short_series_gives_an_empty_list_with_a_note(world):
    bob = make_user("carol@example.com")
    for days_ago in range(5):
        CompleteSync.objects.create(
            user=bob,
            sync_type="scheduled",
            sync_status="success",
            sync_started_at=datetime.combine(date(2025, 3, 10) - timedelta(days=days_ago), time(3)),
            total_daily_cost=100.0 * (1 + days_ago),
            cost_by_provider=json.dumps({"selectel-carol": 100.0}),
        )
    result = tool_run(user=bob, name="get_anomalies", arguments_json="{}")
    assert result.anomalies == []
    assert result.points_analysed == 5
    assert "7" in result.note
