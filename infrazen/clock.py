"""The two naive-datetime conventions of the InfraZen tables (contract §1).

Chat tables (and our own agent_ tables) hold naive UTC; the BaseModel tables hold naive
server-local time. Every write picks one of these explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def local_now() -> datetime:
    return datetime.now(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None, microsecond=0)
