"""InfraZen's database, the service's own, and the time conventions of both."""

from __future__ import annotations

from .base import BASE_DIR, env

# --- Database ---------------------------------------------------------------------------
# `default` is InfraZen's database. The service's own tables (Django's auth, sessions, admin;
# the agent_* tables) go to `agent` when AGENT_DATABASE_URL is set (production: another schema
# on the same MySQL server), so that InfraZen's schema holds only the tables InfraZen defines
# (core/db_router.py). Unset, one database holds both: `make demo`, the first test pass.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'agent.sqlite3'}")
}
if env.str("AGENT_DATABASE_URL", default=""):
    DATABASES["agent"] = env.db("AGENT_DATABASE_URL")
    # Nothing is migrated on InfraZen's database (Alembic owns it): the test database is made
    # the same way, without even a django_migrations table.
    DATABASES["default"].setdefault("TEST", {})["MIGRATE"] = False
DATABASE_ROUTERS = ["core.db_router.AgentRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.mysql":
        # InfraZen itself talks to MySQL through PyMySQL; it is pure Python, so no compiler or
        # client headers are needed to install the service.
        import pymysql

        pymysql.install_as_MySQLdb()
        _database.setdefault("OPTIONS", {}).update({"charset": "utf8mb4"})
        _database.setdefault("TEST", {}).update(
            {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        )
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default serves many chat sockets from one process: WAL lets reads go
        # on while a write commits, and NORMAL syncs at checkpoints rather than on every
        # commit.
        _database.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
    # 0 under ASGI, as Django's docs advise: sync work runs in a thread per request, and a
    # persistent connection would stay open with each finished thread until it is collected.
    _database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
# The one long-lived thread-sensitive thread (chat, async ORM) keeps its connection this
# long (core/db.py); well under MariaDB's wait_timeout.
DB_THREAD_CONN_MAX_AGE_S = env.int("DB_THREAD_CONN_MAX_AGE_S", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# InfraZen stores naive datetimes: chat tables in UTC, most others in server local time
# (contract §1). Django therefore runs with USE_TZ off and we write each table's convention
# explicitly through infrazen.clock.
USE_TZ = False
TIME_ZONE = env.str("INFRAZEN_TIME_ZONE", default="Europe/Moscow")
LANGUAGE_CODE = "ru"
USE_I18N = True
