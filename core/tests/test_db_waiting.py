"""core.db.db_waiting: sync work that waits a long time on something besides the database
(a tool asking the vision model) runs off the chat's one database thread, so every other
answer's reads and writes go on meanwhile. On a real server only: with the in-memory SQLite
of pass 1 it runs on the thread-sensitive thread by design."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from core.db import db_sync_to_async, db_waiting
from infrazen.models import InfraZenUser

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def _slow_read(release: threading.Event) -> tuple[str, int]:
    count = InfraZenUser.objects.count()
    release.wait(5)  # waiting on a model, as analyze_screenshot does
    return threading.current_thread().name, count


def _quick_read() -> tuple[str, int]:
    return threading.current_thread().name, InfraZenUser.objects.count()


async def test_the_database_thread_answers_while_a_waiting_call_waits(alice):
    release = threading.Event()
    slow = asyncio.create_task(db_waiting(_slow_read)(release))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    quick_thread, quick_count = await db_sync_to_async(_quick_read)()
    assert time.monotonic() - started < 1.0
    assert not slow.done()
    release.set()
    slow_thread, slow_count = await slow
    assert slow_thread.startswith("db-waiting") and slow_thread != quick_thread
    assert slow_count == quick_count >= 1
