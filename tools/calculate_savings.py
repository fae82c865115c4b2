"""calculate_savings: pure arithmetic on two monthly costs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
from tools.base import ArgsModel, Money, money, percent

NAME = "calculate_savings"
LABEL = "Считаю экономию"
SCENARIOS = frozenset({"recommendation", "analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

MONTHS = {"month": 1, "quarter": 3, "year": 12}
MAX_AMOUNT = 1e9


class Args(ArgsModel):
    """Savings between a current and a new monthly cost (RUB per month) for a month, a
    quarter or a year, with the percentage saved."""

    current_monthly: float = Field(ge=0, le=MAX_AMOUNT, description="Current cost, RUB/month.")
    new_monthly: float = Field(ge=0, le=MAX_AMOUNT, description="New cost, RUB/month.")
    period: Literal["month", "quarter", "year"] = Field(
        default="month", description="Period to total the savings over."
    )


class Result(BaseModel):
    current: Money
    new: Money
    savings_monthly: Money
    savings_for_period: Money
    savings_yearly: Money
    savings_percent: float | None
    is_saving: bool

    def summary(self) -> str:
        return f"Экономия {self.savings_monthly.amount:,.0f} ₽/мес"


def run(*, user: InfraZenUser, args: Args) -> Result:
    monthly = args.current_monthly - args.new_monthly
    return Result(
        current=money(args.current_monthly, "month"),
        new=money(args.new_monthly, "month"),
        savings_monthly=money(monthly, "month"),
        savings_for_period=money(monthly * MONTHS[args.period], args.period),
        savings_yearly=money(monthly * 12, "year"),
        savings_percent=percent(monthly, args.current_monthly),
        is_saving=monthly > 0,
    )
