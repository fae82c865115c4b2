"""The narrative from the model, held to the facts: or the template narrative, and why.

The model sees the report's headline facts only (KPIs, scenarios, the largest groups): a
prompt of the same size whatever the tenant's size. Instructor re-asks once when the
validator refuses the answer; after that, or on any model failure or deadline, the template
narrative ships and the report records why.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import ValidationInfo, model_validator

from core.db import db_sync_to_async
from governance.metering import structured_metered
from governance.policy import Policy, policy_for_id
from governance.refusals import QuotaExceeded
from llm import gateway
from llm.errors import LLMError, LLMValidationError
from recommendations_ai.services import MODE_LLM, text_mode
from reports import prompts
from reports.narrative import Narrative, narrative_problems, narrative_template
from reports.roles import ROLES
from reports.snapshot import ReportSnapshot

CONTEXT_KEY = "report_fact_ids"
# Facts the model may see: the headline ones, not one per table row.
# Facts the model may see, in this order: the headline ones, not one per table row, so the
# prompt is the same size for 50 resources or 5,000.
PROMPT_FACT_PATTERN = re.compile(
    r"^(cost|resources|savings|sync|forecast|anomalies|quality)\.[a-z_]+$"
    r"|^scenario\.[a-z_]+\.(monthly|yearly|percent|delay)$"
    r"|^migrate\.[a-z_]+\.(count|monthly|yearly)$"
    r"|^plan\.[a-z_]+$"
    r"|^(service\.[1-3]|provider\.[1-2])\.(monthly|share)$"
)
MAX_PROMPT_FACTS = 45
NARRATIVE_MAX_TOKENS = 900
DEADLINE_RESERVE_S = 1.5


class CheckedNarrative(Narrative):
    """Narrative that refuses any figure that is not a known fact (the ids come per call)."""

    @model_validator(mode="after")
    def grounded(self, info: ValidationInfo) -> CheckedNarrative:
        fact_ids = (info.context or {}).get(CONTEXT_KEY)
        if not isinstance(fact_ids, set):
            raise ValueError("no facts to check the narrative against")
        if problems := narrative_problems(self, fact_ids=fact_ids):
            raise ValueError("; ".join(problems[:6]))
        return self


@dataclass
class NarrativeResult:
    narrative: Narrative
    source: str  # "llm" | "template"
    note: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = field(default_factory=lambda: Decimal(0))


def prompt_facts(snapshot: ReportSnapshot) -> list[dict]:
    chosen = [f for f in snapshot.facts.values() if PROMPT_FACT_PATTERN.match(f.id)]
    return [{"id": f.id, "label": f.label, "value": f.display()} for f in chosen[:MAX_PROMPT_FACTS]]


async def narrative_generate(
    *, snapshot: ReportSnapshot, user_id: int, deadline: float
) -> NarrativeResult:
    template = narrative_template(snapshot)
    # The recommendation texts' rule: AI_TEXT_MODE, auto meaning the model when one is set.
    if text_mode() != MODE_LLM:
        return NarrativeResult(template, "template", note="offline: no model configured")
    budget = deadline - DEADLINE_RESERVE_S - time.monotonic()
    if budget <= 0:
        return NarrativeResult(template, "template", note="llm: no time left for the model")
    policy = await db_sync_to_async(policy_for_id)(user_id=user_id)
    try:
        answer, completion = await _model_narrative(
            snapshot=snapshot, user_id=user_id, deadline=deadline, budget=budget, policy=policy
        )
    except QuotaExceeded as refusal:
        # The user's day or the service's cap: the template narrative, and why.
        return NarrativeResult(template, "template", note=f"quota: {refusal.limit}")
    except LLMValidationError as exc:
        return NarrativeResult(
            template, "template", note=f"validation: {exc.errors[:900]}", **_spent(exc.completion)
        )
    except (LLMError, TimeoutError) as exc:
        why = getattr(exc, "message", None) or "deadline reached"
        return NarrativeResult(template, "template", note=f"llm: {why}")
    narrative = Narrative.model_validate(answer.model_dump())
    return NarrativeResult(narrative, "llm", note="ok", **_spent(completion))


def _spent(completion) -> dict:
    return {
        "model": completion.model or completion.model_requested,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "cost_usd": completion.cost_usd,
    }


async def _model_narrative(
    *, snapshot: ReportSnapshot, user_id: int, deadline: float, budget: float, policy: Policy
):
    """The model's narrative and its completion, metered against the user's budget: raises
    QuotaExceeded before the call, LLMError, LLMValidationError or TimeoutError after."""
    facts = prompt_facts(snapshot)
    role = ROLES[snapshot.role]
    messages = prompts.narrative_messages(role_label=role.label, focus=role.focus, facts=facts)

    async def call():
        return await asyncio.wait_for(
            gateway.structured(
                purpose="report_narrative",
                messages=messages,
                response_model=CheckedNarrative,
                validation_context={CONTEXT_KEY: {f["id"] for f in facts}},
                max_validation_retries=1,
                max_tokens=NARRATIVE_MAX_TOKENS,
                deadline=deadline - DEADLINE_RESERVE_S,
                user_id=user_id,
                model=policy.model,
                pii_names=policy.names,
            ),
            timeout=budget,
        )

    return await structured_metered(
        policy, messages=messages, max_tokens=NARRATIVE_MAX_TOKENS, call=call
    )
