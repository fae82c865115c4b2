"""Console pages' server time on the 2,000-resource tenant of the reports benchmark.

A temp SQLite database with the demo data and the large tenant (bench/lib/big_tenant.py:
2,000 active resources, 500 pending recommendations, 90 days of syncs), a console account for
it, and each console page (recommendations, analytics, reports) requested through Django's
whole stack in this process (middleware, the view, its queries, the template), timed from
request to response: the server's time, without a network or a browser. Also the demo
tenant's pages, and the SQL statements each page runs (an N+1 shows as a count that grows
with the tenant).

    .venv/bin/python bench/console.py [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.big_tenant import BIG_EMAIL, BIG_RECOMMENDATIONS, BIG_RESOURCES, big_tenant_create
from lib.django_env import django_setup, temp_database
from lib.results import Timer, load_note, results_write, summary

PAGES = {
    "recommendations": "/console/",
    "analytics": "/console/analytics/",
    "reports": "/console/reports/",
}
TARGET_P95_MS = 200.0
WARMUP = 3


def signed_in(email: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_user(email, email=email))
    return client


def reports_for(user_id: int, roles: tuple[str, ...] = ("cfo", "finops")) -> None:
    """A few stored reports, so the reports page lists something."""
    from llm.gateway import deadline_in
    from reports.services import report_render

    for role in roles:
        asyncio.run(
            report_render(user_id=user_id, role=role, period_days=30, deadline=deadline_in(15.0))
        )


def measure(client, *, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = {}
    for name, path in PAGES.items():
        for _ in range(WARMUP):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(runs):
            with Timer() as timer:
                response = client.get(path)
            times.append(timer.seconds * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        figures[name] = {
            "server_ms": summary(times),
            "queries": len(queries.captured_queries),
            "kb": round(len(response.content) / 1024, 1),
        }
        print(name, json.dumps(figures[name], ensure_ascii=False), flush=True)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per page and tenant")
    args = parser.parse_args(argv)

    django_setup(db_path=temp_database(), env={"AI_TEXT_MODE": "template", "CONSOLE_ENABLED": "1"})
    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import InfraZenUser

    load_before = os.getloadavg()
    started = time.monotonic()
    with Timer() as timer:
        big = big_tenant_create()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL).pk
    for user_id in (alice, big):
        reports_for(user_id)
    figures: dict = {"big_tenant_created_s": round(timer.seconds, 1)}
    for tenant, email in (("demo", ALICE_EMAIL), ("big", BIG_EMAIL)):
        print("===", tenant, flush=True)
        figures[tenant] = measure(signed_in(email), runs=args.runs)
    figures["wall_s"] = round(time.monotonic() - started, 1)
    load_after = os.getloadavg()
    figures["load_average"] = {"before": load_before, "after": load_after}
    figures["target_p95_ms"] = TARGET_P95_MS
    figures["met"] = {
        page: figures["big"][page]["server_ms"]["p95"] <= TARGET_P95_MS for page in PAGES
    }
    path = results_write(
        "console",
        parameters={
            "runs_per_page": args.runs,
            "warmup_per_page": WARMUP,
            "pages": PAGES,
            "big_tenant": {"resources": BIG_RESOURCES, "recommendations": BIG_RECOMMENDATIONS},
            "database": "temp SQLite",
            "measured_at": datetime.now().isoformat(timespec="seconds"),
        },
        figures=figures,
        notes=[
            "server_ms: one request through Django's whole stack in this process (Django's test "
            "client: middleware, view, queries, template), the console account signed in; no "
            "network, no browser. queries: the SQL statements of one request.",
            *load_note(load_before, load_after, inflated="the server times"),
        ],
    )
    print(json.dumps(figures["met"]), "→", path)
    return figures


if __name__ == "__main__":
    main()
