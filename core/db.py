"""Database calls from async code on one long-lived thread, over one long-lived connection.

Channels' `database_sync_to_async` closes the thread's connections before and after every
call: with `CONN_MAX_AGE=0`, which Django advises under ASGI because each HTTP request gets a
thread of its own, every call opens and closes a connection. Under load that churn was half
of the chat's database thread (bench/results/chat_sessions_profile.txt).

The chat's calls, like Django's async ORM, run on asgiref's one thread-sensitive thread,
which lives as long as the process. `db_sync_to_async` keeps that thread's connection for
`DB_THREAD_CONN_MAX_AGE_S` and otherwise follows Django's own rules for reuse: a connection
with errors that fails its health check, or with autocommit left changed, is closed before
the next call. Django's `close_old_connections` (request signals, Channels) honours the same
age, because the age is what this module writes into the connection's `close_at`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections, models, transaction
from django.db.models.sql import InsertQuery

P = ParamSpec("P")
R = TypeVar("R")

_kept = threading.local()


def _kept_connections() -> dict[str, tuple[object, float]]:
    """alias → (the DB-API connection this thread keeps, when it was first kept)."""
    try:
        return _kept.by_alias
    except AttributeError:
        _kept.by_alias = {}
        return _kept.by_alias


def _connections_settle(*, after_call: bool) -> None:
    kept = _kept_connections()
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is None or conn.in_atomic_block:
            continue
        known = kept.get(conn.alias)
        max_age = settings.DB_THREAD_CONN_MAX_AGE_S
        if known is not None and known[0] is raw and time.monotonic() >= known[1] + max_age:
            del kept[conn.alias]
            conn.close()
            continue
        if known is None or known[0] is not raw:
            if not after_call:
                # Opened outside this module (Django's async ORM on this thread): Django's
                # own close_at decides.
                conn.close_if_unusable_or_obsolete()
                continue
            known = (raw, time.monotonic())
            kept[conn.alias] = known
        conn.close_at = known[1] + max_age
        conn.close_if_unusable_or_obsolete()  # errors that fail the health check, autocommit


def _run_keeping(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    _connections_settle(after_call=False)
    try:
        return function(*args, **kwargs)
    finally:
        _connections_settle(after_call=True)


def _run_closing(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


def db_sync_to_async(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`function` on the thread-sensitive thread, reusing that thread's connection.

    Inside a ThreadSensitiveContext (Django's ASGI handler opens one per HTTP request, with
    a thread that ends with the request) nothing is kept: it behaves like Channels'
    `database_sync_to_async`.
    """

    @functools.wraps(function)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        long_lived = SyncToAsync.thread_sensitive_context.get(None) is None
        run = _run_keeping if long_lived else _run_closing
        return await sync_to_async(run, thread_sensitive=True)(function, *args, **kwargs)

    return call


# One more long-lived thread, for reads that must not queue up on the thread-sensitive one
# (a chat's context pack, prepared before its question): it keeps its own connection.
_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-background")


def _shares_a_memory_database() -> bool:
    # An in-memory SQLite database (the test database) reaches other threads through
    # SQLite's shared cache, whose table locks fail at once instead of waiting.
    return any(conn.vendor == "sqlite" and conn.is_in_memory_db() for conn in connections.all())


def db_background(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`function` on the background database thread, reusing that thread's connection.

    For reads only, which may run while the thread-sensitive thread writes. With an
    in-memory SQLite database it runs on the thread-sensitive thread instead.
    """
    return _on(_BACKGROUND, function)


# Threads for calls that wait on something slow besides the database (a tool that asks the
# vision model): on the one thread-sensitive thread they would hold every chat's reads and
# writes for as long. Each keeps its own connection, as that thread does.
_WAITING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-waiting")


def db_waiting(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`function` on a thread of its own, for sync work that reads and writes the database
    and also waits a long time on something else (the event loop, through async_to_sync).
    With an in-memory SQLite database it runs on the thread-sensitive thread instead."""
    return _on(_WAITING, function)


def _on(executor: ThreadPoolExecutor, function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(function)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if _shares_a_memory_database():
            return await db_sync_to_async(function)(*args, **kwargs)
        run = sync_to_async(_run_keeping, thread_sensitive=False, executor=executor)
        return await run(function, *args, **kwargs)

    return call


# (model, alias) → the INSERT statement of one row of every column but the automatic key.
_insert_statements: dict[tuple[type[models.Model], str], str] = {}


def rows_insert(rows: Sequence[models.Model], *, using: str) -> None:
    """INSERT new rows of one model, without reading their ids back and without signals.

    What bulk_create sends, with the statement compiled once per process: bulk_create (and
    save) build and compile the query anew on every call, ≈ 0.1-0.2 ms of CPU per row for
    the accounting and generation records every text request writes. Each row's values go
    through the fields' own pre_save and get_db_prep_save, as with the ORM. A value that is
    an expression (F(), Now()) needs the ORM's compiler: such rows take bulk_create.
    """
    if not rows:
        return
    prepared = _insert_prepared(rows, using=using)
    if prepared is None:
        type(rows[0])._base_manager.using(using).bulk_create(rows)
        return
    statement, params = prepared
    # Several rows go in together or not at all, as with bulk_create.
    with transaction.atomic(using=using, savepoint=False), connections[using].cursor() as cursor:
        cursor.executemany(statement, params)
    for row in rows:
        row._state.adding, row._state.db = False, using


def row_insert(row: models.Model, *, using: str) -> models.Model:
    """INSERT one new row as rows_insert does, and give it the id the database chose (for
    the rows a caller goes on to use, such as a chat question and its answer's placeholder).
    Without signals; a value that is an expression takes the ORM's save."""
    prepared = _insert_prepared([row], using=using)
    if prepared is None:
        row.save(using=using, force_insert=True)
        return row
    statement, (params,) = prepared
    with connections[using].cursor() as cursor:
        cursor.execute(statement, params)
        row.pk = cursor.lastrowid
    row._state.adding, row._state.db = False, using
    return row


def _insert_prepared(rows: Sequence[models.Model], *, using: str) -> tuple[str, list] | None:
    """The one-row INSERT statement of the rows' model (compiled once per process) and each
    row's parameters; None when a value is an expression, which needs the ORM's compiler."""
    model = type(rows[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, rows)
    compiler = query.get_compiler(using=using)
    values = [[compiler.pre_save_val(f, row) for f in fields] for row in rows]
    if any(hasattr(value, "resolve_expression") for row in values for value in row):
        return None
    statement = _insert_statements.get((model, using))
    if statement is None:
        query.insert_values(fields, rows[:1])
        ((statement, _),) = compiler.as_sql()
        _insert_statements[(model, using)] = statement
    params = [
        [compiler.prepare_value(field, value) for field, value in zip(fields, row, strict=True)]
        for row in values
    ]
    return statement, params
