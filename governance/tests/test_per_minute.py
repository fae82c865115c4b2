"""Questions a minute per user and tool calls a minute per user and tool: ops.ratelimit's
windows, shared by every worker, with a refusal that says when to try again."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import ops.ratelimit
from governance.per_minute import question_admit, tool_call_admit
from governance.refusals import LIMIT_QUESTIONS, LIMIT_TOOL_CALLS, QuotaExceeded
from governance.tests.helpers import policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def minute(monkeypatch):
    now = [1_800_000_020.0]  # 20 s into a minute
    monkeypatch.setattr(ops.ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def test_the_question_after_the_limit_is_refused_until_the_minute_ends(clock, minute):
    alice = policy(1, questions=3)
    for _ in range(3):
        question_admit(policy=alice)

    with pytest.raises(QuotaExceeded) as refused:
        question_admit(policy=alice)

    assert refused.value.limit == LIMIT_QUESTIONS
    assert refused.value.retry_after_s == 40
    assert refused.value.message == (
        "Слишком много вопросов: не больше 3 в минуту. Спросите снова через 40 секунд."
    )
    minute[0] += 40
    question_admit(policy=alice)


def test_bobs_questions_are_not_counted_against_alice(clock):
    alice, bob = policy(1, questions=1), policy(2, questions=1)
    question_admit(policy=alice)

    question_admit(policy=bob)

    with pytest.raises(QuotaExceeded):
        question_admit(policy=alice)


def test_tool_calls_are_counted_per_tool(clock, minute):
    alice = policy(1, tool_calls=2)
    tool_call_admit(policy=alice, tool="get_resources")
    tool_call_admit(policy=alice, tool="get_resources")
    tool_call_admit(policy=alice, tool="get_kpis")

    with pytest.raises(QuotaExceeded) as refused:
        tool_call_admit(policy=alice, tool="get_resources")

    assert refused.value.limit == LIMIT_TOOL_CALLS
    assert refused.value.message == (
        "Инструмент «get_resources» вызывается слишком часто: не больше 2 раз в минуту. "
        "Повторите через 40 секунд."
    )
    tool_call_admit(policy=policy(2, tool_calls=2), tool="get_resources")
