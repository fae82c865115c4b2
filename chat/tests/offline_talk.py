"""What the offline assistant's tests share: a conversation run the way the engine runs it.

The planned calls run through the real registry as the given user, then the second round, then
the answer; `assert_well_formed` checks what every answer must be (one notice, no HTML, every ₽
with its period, no None or nan).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chat.offline import (
    OFFLINE_NOTICE_EN,
    OFFLINE_NOTICE_RU,
    OfflinePlan,
    PlannedCall,
    offline_answer,
    offline_followup,
    offline_plan,
)
from infrazen.models import InfraZenUser, OptimizationRecommendation
from tools.base import ToolError
from tools.registry import tool_run

REC = "recommendation"
ANALYTICS = "analytics"
PERIOD_WORDS = ("мес", "день", "год", "квартал", "month", "day", "year", "quarter")
# Every ₽ says its period: "₽/мес", or a one-off amount with what it covers ("₽ за весь всплеск").
RUB_WITHOUT_PERIOD = re.compile(r"₽(?!/(?:" + "|".join(PERIOD_WORDS) + r")\b| за | over )")


def rec_id(user: InfraZenUser, recommendation_type: str, resource_name: str | None = None) -> int:
    recs = OptimizationRecommendation.objects.filter(
        resource__provider__user=user, recommendation_type=recommendation_type
    ).order_by("id")
    if resource_name:
        recs = recs.filter(resource__resource_name=resource_name)
    return recs.first().pk


def run_calls(user, calls: list[PlannedCall], scenario: str):
    results = []
    for call in calls:
        try:
            result = tool_run(
                user=user,
                name=call.name,
                arguments_json=json.dumps(call.arguments),
                scenario=scenario,
            )
        except ToolError as exc:
            result = exc
        results.append((call, result))
    return results


@dataclass
class Conversation:
    plan: OfflinePlan
    results: list
    text: str

    def result(self, name: str):
        found = [r for call, r in self.results if call.name == name]
        assert found, f"{name} was not called"
        return found[0]


def converse(
    user,
    scenario: str,
    question: str,
    *,
    recommendation_id: int | None = None,
    context: dict | None = None,
    followup: bool = True,
) -> Conversation:
    """What the engine does: plan, run as the connected user, follow up, answer."""
    plan = offline_plan(
        scenario=scenario,
        recommendation_id=recommendation_id,
        context=context or {},
        question=question,
    )
    results = run_calls(user, plan.calls, scenario)
    if followup:
        results += run_calls(user, offline_followup(plan=plan, results=results), scenario)
    return Conversation(plan, results, offline_answer(plan=plan, results=results))


def item_line(text: str, prefix: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(prefix))


def assert_well_formed(text: str, language: str) -> None:
    notice = OFFLINE_NOTICE_EN if language == "en" else OFFLINE_NOTICE_RU
    other = OFFLINE_NOTICE_RU if language == "en" else OFFLINE_NOTICE_EN
    assert text.count(notice) == 1 and other not in text
    assert text.rstrip().endswith(notice)
    assert "None" not in text and "nan" not in text.lower().split()
    assert not re.search(r"\bnan\b|\binf\b", text)
    assert not RUB_WITHOUT_PERIOD.search(text), RUB_WITHOUT_PERIOD.search(text).string
    # The client escapes HTML and renders only **bold** and line breaks.
    assert "<" not in text and ">" not in text
    assert "```" not in text and "__" not in text
    assert not re.search(r"^\s*#", text, re.MULTILINE)
    assert text.count("**") % 2 == 0
    if language == "ru":
        assert re.search(r"[а-яё]{4,}", text.replace(notice, "").lower())
