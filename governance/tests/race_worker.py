"""One worker of the budget race, in a process of its own (test_concurrency's SQLite case):

    python -m governance.tests.race_worker '{"user_id": 7001, "questions": 25}'

Django on the database of DATABASE_URL; `migrate` creates the tables first, `preload_usd`
reserves that much before the race. With `questions`, it prints "ready", waits for a line on
stdin, asks them all at once (one thread each) and prints the outcomes as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal


def _ask(policy, barrier: threading.Barrier, cost_usd: Decimal) -> str:
    from django.db import connections

    from governance.budgets import budget_reserve
    from governance.refusals import QuotaExceeded

    try:
        barrier.wait()
        budget_reserve(policy=policy, tokens=1000, cost_usd=cost_usd)
        return "admitted"
    except QuotaExceeded as refusal:
        return refusal.limit
    finally:
        connections.close_all()


def race(policy, *, questions: int, cost_usd: Decimal) -> list[str]:
    """`questions` reservations at once, one thread (and connection) each: their outcomes,
    "admitted" or the limit that refused."""
    barrier = threading.Barrier(questions)
    with ThreadPoolExecutor(questions) as pool:
        return list(pool.map(lambda _: _ask(policy, barrier, cost_usd), range(questions)))


def main() -> None:
    args = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from governance.budgets import budget_reserve
    from governance.tests.helpers import policy

    if args.get("migrate"):
        call_command("agent_migrate", verbosity=0)
    alice = policy(args["user_id"], rub=args.get("rub", 150))
    if args.get("preload_usd"):
        budget_reserve(policy=alice, tokens=1000, cost_usd=Decimal(args["preload_usd"]))
    questions = args.get("questions", 0)
    if not questions:
        return
    print("ready", flush=True)
    sys.stdin.readline()
    outcomes = race(alice, questions=questions, cost_usd=Decimal(args["cost_usd"]))
    print(json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    main()
