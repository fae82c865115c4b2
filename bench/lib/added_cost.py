"""What governance adds to one chat question and to one text request, all of it together:
the quota checks, the personal-data scrub and restore, and the metric updates, as the service
makes them (bench/governance_overhead.py runs these in a configured Django process).

A chat question here is the common shape: a question with one tool round, so two model
requests (the first reserved with the question's admission in one round trip, settled with
its tool call's calls-a-minute admission and the second's reservation in one; the second
settled reporting the final frame's budget in its own round trip), the answer streamed back
through the scrubber's restorer in small deltas. A text request: the owner's policy (from the
row the recommendation's statement brings, its overrides kept per process), one structured
call (reserved and settled), its FACTS scrubbed and the answer restored. The model, the
tools and the database writes the service makes anyway are not timed: only what issue 20
adds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import count as counter
from itertools import cycle

from .pii_payloads import ANSWER, HISTORY, QUESTION, tool_content
from .results import wall_and_cpu_ms


@dataclass(frozen=True)
class _ToolCall:
    """A tool call as llm.gateway streams it."""

    name: str
    arguments: str


MODEL = "openai/gpt-4o-mini"
MAX_TOKENS = 500
DELTA_CHARS = 12
# What the fake provider reports for each request: tokens and USD.
USAGE = {"prompt": 1500, "completion": 180, "cost_usd": Decimal("0.00061")}


def _ms(function: Callable[[], object], runs: int) -> dict[str, list[float]]:
    wall, cpu = wall_and_cpu_ms(function, runs)
    return {"wall": wall, "cpu": cpu}


def _used(reserved):
    """`reserved` told what the fake provider reported for its request."""
    reserved.meter.add(tokens=USAGE["prompt"] + USAGE["completion"], cost_usd=USAGE["cost_usd"])
    return reserved


def _metered(policy, messages: list[dict]) -> None:
    """One model request's reservation and settle (governance.metering, synchronously)."""
    from governance.metering import reserve_ahead

    _used(reserve_ahead(policy, messages=messages, max_tokens=MAX_TOKENS)).settle()


def _model_metrics(purpose: str) -> None:
    """What llm.accounting counts for one answered request."""
    from core import metrics

    metrics.model_requests.labels(MODEL, purpose, "ok").inc()
    metrics.model_tokens.labels(MODEL, "prompt").inc(USAGE["prompt"])
    metrics.model_tokens.labels(MODEL, "completion").inc(USAGE["completion"])
    metrics.model_cost.labels(MODEL, "provider").inc(float(USAGE["cost_usd"]) * 90)


def _chat_quota(policy, requests: list[list[dict]]) -> None:
    """As chat.turns and chat.model_loop make them: the question's admission with the first
    request's reservation (one Redis script); its settle with the tool call's admission and
    the second request's reservation (one script, on chat.quota.next_call_estimate); the
    second request's settle, reporting the final frame's budget (one script)."""
    from django.conf import settings

    from chat.quota import ahead_fits, next_call_estimate, round_settle
    from governance.metering import question_reserve_ahead

    call = _ToolCall("get_service_breakdown", json.dumps({"time_range_days": 30}))
    max_tokens = settings.CHAT_MAX_ANSWER_TOKENS
    first = question_reserve_ahead(policy, messages=requests[0], max_tokens=max_tokens)
    ahead = next_call_estimate(policy, messages=requests[0], text="", calls=[call])
    _, _, second = round_settle(_used(first), policy=policy, names=[call.name], ahead=ahead)
    assert ahead_fits(second, requests[1])
    round_settle(_used(second), policy=policy, names=None)


PACK_TOOLS = (
    "get_analytics_overview",
    "get_cost_trends",
    "get_anomalies",
    "summarize_top_recommendations",
    "get_provider_breakdown",
)


def _chat_metrics() -> None:
    from core import metrics

    for _ in range(2):
        _model_metrics("chat")
    metrics.tool_call_count(
        tool="get_service_breakdown", outcome="ok", origin=metrics.ORIGIN_MODEL, seconds=0.004
    )
    # The analytics pack's five reads (chat.context), counted as they are audited.
    for tool in PACK_TOOLS:
        metrics.tool_call_count(
            tool=tool, outcome="ok", origin=metrics.ORIGIN_CONTEXT, seconds=0.002
        )
    metrics.chat_first_delta.labels("analytics").observe(0.31)
    metrics.chat_answers.labels("analytics", "done").inc()


def _chat_scrub(rounds: list[list[str]], names: tuple[str, ...]) -> None:
    """A fresh scrubber per turn; each round resends the conversation so far."""
    from llm.pii import PiiScrubber

    scrubber, sent = PiiScrubber(names=names), []
    for added in rounds:
        sent += added
        for text in sent:
            scrubber.scrub(text)
    scrubber.restore_data({"time_range_days": 30})
    restorer = scrubber.stream_restorer()
    for start in range(0, len(ANSWER), DELTA_CHARS):
        restorer.feed(ANSWER[start : start + DELTA_CHARS])
    restorer.flush()


def chat_question_parts(*, user, policy, runs: int) -> dict[str, dict[str, list[float]]]:
    """ms per chat question: each part alone, and all of them together."""
    from chat.context import context_pack_build, context_pack_json

    pack = context_pack_json(
        pack=context_pack_build(user=user, scenario="analytics", recommendation_id=None, context={})
    )
    result = tool_content(user, "get_service_breakdown")
    turn = [pack, *HISTORY, QUESTION]
    arguments = json.dumps({"time_range_days": 30})
    requests = [
        [{"role": "user", "content": text} for text in turn],
        [{"role": "user", "content": text} for text in [*turn, arguments, result]],
    ]
    names = policy.names or (user.first_name, user.last_name)
    asked = counter()

    def quota() -> None:
        _chat_quota(policy, requests)

    def scrub() -> None:
        # The session's pack and its earlier messages come again (llm.pii.SCRUB_MEMO knows
        # them); the question, the previous answer and the tool's result are new each time.
        n = next(asked)
        history = [*HISTORY[:-1], f"{HISTORY[-1]} ({n})"]
        first = [pack, *history, f"{QUESTION} ({n})"]
        _chat_scrub([first, [arguments, f'{result[:-1]}, "n": {n}}}']], names)

    def together() -> None:
        quota()
        scrub()
        _chat_metrics()

    return {
        "quota": _ms(quota, runs),
        "scrub": _ms(scrub, runs),
        "metrics": _ms(_chat_metrics, runs),
        "total": _ms(together, runs),
    }


def _structured_answer(facts_message: str, scrubber) -> object:
    """The model's structured answer, as the SDK parses it, quoting the prompt's placeholders."""
    from openai.types.chat import ChatCompletion

    placeholders = " ".join(sorted(set(scrubber.issued))) or "office"
    arguments = json.dumps(
        {
            "short_description_html": f"Экономия <strong>261 ₽/мес</strong> {placeholders}",
            "detailed_description_html": f"{placeholders}: " + facts_message[:300],
        },
        ensure_ascii=False,
    )
    call = {"id": "c1", "type": "function", "function": {"name": "T", "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        }
    )


def text_request_parts(*, user, runs: int) -> dict[str, dict[str, list[float]]]:
    """ms per text request (its owner's policy, one structured call), pooled over the demo
    user's recommendations: each part alone, and all of them together."""
    from core import metrics
    from governance.policy import policy_for
    from infrazen.models import OptimizationRecommendation
    from llm.pii import PiiScrubber
    from llm.structured import _restored
    from recommendations_ai import prompts
    from recommendations_ai.facts import facts_build

    messages = []
    for rec in OptimizationRecommendation.objects.filter(resource__provider__user=user):
        facts = facts_build(recommendation=rec)
        messages.append(prompts.text_messages(facts=facts.as_dict(), family=facts.family))
    names = (user.first_name, user.last_name)
    answers = []
    for request in messages:
        scrubber = PiiScrubber(names=names)
        answers.append(_structured_answer(scrubber.scrub(request[1]["content"]), scrubber))
    requests = cycle(list(zip(messages, answers, strict=True)))

    def quota() -> None:
        # The owner's row comes with the recommendation's own statement (its role and names);
        # the overrides row is kept per process (governance.policy).
        _metered(policy_for(user=user), next(requests)[0])

    made = counter()

    def scrub() -> None:
        # The system prompt is the same for every request (llm.pii.SCRUB_MEMO knows it); the
        # FACTS are a new recommendation's, never scrubbed before.
        (system, facts), answer = next(requests)
        scrubber = PiiScrubber(names=names)
        scrubber.scrub(system["content"])
        scrubber.scrub(f"{facts['content']} ({next(made)})")
        _restored(answer, scrubber)

    def count() -> None:
        _model_metrics("recommendation_text")
        metrics.text_generations.labels("llm").inc()

    def together() -> None:
        quota()
        scrub()
        count()

    return {
        "quota": _ms(quota, runs),
        "scrub": _ms(scrub, runs),
        "metrics": _ms(count, runs),
        "total": _ms(together, runs),
    }
