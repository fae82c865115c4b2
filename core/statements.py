"""Plain SQL statements for the hottest reads and writes, each compiled once per process.

The ORM builds and compiles a query anew on every call: ≈ 0.3 ms of CPU for a one-table
read, 1-2 ms for one with joins and a subquery, against the database's own 0.05. The few
statements every chat question and text request runs (a user's role and limits, the
question's permission check, the text's write) pay that for nothing. Here they are built
once and reused with new parameters; everything else stays on the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models import QuerySet

# (kind, model, alias, names...) → its statement, built on first use.
_statements: dict[tuple, str] = {}


def _statement(key: tuple, using: str, build: Callable[[Any, Callable[[str], str]], str]) -> str:
    """The statement of `key`, built once per process by `build(meta, quote)`: the model's
    names quoted, every value left to a parameter."""
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = build(key[1]._meta, connections[using].ops.quote_name)
    return statement


def _equal(meta, quote, names: Sequence[str], joiner: str) -> str:
    """`column = %s` for each field of `names`, joined."""
    return joiner.join(f"{quote(meta.get_field(name).column)} = %s" for name in names)


def row_select(model: type[models.Model], fields: Sequence[str], **equal: Any) -> tuple | None:
    """The values of `fields` of the first row whose fields equal `equal` (by primary key
    order), or None: one plain statement, compiled once per process.

    For the few reads every question and text request makes (a user's role, their limits):
    the ORM builds and compiles a query anew each time, ≈ 0.3 ms of CPU against the read's
    0.05. Values come back as the database driver returns them (no field conversion), so
    keep it to plain columns: text, numbers.
    """
    using = router.db_for_read(model)

    def build(meta, quote) -> str:
        columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
        table, order = quote(meta.db_table), quote(meta.pk.column)
        where = _equal(meta, quote, list(equal), " AND ")
        return f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order} LIMIT 1"  # noqa: S608

    statement = _statement(("select", model, using, tuple(fields), tuple(equal)), using, build)
    with connections[using].cursor() as cursor:
        cursor.execute(statement, list(equal.values()))
        return cursor.fetchone()


def row_update(
    model: type[models.Model], pk: Any, *, added: dict[str, int] | None = None, **values: Any
) -> int:
    """`model.objects.filter(pk=pk).update(**values)` for plain values, and `field =
    F(field) + n` for each of `added`, with the statement compiled once per process (the ORM's
    update builds and compiles ≈ 0.3 ms of CPU a call). Values go through each field's
    get_db_prep_save as with update(). Returns the rows changed."""
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    added = added or {}

    def build(meta, quote) -> str:
        columns = [quote(meta.get_field(name).column) for name in added]
        assignments = [f"{column} = {column} + %s" for column in columns]
        if values:
            assignments.append(_equal(meta, quote, list(values), ", "))
        table, key_column = quote(meta.db_table), quote(meta.pk.column)
        return f"UPDATE {table} SET {', '.join(assignments)} WHERE {key_column} = %s"  # noqa: S608

    key = ("update", model, using, tuple(added), tuple(values))
    statement = _statement(key, using, build)
    params: list[Any] = list(added.values())
    params += [
        meta.get_field(name).get_db_prep_save(value, connection=connection)
        for name, value in values.items()
    ]
    params.append(meta.pk.get_db_prep_save(pk, connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def rows_increment(model: type[models.Model], field: str, by: int = 1, **equal: Any) -> int:
    """`model.objects.filter(**equal).update(field=F(field) + by)`, compiled once per
    process; the rows changed."""
    using = router.db_for_write(model)

    def build(meta, quote) -> str:
        column = quote(meta.get_field(field).column)
        where = _equal(meta, quote, list(equal), " AND ")
        table = quote(meta.db_table)
        return f"UPDATE {table} SET {column} = {column} + %s WHERE {where}"  # noqa: S608

    statement = _statement(("increment", model, using, field, tuple(equal)), using, build)
    with connections[using].cursor() as cursor:
        cursor.execute(statement, [by, *equal.values()])
        return cursor.rowcount


class CompiledQuery:
    """An ORM read built and compiled once per database, run with new values each time.

    `build(**placeholders)` returns the queryset for stand-in values; the call's values take
    their places in the compiled parameters. Stand-ins must be values no real query holds
    (negative ids, strings with a NUL), each used once, and each parameter must reach the
    SQL as given (ids and plain strings do; a value the field converts may not).

        allowed = CompiledQuery(
            Session,
            lambda user_id: Session.objects.filter(user_id=user_id).values("pk")[:1],
            user_id=-7_300_001,
        )
        allowed.exists(user_id=42)
    """

    def __init__(
        self, model: type[models.Model], build: Callable[..., QuerySet], **placeholders: Any
    ) -> None:
        self._model = model
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, tuple[str, list[Any], dict[int, str]]] = {}

    def _statement(self, using: str) -> tuple[str, list[Any], dict[int, str]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            queryset = self._build(**self._placeholders)
            sql, params = queryset.query.get_compiler(using=using).as_sql()
            slots = {}
            for index, param in enumerate(params):
                for name, placeholder in self._placeholders.items():
                    if type(param) is type(placeholder) and param == placeholder:
                        slots[index] = name
            if set(slots.values()) != set(self._placeholders):
                missing = set(self._placeholders) - set(slots.values())
                raise ValueError(f"placeholders missing from the compiled query: {missing}")
            compiled = self._compiled[using] = (sql, list(params), slots)
        return compiled

    def rows(self, **values: Any) -> list[tuple]:
        using = router.db_for_read(self._model)
        sql, params, slots = self._statement(using)
        params = [values[slots[i]] if i in slots else p for i, p in enumerate(params)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def exists(self, **values: Any) -> bool:
        return bool(self.rows(**values))
