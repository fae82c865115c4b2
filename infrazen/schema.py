"""Create the InfraZen-owned tables in an empty development or test database."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from infrazen.models import INFRAZEN_MODELS


class SchemaRefused(Exception):
    pass


def infrazen_schema_create(*, using: str = "default") -> tuple[list[str], list[str]]:
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
    return created, present
