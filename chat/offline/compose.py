"""The offline answer: the renderer of the plan's intent, then the notice (pure)."""

from __future__ import annotations

from collections.abc import Callable

from chat.offline.answer import Answer
from chat.offline.intents import SCENARIO_ANALYTICS
from chat.offline.plan import OfflinePlan, Results
from chat.offline.renderers.account import answer_connections, answer_help
from chat.offline.renderers.analytics import answer_anomalies, answer_overview, answer_trends
from chat.offline.renderers.breakdowns import answer_providers, answer_services, answer_top
from chat.offline.renderers.migration import answer_alternatives, answer_plan, answer_risks
from chat.offline.renderers.recommendation import answer_explain, answer_resource, answer_savings
from chat.offline.wording import IMAGES_UNREAD, OFFLINE_NOTICE_EN, OFFLINE_NOTICE_RU

ANSWERS: dict[str, Callable[[Answer], list[str]]] = {
    "explain": answer_explain,
    "savings": answer_savings,
    "alternatives": answer_alternatives,
    "risks": answer_risks,
    "plan": answer_plan,
    "resource": answer_resource,
    "connections": answer_connections,
    "help": answer_help,
    "trends": answer_trends,
    "anomalies": answer_anomalies,
    "top": answer_top,
    "providers": answer_providers,
    "services": answer_services,
}


def offline_answer(*, plan: OfflinePlan, results: Results) -> str:
    """The answer, from the tool results only (pure): lead, details, next step, the notice."""
    answer = Answer(plan=plan, results=list(results))
    if plan.intent == "overview":
        compose = answer_overview if plan.scenario == SCENARIO_ANALYTICS else answer_explain
    else:
        compose = ANSWERS[plan.intent]
    notice = OFFLINE_NOTICE_EN if answer.en else OFFLINE_NOTICE_RU
    lines = [IMAGES_UNREAD[1 if answer.en else 0]] if plan.images else []
    lines += [line for line in compose(answer) if line]
    return "\n".join(lines) + "\n\n" + notice
