"""50 questions at once at the edge of a user's budget overshoot it by at most one
reservation: on SQLite (two worker processes sharing one file, as `make demo` serves), on
MariaDB and on Redis (threads, each with its own connection, as in several workers).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from governance.budgets import RUB_UNIT, budget_reserve, budget_status
from governance.refusals import LIMIT_RUB
from governance.tests.backends import SERVERS, backend_use
from governance.tests.helpers import policy
from governance.tests.race_worker import race

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = 50
# 2 ₽ a question at 100 ₽ the dollar; 149 ₽ of alice's 150 ₽ are spent before the race.
ESTIMATE_USD = Decimal("0.02")
SPENT_USD = Decimal("1.49")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", SERVERS)
def test_fifty_questions_at_the_edge_overshoot_by_at_most_one_reservation(backend, settings):
    backend_use(backend, settings)
    alice = policy(7001, rub=150)
    budget_reserve(policy=alice, tokens=1000, cost_usd=SPENT_USD)

    outcomes = race(alice, questions=QUESTIONS, cost_usd=ESTIMATE_USD)

    status = budget_status(policy=alice)
    assert outcomes.count("admitted") == 1
    assert outcomes.count(LIMIT_RUB) == QUESTIONS - 1
    assert status.rub_used == Decimal(151)
    assert status.rub_used <= status.rub_allowed + ESTIMATE_USD * 100
    assert status.tokens_used == 2000


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", SERVERS)
def test_fifty_questions_under_the_budget_are_all_counted(backend, settings):
    backend_use(backend, settings)
    alice = policy(7002, rub=150)

    outcomes = race(alice, questions=QUESTIONS, cost_usd=ESTIMATE_USD)

    assert outcomes == ["admitted"] * QUESTIONS
    assert budget_status(policy=alice).rub_used * RUB_UNIT == QUESTIONS * 2 * RUB_UNIT


def _worker(env: dict, **args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "governance.tests.race_worker", json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_on_sqlite_two_workers_at_the_edge_overshoot_by_at_most_one_reservation(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "AGENT_DATABASE_URL"}
    }
    database = tmp_path / "agent.sqlite3"
    env.update(DATABASE_URL=f"sqlite:///{database}", REDIS_URL="", USD_RUB_RATE="100")
    first = _worker(env, user_id=7003, migrate=True, preload_usd=str(SPENT_USD))
    assert first.wait(timeout=120) == 0
    cost = str(ESTIMATE_USD)
    workers = [
        _worker(env, user_id=7003, questions=QUESTIONS // 2, cost_usd=cost) for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outcomes = [o for worker in workers for o in json.loads(worker.communicate(timeout=120)[0])]

    with sqlite3.connect(database) as connection:
        (used,) = connection.execute(
            "SELECT used FROM agent_budget_counters WHERE scope = 'rub' AND subject = '7003'"
        ).fetchone()
    assert outcomes.count("admitted") == 1
    assert outcomes.count(LIMIT_RUB) == QUESTIONS - 1
    assert used == 151 * RUB_UNIT
