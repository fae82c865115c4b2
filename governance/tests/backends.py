"""The budget counters' real-server backends, one test parameter: MariaDB and Redis.

(SQLite's case runs in processes of their own: test_concurrency.)
"""

from __future__ import annotations

import os

import pytest
from django.db import connections

from governance.store import BudgetStore, DatabaseBudgetStore, RedisBudgetStore
from ops.ratelimit import redis_client

SERVERS = [
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]
# The database of the test pass (SQLite in pass 1, MariaDB in pass 2), and both servers.
BACKENDS = [pytest.param("database", id="database"), *SERVERS]


def backend_use(name: str, settings) -> None:
    """Point the budgets at `name`: REDIS_URL set for Redis, empty for the database."""
    if name == "mariadb":
        assert connections[DatabaseBudgetStore().alias].vendor == "mysql"
    settings.REDIS_URL = os.environ["REDIS_URL"] if name == "redis" else ""


def store_new(name: str) -> BudgetStore:
    """Another store object, as another worker holds: on Redis with its own client."""
    if name == "redis":
        redis_client.cache_clear()
        return RedisBudgetStore(os.environ["REDIS_URL"])
    return DatabaseBudgetStore()
