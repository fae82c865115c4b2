from __future__ import annotations

from datetime import datetime

import pytest

from governance.tests.backends import BACKENDS, backend_use
from governance.tests.helpers import MovableClock
from infrazen import clock as infrazen_clock


@pytest.fixture(autouse=True)
def _budget_settings(settings):
    # Round figures: 1 USD = 100 ₽, and the database store unless a test picks Redis.
    settings.USD_RUB_RATE = 100.0
    settings.AGENT_DAILY_CAP_RUB = 3000.0
    settings.REDIS_URL = ""


@pytest.fixture
def clock(monkeypatch) -> MovableClock:
    """17:40 UTC is 20:40 in Moscow: 3 h 20 min before the budgets reset."""
    moved = MovableClock(datetime(2026, 12, 7, 17, 40, 0))
    monkeypatch.setattr(infrazen_clock, "utc_now", moved)
    return moved


@pytest.fixture(params=BACKENDS)
def backend(request, settings) -> str:
    """The budgets on each backend in turn: the pass's database, MariaDB, Redis."""
    backend_use(request.param, settings)
    return request.param
