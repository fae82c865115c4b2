"""get_user_context: who is asking, in their own settings, and what they have connected."""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import ArgsModel, size_bound

NAME = "get_user_context"
LABEL = "Уточняю настройки пользователя"
SCENARIOS = frozenset({"recommendation", "analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True


class Args(ArgsModel):
    """The current user's role (and whether the account is read-only), currency, language,
    time zone, connected cloud providers with their last sync, and providers disabled as
    migration targets."""


class Connection(BaseModel):
    provider_type: str
    connection_name: str
    is_active: bool
    last_sync: str | None
    sync_status: str | None


class Result(BaseModel):
    first_name: str | None
    role: str
    is_read_only: bool
    currency: str | None
    language: str | None
    timezone: str | None
    connections: list[Connection] = Field(default_factory=list)
    disabled_target_providers: list[str] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        return f"Подключений: {len(self.connections)}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    providers = selectors.provider_list(user_id=user.pk).only(
        "provider_type", "connection_name", "is_active", "last_sync", "sync_status", "user_id"
    )
    preferences = selectors.user_provider_preferences(user_id=user.pk)
    result = Result(
        first_name=user.first_name,
        role=user.role,
        is_read_only=user.is_read_only,
        currency=user.currency,
        language=user.language,
        timezone=user.timezone,
        connections=[
            Connection(
                provider_type=p.provider_type,
                connection_name=p.connection_name,
                is_active=bool(p.is_active),
                last_sync=p.last_sync.isoformat(sep=" ") if p.last_sync else None,
                sync_status=p.sync_status,
            )
            for p in providers[:20]
        ],
        disabled_target_providers=sorted(t for t, enabled in preferences.items() if not enabled),
    )
    return size_bound(result, "connections")
