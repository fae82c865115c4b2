"""One model call metered against its user's budget: reserve an estimate before, settle with
what the provider reported after (governance.budgets), whatever happens in between.

    async with model_call_metered(policy=policy, messages=messages, max_tokens=400) as meter:
        completion = await gateway.structured(...)
        meter.add(tokens=completion.total_tokens, cost_usd=completion.cost_usd)

Entering raises QuotaExceeded (nothing reserved). Leaving settles with what `meter` was told,
also on a failure or a cancel: a call that brought nothing back gives its reservation back.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.db import db_sync_to_async
from governance.budgets import (
    BudgetStatus,
    Reservation,
    budget_estimate,
    budget_reserve,
    budget_settle,
)
from governance.per_minute import tool_calls_admit
from governance.policy import Policy
from governance.refusals import QuotaExceeded
from governance.trips import (
    Estimate,
    budget_settle_admit,
    estimate_reserve,
    question_admit_reserve,
)
from llm.errors import LLMValidationError

# An image costs about this many prompt tokens (a screenshot at OpenAI's "high" detail).
IMAGE_TOKENS = 1_000
# Tokens the API adds around each message.
MESSAGE_OVERHEAD_TOKENS = 4


def prompt_tokens_estimate(messages: list[dict[str, Any]]) -> int:
    """A quick upper-leaning estimate of a prompt's tokens: half its characters (o200k takes
    about three characters of Russian, four of English, per token). No tokenizer: it runs
    before every model call, and the settle corrects it to the provider's count."""
    chars, images = 0, 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    images += 1
                elif isinstance(part, dict):
                    chars += len(str(part.get("text", "")))
        for call in message.get("tool_calls") or ():
            chars += len(str(call.get("function", {}).get("arguments", "")))
    overhead = MESSAGE_OVERHEAD_TOKENS * len(messages)
    return math.ceil(chars / 2) + images * IMAGE_TOKENS + overhead


@dataclass
class Meter:
    """What a metered call really took, as the provider reported it."""

    tokens: int = 0
    cost_usd: Decimal = Decimal(0)

    def add(self, *, tokens: int, cost_usd: Decimal | float) -> None:
        self.tokens += tokens
        self.cost_usd += Decimal(str(cost_usd))

    def add_completion(self, completion: Any) -> None:
        """What an llm.gateway Completion reports for its whole call (every attempt)."""
        self.add(
            tokens=completion.prompt_tokens + completion.completion_tokens,
            cost_usd=completion.cost_usd,
        )


async def structured_counted(
    meter: Meter, call: Callable[[], Awaitable[tuple[Any, Any]]]
) -> tuple[Any, Any]:
    """`call()` (an llm.gateway.structured call): its answer and completion, what it took
    told to `meter`. An answer that failed validation is paid for all the same: its
    completion counts before LLMValidationError goes on."""
    try:
        answer, completion = await call()
    except LLMValidationError as exc:
        meter.add_completion(exc.completion)
        raise
    meter.add_completion(completion)
    return answer, completion


async def structured_metered(
    policy: Policy | None,
    *,
    messages: list[dict[str, Any]],
    max_tokens: int,
    call: Callable[[], Awaitable[tuple[Any, Any]]],
) -> tuple[Any, Any]:
    """`call()` (an llm.gateway.structured call on `messages`) metered: its answer and
    completion; the reservation settles whatever happens."""
    async with model_call_metered_for(policy, messages=messages, max_tokens=max_tokens) as meter:
        return await structured_counted(meter, call)


def model_call_metered_for(
    policy: Policy | None, *, messages: list[dict[str, Any]], max_tokens: int
) -> contextlib.AbstractAsyncContextManager[Meter]:
    """`model_call_metered`, or with no user to charge (policy None) a meter that counts
    nothing."""
    if policy is None:
        return contextlib.nullcontext(Meter())
    return model_call_metered(policy=policy, messages=messages, max_tokens=max_tokens)


@contextlib.asynccontextmanager
async def model_call_metered(
    *, policy: Policy, messages: list[dict[str, Any]], max_tokens: int
) -> AsyncIterator[Meter]:
    reserved = await db_sync_to_async(reserve_ahead)(
        policy, messages=messages, max_tokens=max_tokens
    )
    try:
        yield reserved.meter
    finally:
        # Shielded: a cancel (the client went away) must not leave the estimate counted.
        await asyncio.shield(db_sync_to_async(reserved.settle)())


@dataclass
class Reserved:
    """A model call's reservation and what the call took (`meter`), for a caller that makes
    its own trips to the database thread: it reserves with the reads before the call
    (`reserve_ahead`) and settles with the writes after it (`settle`), two trips fewer than
    model_call_metered. The settle must happen on every path, failures and cancels too."""

    reservation: Reservation
    meter: Meter = field(default_factory=Meter)
    settled: bool = False

    def settle(self, *, status: bool = False) -> BudgetStatus | None:
        """Correct the reservation to what `meter` was told (sync; never raises; once): the
        user's budget status after it, when known (budget_settle's `status`)."""
        if self.settled:
            return None
        self.settled = True
        return budget_settle(
            reservation=self.reservation,
            tokens=self.meter.tokens,
            cost_usd=self.meter.cost_usd,
            status=status,
        )

    def settle_admitting(
        self, *, policy: Policy, tools: Sequence[str], ahead: Estimate | None = None
    ) -> tuple[BudgetStatus | None, list[QuotaExceeded | None], Reserved | QuotaExceeded | None]:
        """`settle`, the calls-a-minute admission of each of `tools` (the calls the model
        asked for) and the reservation of `ahead` (the next call's estimate), in one round
        trip on Redis (governance.trips.budget_settle_admit): the status when known, each
        tool's refusal (None: admitted), and the next call's reservation or its refusal
        (None: none asked)."""
        if self.settled:
            refusals = tool_calls_admit(policy=policy, tools=tools)
            return None, refusals, _ahead(estimate_reserve(policy, ahead))
        self.settled = True
        settled = budget_settle_admit(
            reservation=self.reservation,
            tokens=self.meter.tokens,
            cost_usd=self.meter.cost_usd,
            policy=policy,
            tools=tools,
            ahead=ahead,
        )
        return settled.status, settled.refusals, _ahead(settled.ahead)


def _ahead(made: Reservation | QuotaExceeded | None) -> Reserved | QuotaExceeded | None:
    return Reserved(made) if isinstance(made, Reservation) else made


def reserve_ahead(policy: Policy, *, messages: list[dict[str, Any]], max_tokens: int) -> Reserved:
    """Reserve the estimate of one call on `messages` (sync: the database thread). Raises
    QuotaExceeded, with nothing reserved."""
    estimate = _messages_estimate(policy, messages=messages, max_tokens=max_tokens)
    return Reserved(
        budget_reserve(policy=policy, tokens=estimate.tokens, cost_usd=estimate.cost_usd)
    )


def question_reserve_ahead(
    policy: Policy, *, messages: list[dict[str, Any]], max_tokens: int
) -> Reserved | QuotaExceeded:
    """Admit a question (its questions-a-minute window) and reserve its first call on
    `messages`, in one round trip on Redis (governance.trips.question_admit_reserve; sync).
    Raises QuotaExceeded for the questions-a-minute limit; the budget's refusal comes back."""
    estimate = _messages_estimate(policy, messages=messages, max_tokens=max_tokens)
    admitted = question_admit_reserve(
        policy=policy, tokens=estimate.tokens, cost_usd=estimate.cost_usd
    )
    return admitted if isinstance(admitted, QuotaExceeded) else Reserved(admitted)


def call_estimate(policy: Policy, *, prompt_tokens: int, max_tokens: int) -> Estimate:
    """What to reserve for one call of the policy's model on a prompt of `prompt_tokens`."""
    tokens, cost_usd = budget_estimate(
        model=policy.model, prompt_tokens=prompt_tokens, max_output_tokens=max_tokens
    )
    return Estimate(tokens, cost_usd)


def _messages_estimate(
    policy: Policy, *, messages: list[dict[str, Any]], max_tokens: int
) -> Estimate:
    return call_estimate(
        policy, prompt_tokens=prompt_tokens_estimate(messages), max_tokens=max_tokens
    )
