"""Field types that create the exact column types InfraZen has on MySQL/MariaDB.

Django's defaults differ (TextField is LONGTEXT, FloatField is DOUBLE, DateTimeField is
DATETIME(6), and there is no ENUM). On SQLite the stock types are used.
"""

from __future__ import annotations

from django.db import models


def _mysql(connection) -> bool:
    return connection.vendor == "mysql"


class TextField(models.TextField):
    def db_type(self, connection):
        return "text" if _mysql(connection) else super().db_type(connection)


class FloatField(models.FloatField):
    def db_type(self, connection):
        return "float" if _mysql(connection) else super().db_type(connection)


class DateTimeField(models.DateTimeField):
    def db_type(self, connection):
        return "datetime" if _mysql(connection) else super().db_type(connection)


class EnumField(models.CharField):
    """A native MySQL ENUM of lowercase strings; VARCHAR elsewhere."""

    def __init__(self, *args, values: tuple[str, ...] = (), **kwargs):
        self.values = tuple(values)
        kwargs.setdefault("max_length", max((len(v) for v in self.values), default=16))
        kwargs.setdefault("choices", [(v, v) for v in self.values])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["values"] = self.values
        kwargs.pop("choices", None)
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def db_type(self, connection):
        if _mysql(connection):
            quoted = ",".join(f"'{v}'" for v in self.values)
            return f"enum({quoted})"
        return super().db_type(connection)
