"""The demo dataset, seeded once per test module and rolled back after it.

demo_seed() takes a second or two; seeding it for every test would dominate the suite. The
module fixture seeds inside one outer transaction, every test's `db` transaction nests in it
as a savepoint (so a test may add rows), and the outer transaction is rolled back when the
module ends: no other test module ever sees these rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from infrazen.demo import ALICE_EMAIL, BOB_EMAIL, demo_seed
from infrazen.models import InfraZenUser


@dataclass(frozen=True)
class World:
    alice: InfraZenUser
    bob: InfraZenUser


@pytest.fixture(scope="module")
def _seeded_module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_seed()
            yield World(
                alice=InfraZenUser.objects.get(email=ALICE_EMAIL),
                bob=InfraZenUser.objects.get(email=BOB_EMAIL),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_seeded_module, db) -> World:
    return _seeded_module
