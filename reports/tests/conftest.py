"""A small tenant for the report tests: alice with a server to move, an idle IP, a stopped
VM, a busy cluster and a month of syncs; bob with one resource of his own."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest

from conftest import make_recommendation, make_resource
from governance.tests.wiring import budget_settings  # noqa: F401 (fixtures)
from infrazen.models import CloudProvider, CompleteSync

HOSTILE_NAME = "<img src=x onerror=alert(1)><script>alert(2)</script>"
TODAY = date.today()


def sync(user, *, day: date, total: float, by: dict[str, float]) -> CompleteSync:
    return CompleteSync.objects.create(
        user=user,
        sync_type="scheduled",
        sync_status="success",
        sync_started_at=datetime.combine(day, time(3)),
        total_daily_cost=total,
        total_monthly_cost=total * 30,
        cost_by_provider=json.dumps(by),
    )


@pytest.fixture
def tenant(alice, bob):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    office = make_resource(yandex, "office", daily_cost=187.0, effective_cost=187.0)
    make_recommendation(
        office,
        recommendation_type="price_compare_cross_provider",
        source="cost.price_check.cross_provider",
        estimated_monthly_savings=260.0,
        target_provider="selectel",
        target_sku="v4-r8",
        metrics_snapshot="{'target_monthly': 5350.0, 'current_monthly': 5610.0}",
    )
    # A second offer for the same server: a scenario counts the server once.
    make_recommendation(
        office,
        recommendation_type="price_compare_cross_provider",
        source="cost.price_check.cross_provider",
        estimated_monthly_savings=900.0,
        target_provider="beget",
        target_sku="beget-vps-4",
        metrics_snapshot="{'current_monthly': 5610.0}",
    )
    ip = make_resource(
        yandex, HOSTILE_NAME, resource_type="reserved_ip", service_name="VPC", daily_cost=5.0
    )
    make_recommendation(
        ip,
        recommendation_type="cleanup_unused_ip",
        estimated_monthly_savings=150.0,
        insights="{'age_days': 120}",
    )
    stopped = make_resource(yandex, "old-vm", status="STOPPED", daily_cost=20.0)
    make_recommendation(
        stopped, recommendation_type="cleanup_stopped", estimated_monthly_savings=600.0
    )
    make_resource(
        yandex,
        "k8s",
        resource_type="kubernetes_cluster",
        service_name="Managed Kubernetes",
        daily_cost=300.0,
    )
    for offset in range(30):
        day = TODAY - timedelta(days=29 - offset)
        total = 512.0 if offset != 20 else 1500.0  # one planted spike
        sync(alice, day=day, total=total, by={"yandex-alice@example.com": total})
    selectel = CloudProvider.objects.get(user=bob, provider_type="selectel")
    make_resource(selectel, "bob-secret-db", daily_cost=50.0)
    sync(bob, day=TODAY, total=50.0, by={"selectel-bob@example.com": 50.0})
    return alice


@pytest.fixture(autouse=True)
def _stock_client_trusted(settings):
    # The stock Flask client sends no header: accepted from the listed networks only.
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    settings.AGENT_SERVICE_TOKEN = "svc-token"
    settings.AI_TEXT_MODE = "template"
