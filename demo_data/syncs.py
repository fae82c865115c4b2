"""A persona's sync history: complete_syncs, their per-provider snapshots and references, and
the resource_states of the latest successful syncs.

Known simplification: resource_states are attached to the snapshot that
provider_sync_references points at and carry the resource's effective_cost in its own unit
(live Yandex/Selectel rows hold 0.0 on a separate snapshot, contract §1).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from demo_data.personas import PLANTED_ANOMALIES, STATE_SYNCS
from demo_data.seeder import Seeder, as_json
from infrazen.models import (
    CompleteSync,
    ProviderSyncReference,
    Resource,
    ResourceState,
    SyncSnapshot,
)

GROWTH_PER_DAY = 0.12 / 89  # costs grew about 12% over the 90 days
NOISE_SIGMA = 0.01
NOISE_CAP = 0.025
WEEKLY = {  # weekday multipliers, Monday first: dev/stage servers scale down on weekends
    "yandex": (1.0, 1.0, 1.0, 1.0, 1.0, 0.94, 0.93),
    "selectel": (1.0, 1.0, 1.0, 1.0, 1.0, 0.98, 0.98),
    "beget": (1.0,) * 7,
}

SYNC_ERRORS = {
    "yandex": "Yandex Cloud API: deadline exceeded while listing compute instances",
    "selectel": "Selectel billing API returned HTTP 502",
    "beget": "Beget API: authentication token expired",
}

# (days_ago, started, sync_status, failed provider types)
_Attempt = tuple[int, datetime, str, tuple[str, ...]]


def _cost_series(s: Seeder) -> dict[int, dict[str, float]]:
    """Daily cost per provider type for every sync day: trend × weekday × noise."""
    current: dict[str, float] = {}
    for r in s.resources.values():
        ptype = r.provider.provider_type
        current[ptype] = current.get(ptype, 0.0) + r.daily_cost
    anchor_wd = s.anchor.weekday()
    anomalies = [a for a in PLANTED_ANOMALIES if a.user_email == s.email]
    series: dict[int, dict[str, float]] = {}
    for days_ago in range(s.days - 1, -1, -1):
        weekday = s.day(days_ago).weekday()
        costs = {}
        for ptype in s.providers:
            weekly = WEEKLY[ptype][weekday] / WEEKLY[ptype][anchor_wd]
            noise = 0.0
            if days_ago:
                noise = max(-NOISE_CAP, min(NOISE_CAP, s.rng.gauss(0, NOISE_SIGMA)))
            trend = 1 - GROWTH_PER_DAY * days_ago
            costs[ptype] = current[ptype] * trend * weekly * (1 + noise)
        normal_total = sum(costs.values())
        for anomaly in anomalies:
            if days_ago in anomaly.days_ago:
                costs[anomaly.provider_type] += anomaly.total_change * normal_total
        series[days_ago] = {ptype: round(cost, 2) for ptype, cost in costs.items()}
    return series


def _plan(s: Seeder) -> list[_Attempt]:
    """Every sync attempt, oldest first; a failed one runs a little before that day's success,
    so the latest sync of every day is the successful one."""
    failures = {days_ago: (status, failed) for days_ago, status, failed in s.persona.failed_syncs}
    plan: list[_Attempt] = []
    for days_ago in range(s.days - 1, -1, -1):
        if days_ago in failures:
            status, failed = failures[days_ago]
            plan.append((days_ago, s.sync_time(days_ago) - timedelta(minutes=47), status, failed))
        plan.append((days_ago, s.sync_time(days_ago), "success", ()))
    return plan


def _complete_sync(
    s: Seeder,
    attempt: _Attempt,
    *,
    costs: dict[str, float],
    present: dict[str, list[Resource]],
    active: int,
) -> CompleteSync:
    days_ago, started, status, failed = attempt
    ok = [p for p in s.providers if p not in failed]
    duration = 40 + (days_ago * 13) % 150
    daily_total = round(sum(costs[p] for p in ok), 2)
    errors = [{"provider": s.providers[p].connection_name, "error": SYNC_ERRORS[p]} for p in failed]
    return CompleteSync(
        user=s.user,
        sync_type="scheduled",
        sync_status=status,
        sync_started_at=started,
        sync_completed_at=started + timedelta(seconds=duration),
        sync_duration_seconds=duration,
        total_providers_synced=len(s.providers),
        successful_providers=len(ok),
        failed_providers=len(failed),
        total_resources_found=sum(len(present[p]) for p in ok),
        total_daily_cost=daily_total,
        total_monthly_cost=round(daily_total * 30, 2),
        cost_by_provider=as_json({s.providers[p].connection_name: costs[p] for p in ok}),
        resources_by_provider=as_json(
            {s.providers[p].connection_name: len(present[p]) for p in ok}
        ),
        error_message=f"{len(failed)} provider(s) failed" if failed else None,
        error_details=as_json({"provider_errors": errors}) if failed else None,
        sync_config=as_json(
            {
                "initiated_by": "scheduler",
                "recommendations_summary": {"total_active": active}
                if status == "success"
                else None,
            }
        ),
        created_at=started,
        updated_at=started + timedelta(seconds=duration),
    )


def _snapshot(
    s: Seeder,
    ptype: str,
    *,
    start: datetime,
    seconds: int,
    cost: float,
    rows: list[Resource],
    days_ago: int,
    bad: bool,
) -> SyncSnapshot:
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for r in rows:
        by_type[r.resource_type] = by_type.get(r.resource_type, 0) + 1
        by_status[r.status] = by_status.get(r.status, 0) + 1
    created = sum(1 for r in rows if s.first_seen[r.resource_name] == days_ago)
    updated = sum(1 for n, (d, _) in s.updates.items() if d == days_ago and s.resources[n] in rows)
    error = SYNC_ERRORS[ptype]
    return SyncSnapshot(
        provider=s.providers[ptype],
        sync_type="complete_sync",
        sync_status="error" if bad else "success",
        sync_started_at=start,
        sync_completed_at=start + timedelta(seconds=seconds),
        sync_duration_seconds=seconds,
        total_resources_found=0 if bad else len(rows),
        resources_created=0 if bad else created,
        resources_updated=0 if bad else updated,
        resources_unchanged=0 if bad else len(rows) - created - updated,
        total_monthly_cost=cost,  # the plugin's daily total (contract §1)
        total_resources_by_type=None if bad else as_json(by_type),
        total_resources_by_status=None if bad else as_json(by_status),
        error_message=error if bad else None,
        error_details=as_json({"error": error}) if bad else None,
        sync_config=as_json(
            {
                "sync_success": not bad,
                "resources_synced": 0 if bad else len(rows),
                "total_cost": cost,
                "errors": [error] if bad else [],
            }
        ),
        created_at=start,
        updated_at=start + timedelta(seconds=seconds),
    )


def _ids_fill(s: Seeder, syncs: list[CompleteSync], snapshots: list[SyncSnapshot]) -> None:
    """MySQL returns no ids from bulk inserts: read them back by natural keys."""
    sync_ids = {x.sync_started_at: x.pk for x in CompleteSync.objects.filter(user=s.user)}
    for sync in syncs:
        sync.pk = sync_ids[sync.sync_started_at]
    snap_ids = {
        (x.provider_id, x.sync_started_at): x.pk
        for x in SyncSnapshot.objects.filter(provider__user=s.user)
    }
    for snapshot in snapshots:
        snapshot.pk = snap_ids[(snapshot.provider_id, snapshot.sync_started_at)]


def syncs_save(s: Seeder) -> None:
    series = _cost_series(s)
    active = sum(1 for rec in s.recs if rec.status in ("pending", "seen"))
    by_provider: dict[str, list[Resource]] = {}
    for r in s.resources.values():
        by_provider.setdefault(r.provider.provider_type, []).append(r)

    syncs, snapshots, meta = [], [], []
    for attempt in _plan(s):
        days_ago, started, status, failed = attempt
        costs = {p: (0.0 if p in failed else c) for p, c in series[days_ago].items()}
        present = {
            p: [r for r in rs if s.first_seen[r.resource_name] >= days_ago]
            for p, rs in by_provider.items()
        }
        sync = _complete_sync(s, attempt, costs=costs, present=present, active=active)
        syncs.append(sync)
        offset = 0
        for order, ptype in enumerate(s.providers, start=1):
            seconds = max(5, sync.sync_duration_seconds // len(s.providers))
            snapshot = _snapshot(
                s,
                ptype,
                start=started + timedelta(seconds=offset),
                seconds=seconds,
                cost=costs[ptype],
                rows=present[ptype],
                days_ago=days_ago,
                bad=ptype in failed,
            )
            offset += seconds
            snapshots.append(snapshot)
            meta.append((sync, snapshot, order, days_ago, status, present[ptype]))

    CompleteSync.objects.bulk_create(syncs)
    SyncSnapshot.objects.bulk_create(snapshots)
    if any(x.pk is None for x in syncs):
        _ids_fill(s, syncs, snapshots)
    _references_and_states_save(s, meta)


def _references_and_states_save(s: Seeder, meta: list[tuple[Any, ...]]) -> None:
    references, states = [], []
    for sync, snapshot, order, days_ago, status, rows in meta:
        bad = snapshot.sync_status == "error"
        references.append(
            ProviderSyncReference(
                complete_sync_id=sync.pk,
                provider=snapshot.provider,
                sync_snapshot_id=snapshot.pk,
                sync_order=order,
                sync_status="error" if bad else "success",
                sync_duration_seconds=snapshot.sync_duration_seconds,
                resources_synced=snapshot.total_resources_found,
                provider_cost=snapshot.total_monthly_cost,
                error_message=snapshot.error_message,
                created_at=snapshot.sync_completed_at,
                updated_at=snapshot.sync_completed_at,
            )
        )
        if status == "success" and days_ago < STATE_SYNCS and not bad:
            states.extend(_states(s, snapshot, days_ago, rows))
    ProviderSyncReference.objects.bulk_create(references)
    ResourceState.objects.bulk_create(states, batch_size=500)


def _state_at(s: Seeder, r: Resource, days_ago: int) -> tuple[str, Any, Any, Any]:
    """(state_action, previous, current, changes) of one resource at one sync."""
    current = {
        "resource_name": r.resource_name,
        "resource_type": r.resource_type,
        "status": r.status,
        "region": r.region,
        "effective_cost": r.effective_cost,
    }
    previous: dict[str, Any] | None = dict(current)
    action, changes = "unchanged", None
    update_day, update = s.updates.get(r.resource_name, (None, {}))
    if update_day is not None and days_ago > update_day:
        for field, (before, _after) in update.items():
            if field in current:
                current[field] = before
        previous = dict(current)
    if s.first_seen[r.resource_name] == days_ago:
        action, previous = "created", None
    elif update_day == days_ago:
        action = "updated"
        changes = {f: {"previous": b, "current": a} for f, (b, a) in update.items()}
        for field, (before, _after) in update.items():
            if field in previous:
                previous[field] = before
    return action, previous, current, changes


def _states(
    s: Seeder, snapshot: SyncSnapshot, days_ago: int, rows: list[Resource]
) -> list[ResourceState]:
    states = []
    for r in rows:
        action, previous, current, changes = _state_at(s, r, days_ago)
        states.append(
            ResourceState(
                sync_snapshot_id=snapshot.pk,
                resource=r,
                provider_resource_id=r.resource_id,
                resource_type=r.resource_type,
                resource_name=r.resource_name,
                state_action=action,
                previous_state=as_json(previous) if previous else None,
                current_state=as_json(current),
                changes_detected=as_json(changes) if changes else None,
                service_name=r.service_name,
                region=r.region,
                status=current["status"],
                effective_cost=current["effective_cost"],
                has_cost_change=bool(changes and "effective_cost" in changes),
                has_status_change=bool(changes and "status" in changes),
                has_config_change=bool(changes and set(changes) - {"effective_cost", "status"}),
                created_at=snapshot.sync_completed_at,
                updated_at=snapshot.sync_completed_at,
            )
        )
    return states
