"""The plan of an offline answer: the tool calls that answer the question, and a second round.

Both functions are pure: no database and no user. A plan names tools and arguments only, so it
cannot reach another tenant's rows; the engine runs the calls as the connected user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from chat.images import IMAGE_REF
from chat.offline.intents import (
    SCENARIO_ANALYTICS,
    SCENARIO_RECOMMENDATION,
    SavingsPeriod,
    classify,
    detect_language,
    question_range_days,
    savings_period,
)
from tools import get_recommendation
from tools.base import Money, ToolError

Results = list[tuple["PlannedCall", BaseModel | ToolError]]
R = TypeVar("R", bound=BaseModel)

ALTERNATIVES_LIMIT = 5
TOP_LIMIT = 5
SERVICES_TOP_N = 5
TRENDS_RANGE = (1, 365)
ANOMALIES_RANGE = (7, 180)


@dataclass(frozen=True)
class PlannedCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class OfflinePlan:
    intent: str
    language: str
    calls: list[PlannedCall]
    # What the question was about when that belongs to the other scenario ("risks" asked on
    # the analytics page is answered with the top recommendations): the answer says where
    # the full answer lives.
    asked: str | None = None
    # The period a savings question asks about; offline_followup gives it to calculate_savings.
    period: SavingsPeriod = "month"
    scenario: str = SCENARIO_RECOMMENDATION
    recommendation_id: int | None = None
    # Screenshots the message held ([image:<id>]): without a model nothing can read them.
    images: int = 0


def _context_range_days(context: dict | None) -> int | None:
    value = (context or {}).get("time_range_days")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _range_args(days: int | None, limits: tuple[int, int]) -> dict[str, Any]:
    if days is None:
        return {}
    return {"time_range_days": max(limits[0], min(limits[1], days))}


def _recommendation_calls(intent: str, recommendation_id: int | None) -> list[PlannedCall]:
    if intent == "connections":
        return [PlannedCall("get_user_context", {})]
    if intent == "help" or not recommendation_id:
        return []
    rec = {"recommendation_id": recommendation_id}
    first = PlannedCall("get_recommendation", rec)
    if intent == "alternatives":
        return [PlannedCall("list_top_alternatives", rec | {"limit": ALTERNATIVES_LIMIT})]
    if intent == "risks":
        return [first, PlannedCall("estimate_migration_effort", rec)]
    if intent == "plan":
        return [
            first,
            PlannedCall("estimate_migration_effort", rec),
            PlannedCall("generate_step_plan", rec),
        ]
    # explain, savings, resource, overview: the recommendation, then offline_followup.
    return [first]


def _analytics_calls(intent: str, days: int | None) -> list[PlannedCall]:
    trends = _range_args(days, TRENDS_RANGE)
    return {
        "overview": [PlannedCall("get_analytics_overview", trends)],
        "trends": [
            PlannedCall("get_cost_trends", trends),
            PlannedCall("get_analytics_overview", trends),
        ],
        "anomalies": [PlannedCall("get_anomalies", _range_args(days, ANOMALIES_RANGE))],
        "top": [PlannedCall("summarize_top_recommendations", {"limit": TOP_LIMIT})],
        "providers": [PlannedCall("get_provider_breakdown", {})],
        "services": [PlannedCall("get_service_breakdown", {"top_n": SERVICES_TOP_N})],
        "connections": [PlannedCall("get_user_context", {})],
        "help": [],
    }[intent]


def offline_plan(
    *, scenario: str, recommendation_id: int | None, context: dict, question: str
) -> OfflinePlan:
    """The intent of `question` and the tool calls that answer it (pure: no DB, no user)."""
    if scenario != SCENARIO_ANALYTICS:
        scenario = SCENARIO_RECOMMENDATION
    images = len(IMAGE_REF.findall(question))
    question = IMAGE_REF.sub("", question).strip()
    intent, asked = classify(scenario=scenario, question=question)
    if scenario == SCENARIO_ANALYTICS:
        days = question_range_days(question) or _context_range_days(context)
        calls = _analytics_calls(intent, days)
    else:
        calls = _recommendation_calls(intent, recommendation_id)
    return OfflinePlan(
        intent=intent,
        language=detect_language(question),
        calls=calls,
        asked=asked,
        period=savings_period(question),
        scenario=scenario,
        recommendation_id=recommendation_id,
        images=images,
    )


# --- the second round -------------------------------------------------------------------------


def offline_followup(*, plan: OfflinePlan, results: Results) -> list[PlannedCall]:
    """Calls whose arguments come from the first round's results (pure; may be empty).

    calculate_savings takes the recommendation's current and new monthly cost, get_resource and
    get_latest_snapshot its resource id: neither is known before get_recommendation has run.
    The engine runs these after plan.calls and passes every result to offline_answer. Without
    this round the answer is still true, built from get_recommendation's own figures.
    """
    done = {call.name for call, _ in results}
    rec = found(results, get_recommendation.Result)
    if rec is None:
        return []
    calls = []
    if plan.intent in ("explain", "savings", "overview") and "calculate_savings" not in done:
        current, new = _amount(rec.current_monthly), _amount(rec.target_monthly)
        saving = _amount(rec.savings_monthly)
        if new is None and current is not None and saving is not None:
            # No target price (cleanup, rightsizing): the new cost is what remains.
            new = round(current - saving, 2)
        if current is not None and new is not None and new >= 0:
            arguments = {"current_monthly": current, "new_monthly": new, "period": plan.period}
            calls.append(PlannedCall("calculate_savings", arguments))
    if plan.intent == "resource" and rec.resource_id:
        for name in ("get_resource", "get_latest_snapshot"):
            if name not in done:
                calls.append(PlannedCall(name, {"resource_id": rec.resource_id}))
    return calls


def found(results: Results, kind: type[R]) -> R | None:
    """The first result of the tool whose Result is `kind`; a ToolError is no data."""
    for _, result in results:
        if isinstance(result, kind):
            return result
    return None


def _amount(money: Money | None) -> float | None:
    return None if money is None else money.amount
