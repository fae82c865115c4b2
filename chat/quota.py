"""The chat's side of the budgets and limits (governance, issue 20).

A question first passes its user's questions-a-minute limit; a refused one is stored with
its refusal as the answer (`refused_content`), so the replay shows it went unanswered. Each
model call reserves its estimate and settles with the rows the gateway recorded for it
(chat.model_loop); each tool call passes its calls-a-minute limit and the role's tool policy
(`tool_refusal`). The final `assistant` frame shows what is left of the day (`budget_left`).
"""

from __future__ import annotations

import logging
import math
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from chat import texts
from chat.auth import ChatPrincipal
from chat.services import chat_answer_mark
from governance.budgets import BudgetStatus, budget_status
from governance.metering import (
    MESSAGE_OVERHEAD_TOKENS,
    Meter,
    Reserved,
    call_estimate,
    prompt_tokens_estimate,
)
from governance.moscow import moscow_now
from governance.per_minute import tool_call_admit
from governance.policy import Policy, policy_for_id, tool_permitted
from governance.refusals import QuotaExceeded
from governance.trips import Estimate
from llm.models import LLMCall
from tools.base import MAX_RESULT_BYTES, ToolError
from tools.registry import TOOLS

logger = logging.getLogger(__name__)

STATUS_REFUSED = "refused"
# A tool's result as the model is shown it (chat.model_loop: {"ok": true, "data": ...}) at
# the most a tool returns, in prompt tokens as governance.metering estimates them.
TOOL_RESULT_TOKENS = (MAX_RESULT_BYTES + 32 + 1) // 2  # rounded up


def chat_policy(principal: ChatPrincipal) -> Policy:
    """The connection's policy, or (a principal built without one) the user's, read now."""
    return principal.policy or policy_for_id(user_id=principal.user_id)


def refused_content(refusal: QuotaExceeded, *, partial: str = "") -> str:
    """What a refused question's answer row holds: any text streamed before, the refusal,
    and the marker that says the question went unanswered."""
    text = f"{partial.rstrip()}\n\n{refusal.message}" if partial.strip() else refusal.message
    return chat_answer_mark(partial=text, marker=texts.QUOTA_MARKER)


def budget_left(policy: Policy, status: BudgetStatus | None = None) -> dict[str, Any] | None:
    """The user's budget left today, for the final frame (sync): `status` (the answer's last
    settle reported it) while its day lasts, else read now; None when unreadable."""
    if status is None or status.resets_at <= moscow_now():
        try:
            status = budget_status(policy=policy)
        except (RedisError, DatabaseError):
            logger.warning("budget status unreadable", exc_info=True)
            return None
    return {
        "rub_left": float(max(Decimal(0), status.rub_allowed - status.rub_used)),
        "tokens_left": max(0, status.tokens_allowed - status.tokens_used),
        "resets_at": status.resets_at.isoformat(timespec="seconds"),
    }


def tool_refusal(*, policy: Policy, name: str) -> ToolError | None:
    """Why the user may not run tool `name` now, as the model is told; None: go ahead (sync:
    it counts the call)."""
    if not _permitted(policy=policy, name=name):
        return ToolError(texts.TOOL_NOT_PERMITTED_TEXT)
    try:
        tool_call_admit(policy=policy, tool=name[:64])
    except QuotaExceeded as refusal:
        return ToolError(refusal.message)
    return None


def _permitted(*, policy: Policy, name: str) -> bool:
    module = TOOLS.get(name)
    read_only = getattr(module, "READ_ONLY", False) if module is not None else True
    return tool_permitted(policy=policy, read_only=read_only, confirmed=False)


def round_settle(
    reserved: Reserved, *, policy: Policy, names: list[str] | None, ahead: Estimate | None = None
) -> tuple[BudgetStatus | None, list[ToolError | None] | None, Reserved | QuotaExceeded | None]:
    """Settle a model call's reservation, admit the tools it asks for (`names`) and reserve
    the next call (`ahead`, the one that reads their results), in one round trip on Redis
    (sync; the settle never raises). The budget after it, when known (the database reads it
    only for the answer's last call, the one that asks for none); what the model is told
    instead of each tool's result (tool_refusal's; None: run it), or None when the
    admissions failed: each tool is admitted as it runs; and the next call's reservation or
    its refusal (None: not made, the next call reserves its own)."""
    if not names:
        return reserved.settle(status=True), [], None
    permitted = [_permitted(policy=policy, name=name) for name in names]
    tools = [name[:64] for name, ok in zip(names, permitted, strict=True) if ok]
    try:
        status, refusals, next_call = reserved.settle_admitting(
            policy=policy, tools=tools, ahead=ahead
        )
    except (RedisError, DatabaseError):
        logger.warning("tool calls not admitted with the settle", exc_info=True)
        return None, None, None
    admitted = iter(refusals)
    told = [
        _told(next(admitted)) if ok else ToolError(texts.TOOL_NOT_PERMITTED_TEXT)
        for ok in permitted
    ]
    return status, told, next_call


def next_call_estimate(
    policy: Policy, *, messages: list[dict[str, Any]], text: str, calls: list[Any]
) -> Estimate:
    """The estimate of the call that will read the results of `calls` (the tools the last
    call asked for), made before they run: the prompt so far, the assistant's message, and
    each result at the most a tool returns (tools.base.MAX_RESULT_BYTES). A result over it
    re-reserves before the call (`ahead_fits`)."""
    asked = len(text) + sum(len(call.name) + len(call.arguments or "") for call in calls)
    prompt = (
        prompt_tokens_estimate(messages)
        + math.ceil(asked / 2)
        + (len(calls) + 1) * MESSAGE_OVERHEAD_TOKENS
        + len(calls) * TOOL_RESULT_TOKENS
    )
    return call_estimate(policy, prompt_tokens=prompt, max_tokens=settings.CHAT_MAX_ANSWER_TOKENS)


def ahead_fits(reserved: Reserved, messages: list[dict[str, Any]]) -> bool:
    """Whether a reservation made ahead covers the call on `messages` as they are now."""
    needed = prompt_tokens_estimate(messages) + settings.CHAT_MAX_ANSWER_TOKENS
    return needed <= reserved.reservation.tokens


def _told(refusal: QuotaExceeded | None) -> ToolError | None:
    return None if refusal is None else ToolError(refusal.message)


def meter_rows(meter: Meter, rows: list[LLMCall]) -> None:
    """Tell `meter` what the gateway's rows of one model call report (every attempt's)."""
    for row in rows:
        meter.add(
            tokens=(row.prompt_tokens or 0) + (row.completion_tokens or 0),
            cost_usd=row.cost_usd or 0,
        )


def stream_model(policy: Policy, messages: list[dict[str, Any]]) -> str | None:
    """The model a chat call asks for: the demo model for a demo chat (not for images, which
    need a vision model), else the gateway's own choice."""
    if not policy.demo or not settings.LLM_MODEL_DEMO:
        return None
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return None
    return policy.model
