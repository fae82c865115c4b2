"""The snapshot: the user's own data only, every figure a fact with a source, the tools' values."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from infrazen.models import InfraZenUser
from reports.roles import ROLE_KEYS
from reports.snapshot import snapshot_build
from reports.tests.conftest import HOSTILE_NAME
from tools import get_analytics_overview, get_service_breakdown

pytestmark = pytest.mark.django_db


def test_every_fact_names_a_known_source_and_every_section_refers_to_facts(tenant):
    for role in ROLE_KEYS:
        snapshot = snapshot_build(user_id=tenant.pk, role=role)
        assert snapshot.facts
        for fact in snapshot.facts.values():
            assert fact.source in snapshot.sources
        referenced = snapshot.kpis + snapshot.role_kpis
        for group in snapshot.by_service + snapshot.by_provider + snapshot.by_type:
            referenced += [group.count, group.monthly] + [t.monthly for t in group.top]
        for scenario in snapshot.savings.scenarios:
            referenced += [scenario.monthly, scenario.yearly, scenario.delay_daily]
        assert all(fid in snapshot.facts for fid in referenced if fid)


def test_the_kpis_equal_what_the_chat_tools_compute(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="cfo")
    overview = get_analytics_overview.run(
        user=tenant, args=get_analytics_overview.Args(time_range_days=30)
    )
    facts = snapshot.facts
    assert facts["cost.monthly"].value == overview.monthly_cost.amount == 512.0 * 30
    assert facts["cost.monthly"].period == "month" and facts["cost.monthly"].unit == "RUB"
    assert facts["cost.daily"].value == 512.0 and facts["cost.daily"].period == "day"
    assert facts["cost.yearly"].value == 512.0 * 30 * 12
    assert facts["resources.active"].value == overview.active_resources
    services = get_service_breakdown.run(user=tenant, args=get_service_breakdown.Args(top_n=10))
    top = snapshot.by_service[0]
    assert top.name == services.services[0].service_name
    assert facts[top.monthly].value == services.services[0].monthly_cost.amount


def test_a_scenario_counts_a_resource_with_two_offers_once(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="cfo")
    everything = next(s for s in snapshot.savings.scenarios if s.key == "all")
    # office: the larger of its two offers (900), the IP 150, the stopped VM 600.
    assert snapshot.facts[everything.monthly].value == 900 + 150 + 600
    assert snapshot.facts["savings.monthly"].value == 900 + 150 + 600
    assert snapshot.facts[everything.delay_daily].value == round((900 + 150 + 600) / 30, 2)
    low = next(s for s in snapshot.savings.scenarios if s.key == "low_risk")
    assert snapshot.facts[low.monthly].value == 150 + 600


def test_a_missing_target_price_is_no_figure_not_zero(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="finops")
    beget = next(g for g in snapshot.savings.migrations if g.target_provider == "beget")
    assert beget.items[0].target_price is None
    assert beget.caveat and "dev/test" in beget.caveat
    selectel = next(g for g in snapshot.savings.migrations if g.target_provider == "selectel")
    assert snapshot.facts[selectel.items[0].target_price].value == 5350.0


def test_the_planted_spike_is_an_anomaly_on_the_trend(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="cto")
    assert len(snapshot.trend) == 30
    assert [p.daily for p in snapshot.trend if p.anomaly] == [1500.0]
    assert snapshot.anomalies and snapshot.anomalies[0].direction == "рост"
    assert snapshot.facts["anomalies.count"].value == 1


def test_bobs_report_holds_nothing_of_alices(tenant, bob):
    snapshot = snapshot_build(user_id=bob.pk, role="finops")
    dumped = snapshot.model_dump_json()
    for alices in ("office", "old-vm", "k8s", "yandex-alice", HOSTILE_NAME[:10], "SECRET"):
        assert alices not in dumped
    assert snapshot.facts["cost.monthly"].value == 50.0 * 30


def test_an_unknown_or_inactive_user_is_not_found(tenant):
    with pytest.raises(NotFound):
        snapshot_build(user_id=999_999, role="cfo")
    InfraZenUser.objects.filter(pk=tenant.pk).update(is_active=False)
    with pytest.raises(NotFound):
        snapshot_build(user_id=tenant.pk, role="cfo")


def test_credentials_never_reach_the_snapshot(tenant):
    for role in ROLE_KEYS:
        assert "SECRET-" not in snapshot_build(user_id=tenant.pk, role=role).model_dump_json()


def test_a_user_without_data_gets_a_snapshot_that_says_so(db):
    from conftest import make_user

    carol = make_user("carol@example.com")
    snapshot = snapshot_build(user_id=carol.pk, role="cfo")
    assert "cost.monthly" not in snapshot.facts
    assert snapshot.trend == [] and snapshot.savings.scenarios == []


def test_product_role_says_business_groups_are_not_available(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="product")
    assert any("бизнес-группам" in note for note in snapshot.notes)


def test_tag_coverage_counts_the_users_own_tagged_resources_only(tenant, bob):
    from infrazen.models import Resource, ResourceTag

    office = Resource.objects.get(resource_name="office")
    ResourceTag.objects.create(resource=office, tag_key="env", tag_value="prod")
    alices = snapshot_build(user_id=tenant.pk, role="finops").facts["quality.tagged"].value
    assert alices == round(100 / 4, 1)  # office of four active resources
    assert snapshot_build(user_id=bob.pk, role="finops").facts["quality.tagged"].value == 0


def test_a_managed_database_sku_offered_for_a_server_counts_nowhere(tenant):
    """The old sample report proposed Beget's mysql5_v1_80 for plain servers (contract §5)."""
    from conftest import make_recommendation
    from infrazen.models import ProviderPrice, Resource

    ProviderPrice.objects.create(
        provider="beget", resource_type="mysql-cluster", provider_sku="mysql5_v1_80"
    )
    office = Resource.objects.get(resource_name="office")
    make_recommendation(
        office,
        recommendation_type="price_compare_cross_provider",
        estimated_monthly_savings=5000.0,
        target_provider="beget",
        target_sku="mysql5_v1_80",
    )
    snapshot = snapshot_build(user_id=tenant.pk, role="finops")
    assert snapshot.savings.mismatched == ["office: mysql5_v1_80 (Beget)"]
    skus = [i.target_sku for g in snapshot.savings.migrations for i in g.items]
    assert "mysql5_v1_80" not in skus
    everything = next(s for s in snapshot.savings.scenarios if s.key == "all")
    assert snapshot.facts[everything.monthly].value == 900 + 150 + 600
    assert snapshot.facts["quality.kind_mismatch"].value == 1
    assert snapshot.facts["quality.unknown_prices"].value == 1  # the Beget VPS offer


def test_with_moves_to_beget_a_scenario_without_them_is_offered(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="cfo")
    assert [s.key for s in snapshot.savings.scenarios] == ["low_risk", "production", "all"]
    production = snapshot.savings.scenarios[1]
    # The IP and the stopped VM, and office's Selectel offer (its Beget one left out).
    assert snapshot.facts[production.monthly].value == 150 + 600 + 260
    assert "Selectel" in production.description
