"""One cost point per calendar day from the user's complete syncs.

InfraZen writes a complete sync per run, sometimes several a day, and some of them fail. A
day's point is its latest *successful* sync; a day that has none falls back to its latest
*partial* sync (flagged `partial`, because a failed provider counts as 0 in it and would read
as a drop). Days with only running or failed syncs have no point. Dates are the server-local
date of `sync_started_at`, the clock InfraZen itself writes.

`total_daily_cost` and `cost_by_provider` are DAILY amounts; the monthly run-rate is × 30
(contract §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from infrazen import selectors
from infrazen.models import CompleteSync, InfraZenUser
from infrazen.values import parse_text_dict
from tools.base import shared_value

STATUS_SUCCESS = "success"
STATUS_PARTIAL = "partial"
_RANK = {STATUS_SUCCESS: 2, STATUS_PARTIAL: 1}


@dataclass(frozen=True)
class DayPoint:
    day: date
    daily_total: float
    by_connection: dict[str, float] = field(default_factory=dict)
    partial: bool = False
    sync_id: int | None = None


def _amount(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def day_point(sync: CompleteSync) -> DayPoint:
    raw = parse_text_dict(sync.cost_by_provider, field="cost_by_provider")
    by_connection = {
        str(name): amount for name, value in raw.items() if (amount := _amount(value)) is not None
    }
    return DayPoint(
        day=sync.sync_started_at.date(),
        daily_total=float(sync.total_daily_cost or 0.0),
        by_connection=by_connection,
        partial=sync.sync_status == STATUS_PARTIAL,
        sync_id=sync.pk,
    )


def daily_points(*, user: InfraZenUser, days: int, until: date | None = None) -> list[DayPoint]:
    """Oldest first: one point per day for the `days` days ending at the latest synced day.

    Within `lookups_shared()` (a chat's context pack runs four tools over the same days) the
    syncs are read once, for the widest window asked, and narrower ones are cut from it.
    """
    syncs = selectors.complete_sync_list(
        user_id=user.pk, statuses=[STATUS_SUCCESS, STATUS_PARTIAL]
    ).only(
        "id", "sync_status", "sync_started_at", "total_daily_cost", "cost_by_provider", "user_id"
    )
    if until is None:
        until = shared_value(("latest_synced_day", user.pk), lambda: _latest_day(syncs))
        if until is None:
            return []
    start = until - timedelta(days=days - 1)
    window = shared_value(("daily_points", user.pk, until), dict)
    if window.get("start", date.max) > start:
        window.update(start=start, points=_points_read(syncs, start=start, until=until))
    return [point for point in window["points"] if point.day >= start]


def _latest_day(syncs: QuerySet[CompleteSync]) -> date | None:
    latest = syncs.first()
    return None if latest is None else latest.sync_started_at.date()


def _points_read(syncs: QuerySet[CompleteSync], *, start: date, until: date) -> list[DayPoint]:
    # complete_sync_list is latest first; keep the best-ranked, then latest, sync of each day.
    chosen: dict[date, CompleteSync] = {}
    window = syncs.filter(
        sync_started_at__gte=datetime.combine(start, time.min),
        sync_started_at__lt=datetime.combine(until + timedelta(days=1), time.min),
    )
    for sync in window:
        day = sync.sync_started_at.date()
        best = chosen.get(day)
        if best is None or _RANK[sync.sync_status] > _RANK[best.sync_status]:
            chosen[day] = sync
    return [day_point(chosen[day]) for day in sorted(chosen)]


def latest_point(*, user: InfraZenUser) -> DayPoint | None:
    points = daily_points(user=user, days=1)
    return points[-1] if points else None
