"""list_top_alternatives: same kind of SKU, other providers, the user's preferences."""

from __future__ import annotations

import json

from infrazen.models import OptimizationRecommendation, ProviderPrice
from tools.registry import tool_run


def alternatives(user, resource_name: str):
    rec = OptimizationRecommendation.objects.filter(
        resource__provider__user=user,
        resource__resource_name=resource_name,
        recommendation_type="price_compare_cross_provider",
    ).first()
    return tool_run(
        user=user,
        name="list_top_alternatives",
        arguments_json=json.dumps({"recommendation_id": rec.pk, "limit": 5}),
    )


def catalogue_type(sku: str) -> str | None:
    row = ProviderPrice.objects.filter(provider_sku=sku).first()
    return row.resource_type if row else None


def test_a_plain_server_is_never_offered_a_dbaas_sku(world):
    # contract §5: Beget DBaaS SKUs were proposed for plain servers.
    for user, name in ((world.bob, "bob-analytics"), (world.alice, "office")):
        result = alternatives(user, name)
        assert result.alternatives
        for offer in result.alternatives:
            assert catalogue_type(offer.sku) in ("server", None), offer.sku


def test_a_database_cluster_gets_database_skus_priced_per_node(world):
    result = alternatives(world.alice, "pg-itl-prod")
    catalogue = [o for o in result.alternatives if o.source == "catalogue"]
    assert catalogue
    for offer in catalogue:
        assert catalogue_type(offer.sku) == "postgresql-cluster"
        row = ProviderPrice.objects.get(provider_sku=offer.sku)
        assert offer.monthly_price.amount == float(row.monthly_cost) * 2  # two hosts


def test_disabled_and_current_providers_are_left_out_of_the_catalogue_offers(world):
    result = alternatives(world.bob, "bob-analytics")
    assert result.excluded_providers == ["beget"]
    assert {o.provider for o in result.alternatives} == {"selectel"}
    first = result.alternatives[0]
    assert first.source == "recommendation"
    assert first.sku == "v2-r4-d40-network_ssd:ru-7"
    assert first.parity.cpu_ratio == 1.0 and first.parity.ram_ratio == 1.0
    assert first.savings.amount == round(3450.0 - 2480.0, 2)
    assert first.savings_percent == round((3450 - 2480) * 100 / 3450, 1)


def test_the_cheapest_catalogue_offers_come_first_and_the_limit_holds(world):
    result = alternatives(world.alice, "office")
    assert len(result.alternatives) <= 5
    prices = [o.monthly_price.amount for o in result.alternatives if o.source == "catalogue"]
    assert prices == sorted(prices)
    assert all(o.provider != "yandex" for o in result.alternatives if o.source == "catalogue")
