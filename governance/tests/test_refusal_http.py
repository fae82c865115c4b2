"""A quota refusal raised through a REST view is a 429 with Retry-After, in the error shape."""

from __future__ import annotations

from datetime import datetime, timedelta

from governance.moscow import MOSCOW
from governance.refusals import LIMIT_RUB, QuotaExceeded
from ops.errors import exception_handler


def test_a_refusal_answers_429_with_retry_after_and_the_russian_message():
    now = datetime(2026, 12, 7, 20, 40, tzinfo=MOSCOW)
    refusal = QuotaExceeded(
        limit=LIMIT_RUB,
        used=150,
        allowed=150,
        resets_at=now + timedelta(hours=3, minutes=20),
        now=now,
    )
    response = exception_handler(refusal, {"view": None})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "12000"
    assert response.data["error"] == refusal.message
    assert response.data["code"] == "quota_exceeded"
