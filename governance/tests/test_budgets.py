"""Daily budgets per user and for the service: reserved before a model call, settled to the
provider's cost after, reset at Moscow midnight, shared by every worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from governance.budgets import (
    _counters,
    budget_release,
    budget_reserve,
    budget_settle,
    budget_status,
    service_cap_reached,
    service_spend_today_rub,
)
from governance.moscow import MOSCOW
from governance.refusals import LIMIT_RUB, LIMIT_SERVICE, LIMIT_TOKENS, QuotaExceeded
from governance.store import Charge, Counter
from governance.tests.backends import BACKENDS, backend_use, store_new
from governance.tests.helpers import policy

pytestmark = pytest.mark.django_db

ALICE, BOB = 8001, 8002


@pytest.fixture(params=BACKENDS)
def backend(request, settings) -> str:
    backend_use(request.param, settings)
    return request.param


def test_settle_corrects_the_reservation_down_to_the_real_cost(backend, clock):
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1900, cost_usd=Decimal("0.05"))
    assert budget_status(policy=alice).rub_used == Decimal(5)

    budget_settle(reservation=reservation, tokens=700, cost_usd=Decimal("0.0123"))

    status = budget_status(policy=alice)
    assert status.rub_used == Decimal("1.23")
    assert status.tokens_used == 700
    assert service_spend_today_rub() == Decimal("1.23")


def test_settle_corrects_the_reservation_up_to_the_real_cost(backend, clock):
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))

    budget_settle(reservation=reservation, tokens=2500, cost_usd=Decimal("0.034"))

    assert budget_status(policy=alice).rub_used == Decimal("3.4")
    assert budget_status(policy=alice).tokens_used == 2500


def test_a_released_reservation_costs_nothing(backend, clock):
    alice = policy(ALICE)
    budget_release(reservation=budget_reserve(policy=alice, tokens=900, cost_usd=0.02))

    assert budget_status(policy=alice).rub_used == 0
    assert budget_status(policy=alice).tokens_used == 0


def test_a_reservation_never_settled_stays_counted_at_its_estimate(backend, clock):
    """A worker that dies mid-answer never settles: its estimate stays counted until the day
    ends (never released, so a crash can only make the budget stricter), as another worker
    sees it; the next Moscow day starts from zero."""
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=1500, cost_usd=Decimal("0.04"))

    clock.now += timedelta(hours=2)
    tokens, rub, service = _counters(user_id=ALICE, day=reservation.day)
    other_worker = store_new(backend)
    assert other_worker.used(tokens) == 1500
    assert other_worker.used(rub) == other_worker.used(service) == 4 * 10_000
    clock.now += timedelta(hours=2)  # 00:40 in Moscow
    assert budget_status(policy=alice).rub_used == 0


def test_two_workers_share_the_counters(backend, clock):
    alice = policy(ALICE, rub=10)
    budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.06"))
    _, rub, _ = _counters(user_id=ALICE, day=datetime(2026, 12, 7).date())
    first, second = store_new(backend), store_new(backend)
    assert first.used(rub) == second.used(rub) == 6 * 10_000

    budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.05"))  # 6 ₽ < 10 ₽: admitted
    assert second.used(rub) == 11 * 10_000
    with pytest.raises(QuotaExceeded):
        budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))


def test_at_the_limit_the_refusal_says_which_limit_and_when_it_resets(backend, clock):
    alice = policy(ALICE, rub=150)
    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("1.50"))

    with pytest.raises(QuotaExceeded) as refused:
        budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))

    refusal = refused.value
    assert refusal.code == "quota_exceeded"
    assert refusal.limit == LIMIT_RUB
    assert refusal.message == (
        "Дневной лимит на запросы к модели исчерпан: 150 ₽ из 150 ₽. "
        "Лимит обновится в 00:00 по московскому времени (через 3 ч 20 мин)."
    )
    assert refusal.resets_at == datetime(2026, 12, 8, 0, 0, tzinfo=MOSCOW)
    assert refusal.retry_after_s == 3 * 3600 + 20 * 60
    assert refusal.fields() == {
        "limit": "rub_per_day",
        "resets_at": "2026-12-08T00:00:00+03:00",
        "retry_after_s": 12000,
    }
    assert budget_status(policy=alice).rub_used == Decimal(150)


def test_the_token_budget_refuses_too(backend, clock):
    alice = policy(ALICE, tokens=5000)
    budget_reserve(policy=alice, tokens=5200, cost_usd=Decimal("0.01"))

    with pytest.raises(QuotaExceeded) as refused:
        budget_reserve(policy=alice, tokens=100, cost_usd=Decimal("0.01"))

    assert refused.value.limit == LIMIT_TOKENS
    assert refused.value.message.startswith(
        "Дневной лимит токенов модели исчерпан: 5,200 из 5,000. "
    )
    assert budget_status(policy=alice).rub_used == Decimal(1)


def test_the_budget_resets_at_moscow_midnight(backend, clock, settings):
    settings.TIME_ZONE = "UTC"  # the server's own zone does not move the budget day
    alice = policy(ALICE, rub=150)
    clock.now = datetime(2026, 12, 7, 20, 59, 59)  # 23:59:59 in Moscow
    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("1.50"))
    with pytest.raises(QuotaExceeded) as refused:
        budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))
    assert refused.value.retry_after_s == 1

    clock.now = datetime(2026, 12, 7, 21, 0, 0)  # 00:00 in Moscow, still the 7th in UTC

    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))
    assert budget_status(policy=alice).rub_used == Decimal(1)
    assert budget_status(policy=alice).resets_at == datetime(2026, 12, 9, tzinfo=MOSCOW)


def test_a_settle_after_midnight_corrects_the_day_it_was_reserved_on(backend, clock):
    alice = policy(ALICE)
    clock.now = datetime(2026, 12, 7, 20, 59, 0)
    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.10"))
    clock.now = datetime(2026, 12, 7, 21, 1, 0)

    budget_settle(reservation=reservation, tokens=400, cost_usd=Decimal("0.02"))

    assert budget_status(policy=alice).rub_used == 0
    clock.now = datetime(2026, 12, 7, 20, 59, 30)
    assert budget_status(policy=alice).rub_used == Decimal(2)


def test_bobs_counters_are_not_alices(backend, clock):
    alice, bob = policy(ALICE, rub=10), policy(BOB, rub=10)
    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.10"))
    with pytest.raises(QuotaExceeded):
        budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))

    budget_reserve(policy=bob, tokens=1000, cost_usd=Decimal("0.01"))

    assert budget_status(policy=bob).rub_used == Decimal(1)
    assert budget_status(policy=bob).tokens_used == 1000
    assert budget_status(policy=alice).rub_used == Decimal(10)


def test_the_service_wide_cap_stops_every_user_until_midnight(backend, clock, settings):
    settings.AGENT_DAILY_CAP_RUB = 100.0
    alice, bob = policy(ALICE, rub=1000), policy(BOB, rub=1000)
    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.60"))
    assert not service_cap_reached()
    budget_reserve(policy=bob, tokens=1000, cost_usd=Decimal("0.50"))  # 60 ₽ < 100 ₽

    with pytest.raises(QuotaExceeded) as refused:
        budget_reserve(policy=alice, tokens=10, cost_usd=Decimal("0.01"))

    assert service_cap_reached()
    assert service_spend_today_rub() == Decimal(110)
    assert refused.value.limit == LIMIT_SERVICE
    assert refused.value.service_wide
    assert refused.value.message == (
        "Дневной бюджет сервиса на запросы к модели исчерпан: до 00:00 по московскому "
        "времени (через 3 ч 20 мин) ответы собираются по шаблонам, без модели."
    )
    assert budget_status(policy=alice).rub_used == Decimal(60)  # the refusal charged nothing
    clock.now += timedelta(hours=4)
    assert not service_cap_reached()


def test_a_user_limit_is_named_before_the_service_cap(backend, clock, settings):
    settings.AGENT_DAILY_CAP_RUB = 10.0
    alice = policy(ALICE, rub=10)
    budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.10"))

    with pytest.raises(QuotaExceeded) as refused:
        budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.01"))

    assert refused.value.limit == LIMIT_RUB


def test_with_redis_unreachable_the_database_counts(clock, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    alice = policy(ALICE)

    reservation = budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal("0.03"))
    budget_settle(reservation=reservation, tokens=500, cost_usd=Decimal("0.02"))

    assert reservation.store == "database"
    settings.REDIS_URL = ""
    assert budget_status(policy=alice).rub_used == Decimal(2)


def test_the_store_names_the_first_refused_charge_in_the_order_given(backend, clock):
    day = datetime(2026, 12, 7).date()
    store = store_new(backend)
    full, also_full = Counter("rub", "z-last-by-key", day), Counter("rub", "a-first-by-key", day)
    assert store.reserve([Charge(full, 5, 5), Charge(also_full, 5, 5)]) is None

    refused = store.reserve([Charge(full, 1, 5), Charge(also_full, 1, 5)])

    assert refused.counter == full
    assert store.used(full) == store.used(also_full) == 5


def test_a_settle_of_a_counter_without_a_row_creates_it(backend, clock):
    day = datetime(2026, 12, 7).date()
    store = store_new(backend)
    present, absent = Counter("tokens", "present", day), Counter("tokens", "absent", day)
    store.adjust([(present, 10)])

    store.adjust([(present, 5), (absent, 7)])

    assert store.used(present) == 15
    assert store.used(absent) == 7


def test_used_many_reads_every_counter_at_once_missing_ones_as_zero(backend, clock):
    """budget_status's one round trip (the chat reads it with every answer)."""
    alice = policy(ALICE)
    reservation = budget_reserve(policy=alice, tokens=700, cost_usd=Decimal("0.03"))
    tokens, rub, service = _counters(user_id=ALICE, day=reservation.day)
    nobody, _, _ = _counters(user_id=ALICE + 1, day=reservation.day)

    used = store_new(backend).used_many([rub, nobody, tokens, service])

    assert used == [3 * 10_000, 0, 700, 3 * 10_000]
