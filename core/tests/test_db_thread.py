"""core.db: the long-lived thread keeps its connection; request threads do not.

The test database may be SQLite in memory, whose `close()` Django makes a no-op, so the
tests count the calls to `close()` on the thread's connection rather than compare objects.
"""

from __future__ import annotations

import pytest
from asgiref.sync import ThreadSensitiveContext
from django.db import connections

from core.db import db_sync_to_async
from infrazen.models import InfraZenUser

pytestmark = pytest.mark.django_db(transaction=True)


def wrapper():
    """This thread's DatabaseWrapper (django.db.connection is a proxy to it)."""
    return connections["default"]


def query() -> None:
    InfraZenUser.objects.exists()


def closes_counted() -> None:
    """Count `close()` on this thread's connection (undone by `closes_forget`)."""
    conn = wrapper()
    original = conn.close
    conn.closes = 0

    def close() -> None:
        conn.closes += 1
        original()

    conn.close = close


def closes() -> int:
    return wrapper().closes


def closes_forget() -> None:
    for name in ("close", "closes", "is_usable"):
        vars(wrapper()).pop(name, None)


async def closes_of_a_query() -> int:
    """Closes of this thread's connection while a query runs (a first query opened it)."""
    await db_sync_to_async(query)()
    await db_sync_to_async(closes_counted)()
    try:
        await db_sync_to_async(query)()
        return await db_sync_to_async(closes)()
    finally:
        await db_sync_to_async(closes_forget)()


@pytest.fixture
async def counted():
    await db_sync_to_async(query)()
    await db_sync_to_async(closes_counted)()
    yield
    await db_sync_to_async(closes_forget)()


async def test_the_long_lived_thread_keeps_its_connection(counted):
    for _ in range(3):
        await db_sync_to_async(query)()

    assert await db_sync_to_async(closes)() == 0


async def test_a_connection_past_its_age_is_closed(settings):
    settings.DB_THREAD_CONN_MAX_AGE_S = 0

    assert await closes_of_a_query() >= 1


async def test_a_connection_that_failed_its_health_check_is_closed(counted):
    def break_it() -> None:
        wrapper().errors_occurred = True
        wrapper().is_usable = lambda: False  # what a dropped server connection reports

    await db_sync_to_async(break_it)()

    assert await db_sync_to_async(closes)() >= 1


async def test_an_exception_reaches_the_caller_and_the_next_call_works(counted):
    def fail() -> None:
        InfraZenUser.objects.get(pk=-1)

    with pytest.raises(InfraZenUser.DoesNotExist):
        await db_sync_to_async(fail)()

    assert await db_sync_to_async(InfraZenUser.objects.count)() >= 0
    assert await db_sync_to_async(closes)() == 0


async def test_inside_a_request_context_the_connection_is_closed_after_each_call():
    async with ThreadSensitiveContext():
        counted = await closes_of_a_query()

    # At least the query's own connection, closed after it (on SQLite in memory, whose close
    # Django makes a no-op, also before each call); the long-lived thread closes none.
    assert counted >= 1
