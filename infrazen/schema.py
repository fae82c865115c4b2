"""Create the InfraZen-owned tables in an empty development or test database."""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from infrazen.models import INFRAZEN_MODELS


class SchemaRefused(Exception):
    pass


# Tables InfraZen defines that the agent never reads, so no model: their DDL as SQLAlchemy's
# create_all() writes it from InfraZen's models (app/core/models/pricing.py: PriceHistory),
# created after the models' tables they reference. `{id}` is the vendor's auto-increment key.
_PRIMARY_KEY = {
    "mysql": "INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY",
    "sqlite": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
}
DDL_TABLES: dict[str, tuple[str, ...]] = {
    "price_history": (
        """CREATE TABLE price_history (
            id {id},
            created_at DATETIME NOT NULL,
            updated_at DATETIME NOT NULL,
            price_id INTEGER NOT NULL,
            old_monthly_cost NUMERIC(10, 2),
            new_monthly_cost NUMERIC(10, 2),
            change_percent NUMERIC(6, 2),
            change_date DATETIME,
            change_reason VARCHAR(200),
            FOREIGN KEY (price_id) REFERENCES provider_prices (id)
        )""",
        "CREATE INDEX ix_price_history_price_id ON price_history (price_id)",
        "CREATE INDEX ix_price_history_change_date ON price_history (change_date)",
    ),
}


def infrazen_tables() -> list[str]:
    """Every table infrazen_schema creates: all InfraZen defines that the agent relies on."""
    return [model._meta.db_table for model in INFRAZEN_MODELS] + list(DDL_TABLES)


def infrazen_schema_create(*, using: str = DEFAULT_DB_ALIAS) -> tuple[list[str], list[str]]:
    """Create every missing InfraZen table; return (created, already present).

    Existing tables are never altered: in production InfraZen's own migrations own them.
    """
    if settings.AGENT_ENV == "prod":
        raise SchemaRefused(
            "AGENT_ENV=prod: the InfraZen tables belong to the InfraZen app; "
            "infrazen_schema only creates them in development and test databases."
        )
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    created, present = [], []
    with connection.schema_editor() as editor:
        for model in INFRAZEN_MODELS:
            table = model._meta.db_table
            if table in existing:
                present.append(table)
                continue
            editor.create_model(model)
            # create_model() leaves out the indexes of unmanaged models (Django only builds
            # them for managed ones): add the db_index columns and Meta.indexes ourselves.
            for field in model._meta.local_fields:
                for sql in editor._field_indexes_sql(model, field):
                    editor.execute(sql)
            for index in model._meta.indexes:
                editor.add_index(model, index)
            created.append(table)
        for table, statements in DDL_TABLES.items():
            if table in existing:
                present.append(table)
                continue
            for sql in statements:
                editor.execute(sql.format(id=_PRIMARY_KEY[connection.vendor]))
            created.append(table)
    return created, present
