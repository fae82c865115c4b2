"""The figures check on a fixed set of answers over the demo data (demo_data.citation_answers):
every invented figure is marked, at least 95 % of the true ones are cited (issue 21 §4).
bench/citations.py measures the same set and writes the figures."""

from __future__ import annotations

import pytest

from demo_data.citation_answers import cases, measure
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import InfraZenUser

pytestmark = pytest.mark.django_db

TRUE_CITED_MIN = 0.95


def test_every_invented_figure_is_marked_and_true_ones_are_cited():
    demo_seed()
    users = [InfraZenUser.objects.get(email=email) for email in (ALICE_EMAIL, BOB_EMAIL)]

    measured = measure(cases(users))

    assert measured.true >= 500 and measured.invented >= 100, measured.figures()
    assert measured.invented_marked == measured.invented, measured.misses[:20]
    assert measured.true_cited >= TRUE_CITED_MIN * measured.true, measured.misses[:20]
