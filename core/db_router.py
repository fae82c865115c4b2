"""Which database each table lives in: InfraZen's tables in InfraZen's, the service's own apart.

InfraZen migrates its MySQL schema with Alembic, whose autogenerate proposes dropping any
table its models do not define. So the tables of the `infrazen` app (InfraZen's own, the chat
tables included) stay on `default`, and everything else (Django's auth, sessions, admin,
contenttypes, and the `agent_*` tables) goes to the `agent` alias when AGENT_DATABASE_URL
defines one. Without it there is one database, `default`, and it holds both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

AGENT = "agent"
INFRAZEN_APP = "infrazen"


def agent_alias() -> str:
    """The alias of the service's own tables: `agent` when configured, else `default`."""
    return AGENT if AGENT in settings.DATABASES else DEFAULT_DB_ALIAS


def infrazen_alias() -> str:
    """The alias of InfraZen's tables (always `default`, named here for the reader)."""
    return DEFAULT_DB_ALIAS


def databases_separate() -> bool:
    return agent_alias() != infrazen_alias()


def alias_for_app(app_label: str) -> str:
    return infrazen_alias() if app_label == INFRAZEN_APP else agent_alias()


class AgentRouter:
    """Routes by app label: the `infrazen` app to InfraZen's database, the rest to the agent's."""

    def db_for_read(self, model, **hints) -> str:
        return alias_for_app(model._meta.app_label)

    def db_for_write(self, model, **hints) -> str:
        return alias_for_app(model._meta.app_label)

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Django has no relation across two databases (no join, no constraint).
        return alias_for_app(obj1._meta.app_label) == alias_for_app(obj2._meta.app_label)

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == alias_for_app(app_label)
