"""get_anomalies: unusual days in the user's daily cost series and what drove them.

The series is tools.daily_series (one point per day, DAILY costs); days whose only sync was
partial are left out, since a failed provider counts as 0 there and would read as a drop.
Detection is a rolling median with MAD over a centred 15-day window: see tools.anomalies for
the method and thresholds (|robust z| ≥ 3.5 and ≥ 10% off the baseline). Consecutive
anomalous days in the same direction are reported as one anomaly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools import anomalies
from tools.base import ArgsModel, Money, money, size_bound
from tools.daily_series import daily_points

NAME = "get_anomalies"
LABEL = "Ищу аномалии в расходах"
SCENARIOS = frozenset({"analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

MAX_ANOMALIES = 8
METHOD = (
    "Медиана по окну ±7 дней без самого дня и MAD; аномалия, если |0.6745·(x−медиана)/MAD| ≥ 3.5 "
    "и отклонение ≥ 10%."
)


class Args(ArgsModel):
    """Days when the current user's daily cloud cost broke from its usual level (spikes and
    drops), with the expected baseline and range, and the provider connections that drove
    each one."""

    time_range_days: int = Field(default=90, ge=7, le=180, description="Days to scan.")


class Driver(BaseModel):
    connection_name: str
    provider_type: str | None
    actual: Money
    baseline: Money
    delta: Money


class Anomaly(BaseModel):
    date: str = Field(description="First day of the anomaly.")
    end_date: str
    days: int
    direction: Literal["spike", "drop"]
    peak_date: str
    actual: Money = Field(description="Daily cost on the peak day.")
    expected: Money = Field(description="Baseline daily cost on the peak day.")
    expected_low: Money
    expected_high: Money
    deviation_percent: float
    excess_total: Money = Field(description="Sum of (actual − baseline) over all its days.")
    drivers: list[Driver]


class Result(BaseModel):
    time_range_days: int
    points_analysed: int
    method: str = METHOD
    anomalies: list[Anomaly] = Field(default_factory=list)
    note: str | None = None
    truncated: bool = False

    def summary(self) -> str:
        return f"Аномалий: {len(self.anomalies)}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    points = [
        anomalies.Point(day=p.day, total=p.daily_total, by_connection=p.by_connection)
        for p in daily_points(user=user, days=args.time_range_days)
        if not p.partial
    ]
    result = Result(time_range_days=args.time_range_days, points_analysed=len(points))
    if len(points) < anomalies.MIN_POINTS:
        result.note = f"Слишком мало данных: {len(points)} дн., нужно не меньше 7."
        return result
    types = {
        p.connection_name: p.provider_type
        for p in selectors.provider_list(user_id=user.pk).only(
            "connection_name", "provider_type", "user_id"
        )
    }
    found = anomalies.episodes(points)
    # The most recent first: that is what a user asks about.
    found.sort(key=lambda e: e.days[0].day, reverse=True)
    for episode in found[:MAX_ANOMALIES]:
        peak = episode.peak
        result.anomalies.append(
            Anomaly(
                date=episode.days[0].day.isoformat(),
                end_date=episode.days[-1].day.isoformat(),
                days=len(episode.days),
                direction=episode.direction,
                peak_date=peak.day.isoformat(),
                actual=money(peak.actual, "day"),
                expected=money(peak.baseline, "day"),
                expected_low=money(peak.low, "day"),
                expected_high=money(peak.high, "day"),
                deviation_percent=round(peak.deviation * 100, 1),
                excess_total=money(episode.excess, "one_time"),
                drivers=[
                    Driver(
                        connection_name=d.connection,
                        provider_type=types.get(d.connection),
                        actual=money(d.actual, "day"),
                        baseline=money(d.baseline, "day"),
                        delta=money(d.delta, "day"),
                    )
                    for d in peak.drivers
                ],
            )
        )
    result.truncated = len(found) > MAX_ANOMALIES
    return size_bound(result, "anomalies")
