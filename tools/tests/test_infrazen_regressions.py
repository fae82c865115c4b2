"""Each InfraZen tool bug of contract §5, pinned so it cannot come back."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_resource
from demo_data.personas import BEGET_ADMIN_PASSWORD, SECRET_MARKER
from infrazen.models import (
    CloudProvider,
    OptimizationRecommendation,
    ProviderPrice,
    Resource,
)
from tools.base import ToolError
from tools.registry import tool_run


def call(user, name: str, **arguments):
    return tool_run(user=user, name=name, arguments_json=json.dumps(arguments))


def alices_recommendation(world, **filters) -> OptimizationRecommendation:
    return OptimizationRecommendation.objects.filter(
        resource__provider__user=world.alice, **filters
    ).first()


def test_get_recommendation_refuses_another_tenants_recommendation_like_a_missing_one(world):
    # §4.3.1: get_recommendation_details read any recommendation id in the database.
    rec = alices_recommendation(world)
    with pytest.raises(ToolError) as foreign:
        call(world.bob, "get_recommendation", recommendation_id=rec.pk)
    with pytest.raises(ToolError) as missing:
        call(world.bob, "get_recommendation", recommendation_id=10**9)
    assert foreign.value.message == missing.value.message == "Рекомендация не найдена"
    assert call(world.alice, "get_recommendation", recommendation_id=rec.pk).id == rec.pk


def test_the_effort_tool_refuses_another_tenants_recommendation(world):
    # §4.3.2: get_migration_risks leaked any resource's name, type and provider.
    for rec in OptimizationRecommendation.objects.filter(resource__provider__user=world.alice):
        for name in ("estimate_migration_effort", "generate_step_plan", "list_top_alternatives"):
            with pytest.raises(ToolError):
                call(world.bob, name, recommendation_id=rec.pk)


def test_overview_kpis_count_only_the_users_own_rows(world):
    # §4.3.3: active_resources and savings were platform-wide.
    provider = CloudProvider.objects.filter(user=world.bob).first()
    for index in range(25):
        make_resource(provider, f"bob-extra-{index}", is_active=True)
    alice = call(world.alice, "get_analytics_overview")
    bob = call(world.bob, "get_analytics_overview")
    assert (
        alice.active_resources
        == Resource.objects.filter(provider__user=world.alice, is_active=True).count()
    )
    assert (
        bob.active_resources
        == Resource.objects.filter(provider__user=world.bob, is_active=True).count()
    )
    pending = OptimizationRecommendation.objects.filter(
        resource__provider__user=world.alice, status="pending"
    )
    assert alice.pending_recommendations == pending.count()
    assert alice.pending_savings.amount == pytest.approx(
        sum(r.estimated_monthly_savings for r in pending), abs=0.01
    )
    assert alice.monthly_cost.amount == pytest.approx(alice.daily_cost.amount * 30, abs=0.05)
    assert (alice.daily_cost.period, alice.monthly_cost.period) == ("day", "month")


@pytest.mark.parametrize(
    ("name", "daily", "monthly"),
    [("prod-api-2", 220.0, 6600.0), ("shop_db", 10.0, 300.0), ("beget-web-1", 32.0, 960.0)],
)
def test_a_resource_cost_is_labelled_with_its_real_period(world, name, daily, monthly):
    # §2.9: effective_cost (daily for most rows) was shown as monthly.
    resource = Resource.objects.get(provider__user=world.alice, resource_name=name)
    result = call(world.alice, "get_resource", resource_id=resource.pk)
    assert result.monthly_cost.model_dump() == {"amount": monthly, "unit": "RUB", "period": "month"}
    assert result.daily_cost.model_dump() == {"amount": daily, "unit": "RUB", "period": "day"}


def test_the_price_tool_returns_real_catalogue_rows(world):
    # §4.1: get_provider_pricing read missing columns and always returned [].
    result = call(world.bob, "get_prices_for_skus", skus=["v4-r8-d100-network_ssd:ru-6a", "x"])
    row = ProviderPrice.objects.get(provider_sku="v4-r8-d100-network_ssd:ru-6a")
    assert len(result.prices) == 1
    price = result.prices[0]
    assert (price.provider, price.cpu_cores, price.ram_gb) == ("selectel", 4, 8)
    assert price.monthly_price.amount == float(row.monthly_cost)
    assert price.monthly_price.period == "month"
    assert result.not_found == ["x"]


def test_get_resource_never_sends_the_beget_admin_password(world):
    # §7.1.3: the whole provider_config, admin_credentials included, went to the model.
    vps = Resource.objects.filter(
        provider__user=world.alice, provider__provider_type="beget", resource_type="server"
    )
    assert vps
    for resource in vps:
        assert BEGET_ADMIN_PASSWORD in resource.provider_config
        for name in ("get_resource", "get_latest_snapshot"):
            text = call(world.alice, name, resource_id=resource.pk).model_dump_json()
            assert SECRET_MARKER not in text
            assert "admin_credentials" not in text and "admin_password" not in text


def test_python_repr_insights_are_read_not_lost(world):
    # §7.2.4: insights/metrics were parsed as JSON only, so rule rows gave {}.
    rec = alices_recommendation(
        world, recommendation_type="price_compare_cross_provider", resource__resource_name="office"
    )
    assert rec.insights.startswith("{'")
    result = call(world.alice, "get_recommendation", recommendation_id=rec.pk)
    assert result.target_sku == "v4-r8-d100-network_ssd:ru-6a"
    assert [a.sku for a in result.alternatives] == [
        "v4-r8-d100-network_ssd:ru-6a",
        "ru2-normal_cpu-4cpu-8gb-100gb",
    ]
    assert result.target_monthly.amount == 5349.44


def test_top_recommendations_are_scoped_ordered_and_limited_in_the_query(world):
    # §4.1/§7.2.6: every tenant's pending rows were loaded and filtered in Python.
    with CaptureQueriesContext(connection) as queries:
        result = call(world.bob, "summarize_top_recommendations", limit=2)
    listing = [
        q["sql"]
        for q in queries.captured_queries
        if "optimization_recommendations" in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert len(listing) == 1
    # Quoted with " on SQLite and ` on MySQL.
    assert re.search(rf"user_id[`\"] = {world.bob.pk}\b", listing[0])
    assert "LIMIT 2" in listing[0]
    bobs = OptimizationRecommendation.objects.filter(
        resource__provider__user=world.bob, status="pending"
    ).order_by("-estimated_monthly_savings")
    assert [r.id for r in result.recommendations] == [r.pk for r in bobs[:2]]
    assert result.count == bobs.count()


def test_the_provider_breakdown_ids_are_the_users_own_providers(world):
    # §4.1: the provider id was looked up by connection_name across all users.
    CloudProvider.objects.create(
        user=world.bob,
        provider_type="selectel",
        connection_name="Selectel Main",  # alice's connection name, in bob's account
        account_id="1",
        credentials="{}",
    )
    result = call(world.alice, "get_provider_breakdown")
    own = set(CloudProvider.objects.filter(user=world.alice).values_list("id", flat=True))
    assert {p.id for p in result.providers} <= own
