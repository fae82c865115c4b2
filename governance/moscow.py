"""The budget day: from 00:00 to 24:00 Europe/Moscow, whatever the server's own zone.

The time comes from infrazen.clock like every other time the service reads, so a test moves
it in one place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from infrazen import clock

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow_now() -> datetime:
    """Now, aware, in Moscow time."""
    return clock.utc_now().replace(tzinfo=UTC).astimezone(MOSCOW)


def budget_day(now: datetime) -> date:
    return now.astimezone(MOSCOW).date()


def budget_day_end(now: datetime) -> datetime:
    """The next 00:00 in Moscow (aware): when the day's budgets start again."""
    return datetime.combine(budget_day(now) + timedelta(days=1), time(0), tzinfo=MOSCOW)
