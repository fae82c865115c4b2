"""get_latest_snapshot: what the latest syncs saw of one resource.

resource_states.effective_cost is in the resource's own billing unit (daily for most rows,
monthly for Beget DB/FTP/email and demo rows) and is 0 for live Yandex/Selectel rows (facts
§1.2, §2.9), so states are reported as changes, and cost changes carry their period.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser, Resource
from infrazen.values import daily_cost, is_secret_key, monthly_cost, parse_text_dict
from tools.base import ArgsModel, Money, clip, money, resource_for, size_bound

NAME = "get_latest_snapshot"
LABEL = "Проверяю последние синхронизации"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

STATES = 5
COST_FIELDS = frozenset({"effective_cost", "daily_cost"})


class Args(ArgsModel):
    """What the latest syncs recorded for one resource of the current user: created /
    updated / unchanged, which fields changed (previous → current), cost and status changes,
    and the date and status of the latest complete sync."""

    resource_id: int = Field(ge=1, description="Internal id of the resource.")


class Change(BaseModel):
    field: str
    previous: str | float | int | bool | None = None
    current: str | float | int | bool | None = None
    previous_cost: Money | None = None
    current_cost: Money | None = None


class State(BaseModel):
    synced_at: str | None
    state_action: str
    status: str | None
    has_cost_change: bool
    has_status_change: bool
    has_config_change: bool
    changes: list[Change] = Field(default_factory=list)


class Result(BaseModel):
    resource_id: int
    resource_name: str
    status: str | None
    monthly_cost: Money
    daily_cost: Money
    provider_last_sync: str | None
    provider_sync_status: str | None
    latest_complete_sync_at: str | None
    latest_complete_sync_status: str | None
    states: list[State] = Field(default_factory=list)
    note: str | None = None
    truncated: bool = False

    def summary(self) -> str:
        changed = sum(1 for s in self.states if s.state_action != "unchanged")
        return f"Синхронизаций: {len(self.states)}, с изменениями: {changed}"


def _scalar(value: object) -> str | float | int | bool | None:
    if value is None or isinstance(value, bool | int | float):
        return value
    return clip(value, 80)


def _cost_period(resource: Resource, field: str):
    if field == "daily_cost":
        return "day"
    return "month" if (resource.billing_period or "").lower() == "monthly" else "day"


def _changes(resource: Resource, raw: str | None) -> list[Change]:
    changes = []
    for field, change in parse_text_dict(raw, field="changes_detected").items():
        if is_secret_key(field) or not isinstance(change, dict):
            continue
        previous, current = change.get("previous"), change.get("current")
        if field in COST_FIELDS and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (previous, current)
        ):
            period = _cost_period(resource, field)
            changes.append(
                Change(
                    field="cost",
                    previous_cost=money(previous, period),
                    current_cost=money(current, period),
                )
            )
        elif not isinstance(previous, dict | list) and not isinstance(current, dict | list):
            changes.append(
                Change(field=field, previous=_scalar(previous), current=_scalar(current))
            )
    return changes[:6]


def run(*, user: InfraZenUser, args: Args) -> Result:
    resource = resource_for(user, args.resource_id)
    states = (
        selectors.resource_state_list(user_id=user.pk, resource_id=resource.pk)
        .select_related("sync_snapshot")
        .only(
            "created_at",
            "state_action",
            "status",
            "changes_detected",
            "has_cost_change",
            "has_status_change",
            "has_config_change",
            "sync_snapshot__sync_completed_at",
        )[:STATES]
    )
    latest = selectors.complete_sync_latest(user_id=user.pk)
    result = Result(
        resource_id=resource.pk,
        resource_name=resource.resource_name,
        status=resource.status,
        monthly_cost=money(monthly_cost(resource), "month"),
        daily_cost=money(daily_cost(resource), "day"),
        provider_last_sync=_iso(resource.provider.last_sync),
        provider_sync_status=resource.provider.sync_status,
        latest_complete_sync_at=_iso(latest.sync_started_at) if latest else None,
        latest_complete_sync_status=latest.sync_status if latest else None,
        states=[
            State(
                synced_at=_iso(state.sync_snapshot.sync_completed_at or state.created_at),
                state_action=state.state_action,
                status=state.status,
                has_cost_change=bool(state.has_cost_change),
                has_status_change=bool(state.has_status_change),
                has_config_change=bool(state.has_config_change),
                changes=_changes(resource, state.changes_detected),
            )
            for state in states
        ],
    )
    if not result.states:
        result.note = "Для ресурса нет записей о синхронизациях."
    return size_bound(result, "states")


def _iso(moment) -> str | None:
    return moment.isoformat(sep=" ") if moment else None
