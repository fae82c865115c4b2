"""Robust anomaly detection on a daily cost series (used by the get_anomalies tool).

Method, for every day x_t of the series:
- baseline m_t = median of the days within ±7 calendar days of t, t itself excluded (a centred
  15-day window; at the ends of the series the window is one-sided). At least 6 neighbours
  are needed, otherwise the day is not judged;
- spread MAD_t = median |x_j − m_t| over the same neighbours, floored at 1% of m_t so a flat
  series (MAD = 0) cannot turn a rounding difference into an anomaly;
- robust z_t = 0.6745 · (x_t − m_t) / MAD_t (0.6745 makes MAD comparable to a standard
  deviation for normal noise);
- the day is anomalous when |z_t| ≥ 3.5 AND |x_t − m_t| / m_t ≥ 10%: the z-score says "not
  noise", the relative floor says "big enough to matter" (weekend dips of a few percent are
  regular, not anomalies);
- the expected range is the band where a day is NOT flagged:
  m_t ± max(3.5 · MAD_t / 0.6745, 10% · m_t).
Consecutive flagged days in the same direction form one episode. Medians ignore the outliers
around them, so a multi-day episode does not hide itself by shifting its own baseline.
Drivers: for each provider connection, the same median baseline over the same neighbours;
the connections whose cost moved most from their own baseline (by absolute amount) drove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

WINDOW_HALF_DAYS = 7
MIN_NEIGHBOURS = 6
MIN_POINTS = 7
Z_THRESHOLD = 3.5
MIN_RELATIVE_DEVIATION = 0.10
MAD_FLOOR_SHARE = 0.01
MAD_TO_SIGMA = 0.6745


@dataclass(frozen=True)
class Driver:
    connection: str
    actual: float
    baseline: float

    @property
    def delta(self) -> float:
        return self.actual - self.baseline


@dataclass(frozen=True)
class FlaggedDay:
    day: date
    actual: float
    baseline: float
    low: float
    high: float
    z: float
    drivers: tuple[Driver, ...]

    @property
    def deviation(self) -> float:
        return (self.actual - self.baseline) / self.baseline

    @property
    def direction(self) -> str:
        return "spike" if self.actual > self.baseline else "drop"


@dataclass(frozen=True)
class Episode:
    days: tuple[FlaggedDay, ...]

    @property
    def direction(self) -> str:
        return self.days[0].direction

    @property
    def peak(self) -> FlaggedDay:
        return max(self.days, key=lambda d: abs(d.actual - d.baseline))

    @property
    def excess(self) -> float:
        """Money above (or below) the baseline over the whole episode."""
        return sum(d.actual - d.baseline for d in self.days)


@dataclass(frozen=True)
class Point:
    day: date
    total: float
    by_connection: dict[str, float]


def _neighbours(points: list[Point], index: int) -> list[Point]:
    day = points[index].day
    return [
        p
        for j, p in enumerate(points)
        if j != index and abs((p.day - day).days) <= WINDOW_HALF_DAYS
    ]


def _drivers(point: Point, neighbours: list[Point], limit: int) -> tuple[Driver, ...]:
    drivers = []
    for connection, actual in point.by_connection.items():
        history = [p.by_connection[connection] for p in neighbours if connection in p.by_connection]
        baseline = median(history) if history else 0.0
        drivers.append(Driver(connection=connection, actual=actual, baseline=baseline))
    drivers.sort(key=lambda d: abs(d.delta), reverse=True)
    return tuple(drivers[:limit])


def flag_days(points: list[Point], *, drivers: int = 2) -> list[FlaggedDay]:
    """The anomalous days of a series sorted by day (see the module docstring)."""
    flagged = []
    for index, point in enumerate(points):
        neighbours = _neighbours(points, index)
        if len(neighbours) < MIN_NEIGHBOURS:
            continue
        values = [p.total for p in neighbours]
        baseline = median(values)
        if baseline <= 0:
            continue
        mad = max(median(abs(v - baseline) for v in values), MAD_FLOOR_SHARE * baseline)
        z = MAD_TO_SIGMA * (point.total - baseline) / mad
        relative = abs(point.total - baseline) / baseline
        half_band = max(Z_THRESHOLD * mad / MAD_TO_SIGMA, MIN_RELATIVE_DEVIATION * baseline)
        if abs(z) >= Z_THRESHOLD and relative >= MIN_RELATIVE_DEVIATION:
            flagged.append(
                FlaggedDay(
                    day=point.day,
                    actual=point.total,
                    baseline=baseline,
                    low=max(0.0, baseline - half_band),
                    high=baseline + half_band,
                    z=z,
                    drivers=_drivers(point, neighbours, drivers),
                )
            )
    return flagged


def episodes(points: list[Point], *, drivers: int = 2) -> list[Episode]:
    """Flagged days grouped into runs of consecutive days in the same direction."""
    runs: list[list[FlaggedDay]] = []
    for day in sorted(flag_days(points, drivers=drivers), key=lambda d: d.day):
        last = runs[-1][-1] if runs else None
        if last and (day.day - last.day).days == 1 and day.direction == last.direction:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [Episode(days=tuple(run)) for run in runs]
