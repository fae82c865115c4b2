"""What the models cost, by Moscow day, user, model and scenario: the admin's spend view.

Read from the accounting rows of every model attempt (llm.LLMCall: one row per HTTP attempt,
retries and fallbacks included, so the sum is the real spend). Roubles are the USD cost at
USD_RUB_RATE. Days are Moscow days (UTC+3 all year since 2014), like the budgets'.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from llm.models import LLMCall

MOSCOW_OFFSET = timedelta(hours=3)
CSV_COLUMNS = (
    "day",
    "user_id",
    "model",
    "scenario",
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "cost_rub",
)


@dataclass(frozen=True)
class SpendRow:
    day: date
    user_id: int | None
    model: str
    scenario: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal

    @property
    def cost_rub(self) -> Decimal:
        return (self.cost_usd * Decimal(str(settings.USD_RUB_RATE))).quantize(Decimal("0.01"))


def spend_rows(*, since: date, until: date, user_id: int | None = None) -> list[SpendRow]:
    """One row per (Moscow day, user, model, scenario) from `since` to `until` inclusive."""
    start = datetime.combine(since, time(0)) - MOSCOW_OFFSET
    end = datetime.combine(until + timedelta(days=1), time(0)) - MOSCOW_OFFSET
    calls = LLMCall.objects.filter(created_at__gte=start, created_at__lt=end)
    if user_id is not None:
        calls = calls.filter(user_id=user_id)
    moscow = ExpressionWrapper(F("created_at") + Value(MOSCOW_OFFSET), output_field=DateTimeField())
    grouped = (
        calls.annotate(day=TruncDate(moscow), model=Coalesce("model_answered", "model_requested"))
        .values("day", "user_id", "model", "purpose")
        .annotate(
            calls=Count("id"),
            prompt_tokens=Sum("prompt_tokens"),
            completion_tokens=Sum("completion_tokens"),
            cost_usd=Sum("cost_usd"),
        )
        .order_by("day", "user_id", "model", "purpose")
    )
    return [
        SpendRow(
            day=_as_date(row["day"]),
            user_id=row["user_id"],
            model=row["model"] or "",
            scenario=row["purpose"],
            calls=row["calls"],
            prompt_tokens=row["prompt_tokens"] or 0,
            completion_tokens=row["completion_tokens"] or 0,
            cost_usd=Decimal(row["cost_usd"] or 0),
        )
        for row in grouped
    ]


def _as_date(value) -> date:
    # SQLite answers TruncDate with a string.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def spend_totals(rows: list[SpendRow], key: str) -> list[tuple[object, int, Decimal]]:
    """(value of `key`, calls, ₽) per distinct value, biggest spend first."""
    totals: dict[object, list] = {}
    for row in rows:
        entry = totals.setdefault(getattr(row, key), [0, Decimal(0)])
        entry[0] += row.calls
        entry[1] += row.cost_rub
    ordered = sorted(totals.items(), key=lambda item: (-item[1][1], str(item[0])))
    return [(value, calls, rub) for value, (calls, rub) in ordered]


def spend_csv(rows: list[SpendRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.day.isoformat(),
                "" if row.user_id is None else row.user_id,
                row.model,
                row.scenario,
                row.calls,
                row.prompt_tokens,
                row.completion_tokens,
                f"{row.cost_usd:.8f}",
                f"{row.cost_rub:.2f}",
            ]
        )
    return out.getvalue()
