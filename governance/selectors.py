"""What the models cost, per Moscow day, user and model: the admin's spend view reads it.

From the gateway's accounting rows (llm.models.LLMCall), one per HTTP attempt, so chat
answers, recommendation texts and reports all count, failed attempts that were billed too.
Costs in USD as providers report them and in roubles at today's USD_RUB_RATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Sum, When

from governance.budgets import cost_rub
from governance.moscow import MOSCOW
from llm.models import LLMCall


@dataclass(frozen=True)
class DailySpend:
    user_id: int
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    cost_rub: Decimal


def moscow_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Moscow day as naive UTC bounds [start, end), as the rows store their times."""
    start = datetime.combine(day, time(0), tzinfo=MOSCOW).astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(days=1)


def spend_per_user_model(*, day: date, user_id: int | None = None) -> list[DailySpend]:
    """One Moscow day's model spend, per user and per model (the model that answered, or
    the one asked when none did); `user_id`: that user's alone. Ordered by user, model."""
    start, end = moscow_day_bounds(day)
    rows = LLMCall.objects.filter(created_at__gte=start, created_at__lt=end, user_id__isnull=False)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    grouped = (
        rows.annotate(
            spend_model=Case(
                When(model_answered="", then=F("model_requested")),
                default=F("model_answered"),
                output_field=CharField(),
            )
        )
        .values("user_id", "spend_model")
        .annotate(
            calls=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            usd=Sum("cost_usd"),
        )
        .order_by("user_id", "spend_model")
    )
    return [
        DailySpend(
            user_id=row["user_id"],
            model=row["spend_model"],
            calls=row["calls"],
            prompt_tokens=row["prompt"] or 0,
            completion_tokens=row["completion"] or 0,
            cost_usd=Decimal(row["usd"] or 0),
            cost_rub=cost_rub(cost_usd=row["usd"] or 0),
        )
        for row in grouped
    ]
