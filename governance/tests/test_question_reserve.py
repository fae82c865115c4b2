"""A question's admission and its first model call's reservation at once
(question_admit_reserve: one Redis script; on the database, the two as before): the
questions-a-minute window first, then the budgets, each refusing as question_admit and
budget_reserve do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.budgets import budget_reserve, budget_status
from governance.per_minute import question_admit
from governance.refusals import LIMIT_QUESTIONS, LIMIT_RUB, LIMIT_SERVICE, QuotaExceeded
from governance.tests.helpers import policy
from governance.trips import question_admit_reserve
from ops.ratelimit import rate_count

pytestmark = pytest.mark.django_db

ALICE = 8021
QUESTION_KEY = f"governance:q:{ALICE}"


def _asked() -> int:
    return rate_count(key=QUESTION_KEY, window_s=60)


def test_an_admitted_question_is_counted_and_its_first_call_reserved(backend, clock):
    alice = policy(ALICE, questions=1000)

    reservation = question_admit_reserve(policy=alice, tokens=1200, cost_usd=Decimal("0.04"))

    assert not isinstance(reservation, QuotaExceeded)
    assert reservation.store == ("redis" if backend == "redis" else "database")
    assert (reservation.tokens, reservation.rub_units) == (1200, 4 * 10_000)
    assert _asked() == 1
    status = budget_status(policy=alice)
    assert (status.tokens_used, status.rub_used) == (1200, Decimal(4))


def test_the_window_is_the_one_question_admit_counts(backend, clock):
    """Both count the same key and window: two of one limit between them."""
    alice = policy(ALICE, questions=2)
    question_admit(policy=alice)
    question_admit_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))

    with pytest.raises(QuotaExceeded) as refused:
        question_admit(policy=alice)
    assert refused.value.limit == LIMIT_QUESTIONS


def test_a_question_over_the_minute_limit_reserves_nothing(backend, clock):
    """The window refuses first: the budgets are not even checked (spent ones included)."""
    alice = policy(ALICE, rub=1, questions=1)
    question_admit(policy=alice)
    budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))  # 1 ₽ of 1 ₽
    before = budget_status(policy=alice)

    with pytest.raises(QuotaExceeded) as refused:
        question_admit_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))

    assert refused.value.limit == LIMIT_QUESTIONS
    assert refused.value.message.startswith("Слишком много вопросов")
    assert budget_status(policy=alice) == before
    assert _asked() == 2  # every attempt counts, refused ones too (ops.ratelimit)


def test_a_question_the_budget_refuses_is_counted_and_gets_the_refusal_back(backend, clock):
    alice = policy(ALICE, rub=150, questions=1000)
    budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("1.50"))

    refusal = question_admit_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))

    assert isinstance(refusal, QuotaExceeded) and refusal.limit == LIMIT_RUB
    assert refusal.message.startswith("Дневной лимит на запросы к модели исчерпан: 150 ₽ из 150 ₽.")
    assert _asked() == 1
    assert budget_status(policy=alice).rub_used == Decimal(150)  # nothing reserved


def test_the_user_limit_is_named_before_the_service_cap(backend, clock, settings):
    settings.AGENT_DAILY_CAP_RUB = 10.0
    alice = policy(ALICE, rub=10, questions=1000)
    budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.10"))

    refusal = question_admit_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))
    assert refusal.limit == LIMIT_RUB

    generous = policy(ALICE, rub=1000, questions=1000)
    refusal = question_admit_reserve(policy=generous, tokens=1, cost_usd=Decimal("0.001"))
    assert refusal.limit == LIMIT_SERVICE and refusal.service_wide


def test_with_redis_unreachable_the_database_admits_and_reserves(clock, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    alice = policy(ALICE, questions=1000)

    reservation = question_admit_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))

    assert reservation.store == "database"
    settings.REDIS_URL = ""
    assert budget_status(policy=alice).rub_used == Decimal(3)
    assert _asked() == 1
