"""What a role may do, and which model and limits apply: the one place that decides.

Roles come from InfraZen's `users.role`: `user`, `admin`, `super_admin`, `demouser`. Every
tool is read-only today; an action tool (one that changes something) would need the user's
explicit confirmation, and `demouser` may use none, confirmed or not. Limits are the role's
defaults (AGENT_ROLE_LIMITS) with the user's own overrides (AgentUserLimits, the admin) on
top; a role the service does not know gets the `user` limits and no action tools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from decimal import Decimal

from django.conf import settings

from core.statements import row_select
from governance.models import AgentUserLimits
from infrazen.models import InfraZenUser

ROLE_USER = "user"
ROLE_ADMIN = "admin"
ROLE_SUPER_ADMIN = "super_admin"
ROLE_DEMO = InfraZenUser.ROLE_DEMO
ROLES = (ROLE_USER, ROLE_ADMIN, ROLE_SUPER_ADMIN, ROLE_DEMO)
# Roles that may run an action tool once the user has confirmed it.
ACTION_ROLES = frozenset({ROLE_USER, ROLE_ADMIN, ROLE_SUPER_ADMIN})


@dataclass(frozen=True)
class Limits:
    tokens_per_day: int
    rub_per_day: Decimal
    questions_per_minute: int
    tool_calls_per_minute: int


@dataclass(frozen=True)
class Policy:
    """One user's policy, built per question: who, which model, which limits."""

    user_id: int
    role: str
    limits: Limits
    model: str
    # The user's own first and last name: kept from the model (llm.pii) like an email.
    names: tuple[str, ...] = ()

    @property
    def demo(self) -> bool:
        return self.role == ROLE_DEMO


def role_limits(*, role: str) -> Limits:
    table = settings.AGENT_ROLE_LIMITS
    return _limits(table.get(role) or table[ROLE_USER])


def _limits(values: dict) -> Limits:
    return Limits(
        tokens_per_day=int(values["tokens_per_day"]),
        rub_per_day=Decimal(str(values["rub_per_day"])),
        questions_per_minute=int(values["questions_per_minute"]),
        tool_calls_per_minute=int(values["tool_calls_per_minute"]),
    )


_LIMIT_NAMES = [field.name for field in fields(Limits)]
# The users' overrides rows (the admin's), kept this long in each process: every text request
# builds its owner's policy, and the row is one more statement on the agent's database. An
# edit takes effect at once in the process that saved it (overrides_forget on the model's
# signals) and within this many seconds in the other workers.
OVERRIDES_TTL_S = 10.0
_OVERRIDES_KEPT = 10_000
_overrides: dict[int, tuple[float, tuple | None]] = {}


def _override(user_id: int) -> tuple | None:
    now = time.monotonic()
    kept = _overrides.get(user_id)
    if kept is not None and kept[0] > now:
        return kept[1]
    row = row_select(AgentUserLimits, _LIMIT_NAMES, user_id=user_id)
    if len(_overrides) >= _OVERRIDES_KEPT:
        _overrides.clear()
    _overrides[user_id] = (now + OVERRIDES_TTL_S, row)
    return row


def overrides_forget(**_signal) -> None:
    """Read every user's overrides anew (an overrides row was saved or deleted)."""
    _overrides.clear()


def user_limits(*, user_id: int, role: str) -> Limits:
    """The role's limits with the user's own overrides (a field left empty keeps the role's)."""
    limits = role_limits(role=role)
    override = _override(user_id)
    if override is None:
        return limits
    values = {
        name: getattr(limits, name) if value is None else value
        for name, value in zip(_LIMIT_NAMES, override, strict=True)
    }
    return _limits(values)


def role_model(*, role: str) -> str:
    if role == ROLE_DEMO and settings.LLM_MODEL_DEMO:
        return settings.LLM_MODEL_DEMO
    return settings.LLM_MODEL_TEXT


def policy_for(*, user: InfraZenUser) -> Policy:
    return _policy(
        user_id=user.pk, role=user.role, names=(user.first_name or "", user.last_name or "")
    )


def policy_for_id(*, user_id: int) -> Policy:
    """`policy_for` by InfraZen user id alone (a user gone since: the `user` role's)."""
    row = row_select(InfraZenUser, ["role", "first_name", "last_name"], id=user_id)
    role, first_name, last_name = row or (None, None, None)
    return _policy(user_id=user_id, role=role, names=(first_name or "", last_name or ""))


def _policy(*, user_id: int, role: str | None, names: tuple[str, ...]) -> Policy:
    role = role or ROLE_USER
    return Policy(
        user_id=user_id,
        role=role,
        limits=user_limits(user_id=user_id, role=role),
        model=role_model(role=role),
        names=tuple(name for name in names if name),
    )


def tool_permitted(*, policy: Policy, read_only: bool, confirmed: bool) -> bool:
    """A read-only tool: always. An action tool: only confirmed, and never for demouser."""
    if read_only:
        return True
    return confirmed and policy.role in ACTION_ROLES
