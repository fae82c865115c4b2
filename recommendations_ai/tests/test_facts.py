from __future__ import annotations

import json
import math

import pytest

from conftest import make_provider, make_recommendation, make_resource, make_user
from infrazen.models import (
    CloudProvider,
    OptimizationRecommendation,
    ProviderPrice,
    Resource,
)
from recommendations_ai.facts import (
    CleanupFacts,
    ClusterPriceCompareFacts,
    GenericFacts,
    PriceCompareFacts,
    RightsizingFacts,
    StoppedFacts,
    facts_build,
)

# Stored strings exactly as contract §2 shows them (Python repr from the rule engine).
PRICE_METRICS = "{'similarity': 0.95, 'target_monthly': 6570.0, 'current_monthly': 13379.4}"
PRICE_INSIGHTS = (
    "{'recommended_provider': 'beget', 'recommended_region': 'global', "
    "'recommended_sku': 'ru2-normal_cpu-4cpu-8gb-100gb', 'recommended_price_id': 9912, "
    "'specs_unknown': False, 'top2': [{'provider': 'beget', 'region': 'global', "
    "'sku': 'ru2-normal_cpu-4cpu-8gb-100gb', 'monthly': 6570.0, 'score': 0.95, "
    "'price_id': 9912}, {'provider': 'selectel', 'region': 'ru-6a', "
    "'sku': 'v4-r8-d120-hdd:ru-6a', 'monthly': 9800.0, 'score': 0.95, 'price_id': 4410}]}"
)
RIGHTSIZING_METRICS = "{'cpu_avg_percent': 3.2, 'current_vcpu': 4}"
RIGHTSIZING_INSIGHTS = "{'current_monthly_cost': 5610.3, 'suggested_reduction': 0.5}"
SNAPSHOT_METRICS = (
    "{'age_days': 248, 'age_years': 0.7, 'age_threshold_days': 180, 'size_gb': 507.2, "
    "'created_at': '2025-03-01T08:09:52Z', 'current_monthly_cost': 1708.5}"
)
SNAPSHOT_INSIGHTS = "{'action': 'delete_snapshot', 'age_days': 248, 'size_gb': 507.2}"
IP_METRICS = (
    "{'age_days': 566, 'age_years': 1.6, 'age_threshold_days': 180, "
    "'ip_address': '158.160.85.164', 'created_at': '2024-04-22T09:12:00Z', 'is_used': False, "
    "'current_monthly_cost': 241.2}"
)
IP_INSIGHTS = "{'action': 'release_ip', 'age_days': 566, 'ip_address': '158.160.85.164'}"
STOPPED_METRICS = "{'status': 'STOPPED', 'storage_cost_monthly': 1289.0}"
STOPPED_INSIGHTS = "{'action': 'delete', 'reason': 'stopped_unused', 'storage_only_cost': True}"

YANDEX_SERVER_CONFIG = {"vcpus": 4, "ram_gb": 8, "ram_mb": 8192, "total_storage_gb": 100}
SELECTEL_SERVER_CONFIG = {"vcpus": 4, "ram_mb": 8192, "total_storage_gb": 92}
BEGET_VPS_CONFIG = {
    "cpu_cores": 2,
    "ram_mb": 4096,
    "disk_gb": 40,
    "admin_credentials": {"admin_password": "hunter2"},
}


def build_rec(
    rec_type: str,
    *,
    provider_type: str = "yandex",
    resource_type: str = "server",
    name: str = "office",
    config: dict | str | None = None,
    daily_cost: float | None = 100.0,
    effective_cost: float | None = 100.0,
    billing_period: str | None = None,
    status: str = "RUNNING",
    external_ip: str | None = None,
    **fields,
) -> OptimizationRecommendation:
    """Unsaved rows: facts_build needs no database unless it looks up the price catalogue."""
    provider = CloudProvider(
        provider_type=provider_type, connection_name="c", account_id="a", credentials="{}"
    )
    resource = Resource(
        provider=provider,
        resource_id="r-1",
        resource_name=name,
        region="ru-central1-a",
        service_name="Compute",
        resource_type=resource_type,
        status=status,
        daily_cost=daily_cost,
        effective_cost=effective_cost,
        billing_period=billing_period,
        external_ip=external_ip,
        provider_config=json.dumps(config) if isinstance(config, dict) else config,
    )
    fields.setdefault("estimated_monthly_savings", 1000.0)
    return OptimizationRecommendation(
        resource=resource,
        provider=provider,
        recommendation_type=rec_type,
        title="Rule title",
        description="rule text",
        resource_type=resource_type,
        resource_name=name,
        **fields,
    )


def test_a_cross_provider_price_row_gives_price_facts_with_the_rules_own_numbers():
    rec = build_rec(
        "price_compare_cross_provider",
        name="punch-dev-backend-1",
        config=YANDEX_SERVER_CONFIG,
        source="cost.price_check.cross_provider",
        target_provider="beget",
        target_sku="ru2-normal_cpu-4cpu-8gb-100gb",
        target_region="global",
        estimated_monthly_savings=6809.4,
        metrics_snapshot=PRICE_METRICS,
        insights=PRICE_INSIGHTS,
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is PriceCompareFacts
    assert facts.family == "price"
    assert facts.target_provider == "beget"
    assert facts.target_sku == "ru2-normal_cpu-4cpu-8gb-100gb"
    assert facts.target_monthly == 6570.0
    assert facts.current_monthly == 13379.4
    assert facts.savings_monthly == 6809.4
    assert facts.savings_yearly == pytest.approx(81712.8)
    assert facts.similarity == 0.95
    assert facts.specs_unknown is False
    assert facts.same_provider is False
    assert (facts.specs.vcpus, facts.specs.ram_gb, facts.specs.storage_gb) == (4, 8.0, 100.0)
    assert facts.provider_type == "yandex"
    assert facts.type_noun.genitive == "сервера"


def test_the_target_provider_comes_from_insights_when_the_column_is_empty():
    rec = build_rec(
        "price_compare_cross_provider", metrics_snapshot=PRICE_METRICS, insights=PRICE_INSIGHTS
    )
    facts = facts_build(recommendation=rec)
    assert facts.target_provider == "beget"
    assert facts.target_region == "global"


def test_the_target_price_falls_back_to_the_first_of_top2():
    rec = build_rec(
        "price_compare_cross_provider",
        metrics_snapshot="{'similarity': 0.95, 'current_monthly': 13379.4}",
        insights=PRICE_INSIGHTS,
    )
    assert facts_build(recommendation=rec).target_monthly == 6570.0


@pytest.mark.django_db
def test_the_target_price_falls_back_to_the_price_catalogue_row():
    price = ProviderPrice.objects.create(
        provider="selectel", resource_type="server", monthly_cost="4321.50"
    )
    rec = build_rec(
        "price_compare_cross_provider",
        metrics_snapshot="{'current_monthly': 5000.0}",
        insights=f"{{'recommended_provider': 'selectel', 'recommended_price_id': {price.pk}}}",
    )
    assert facts_build(recommendation=rec).target_monthly == 4321.5


@pytest.mark.django_db
def test_an_unknown_catalogue_id_leaves_the_target_price_empty():
    rec = build_rec(
        "price_compare_cross_provider",
        metrics_snapshot="{'current_monthly': 5000.0}",
        insights="{'recommended_provider': 'selectel', 'recommended_price_id': 999999}",
    )
    assert facts_build(recommendation=rec).target_monthly is None


def test_a_price_row_without_any_target_price_has_none_not_zero():
    rec = build_rec("price_compare_cross_provider", metrics_snapshot="{'similarity': 0.5}")
    facts = facts_build(recommendation=rec)
    assert facts.target_monthly is None
    assert facts.target_provider is None


def test_same_provider_price_rows_are_marked_as_such():
    rec = build_rec(
        "price_compare_same_provider",
        target_provider="yandex",
        metrics_snapshot="{'target_monthly': 2000.0, 'current_monthly': 3000.0}",
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is PriceCompareFacts
    assert facts.same_provider is True


@pytest.mark.parametrize(
    ("source", "resource_type", "kind", "genitive"),
    [
        ("kubernetes_cluster", "kubernetes-cluster", "kubernetes", "кластера Kubernetes"),
        ("postgresql_cluster", "postgresql-cluster", "postgresql", "кластера PostgreSQL"),
        ("mysql_cluster", "mysql-cluster", "mysql", "кластера MySQL"),
        ("kafka_cluster", "kafka-cluster", "kafka", "кластера Kafka"),
        ("redis_cluster", "redis-cluster", "redis", "кластера Redis"),
    ],
)
def test_cluster_price_rows_are_told_apart_by_source(source, resource_type, kind, genitive):
    rec = build_rec(
        "price_compare_cross_provider",
        source=f"cost.price_check.{source}",
        resource_type=resource_type,
        metrics_snapshot="{'similarity': 1.0, 'target_monthly': 5000.0, 'current_monthly': 7000.0}",
        insights="{'recommended_provider': 'selectel', 'recommended_config': '2c/8GB/40GB SSD'}",
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is ClusterPriceCompareFacts
    assert facts.family == "price"
    assert facts.cluster_kind == kind
    assert facts.type_noun.genitive == genitive
    assert facts.recommended_config == "2c/8GB/40GB SSD"


def test_the_cluster_noun_follows_the_source_even_for_a_generic_resource_type():
    rec = build_rec(
        "price_compare_cross_provider",
        source="cost.price_check.postgresql_cluster",
        resource_type="database",
        metrics_snapshot="{'target_monthly': 5000.0}",
    )
    assert facts_build(recommendation=rec).type_noun.genitive == "кластера PostgreSQL"


def test_kubernetes_cluster_facts_carry_nodes_vcpus_and_ram():
    rec = build_rec(
        "price_compare_cross_provider",
        source="cost.price_check.kubernetes_cluster",
        resource_type="kubernetes-cluster",
        name="itlkube",
        estimated_monthly_savings=2068.95,
        metrics_snapshot=(
            "{'similarity': 1.0, 'target_monthly': 9931.05, 'current_monthly': 12000.0, "
            "'control_plane_cost': 3000.0, 'worker_nodes_cost': 6000.0, 'volumes_cost': 931.05}"
        ),
        insights=(
            "{'recommended_provider': 'selectel', 'recommended_sku': 'managed-k8s-cluster', "
            "'recommended_region': 'ru-7', 'recommended_type': 'managed_kubernetes', "
            "'total_nodes': 3, 'total_vcpus': 12, 'total_ram_gb': 48, "
            "'migration_complexity': 'high', 'alternatives': []}"
        ),
    )
    facts = facts_build(recommendation=rec)
    assert (facts.total_nodes, facts.total_vcpus, facts.total_ram_gb) == (3, 12, 48.0)
    assert facts.migration_complexity == "high"


def test_kafka_cluster_facts_count_brokers():
    rec = build_rec(
        "price_compare_cross_provider",
        source="cost.price_check.kafka_cluster",
        resource_type="kafka-cluster",
        metrics_snapshot="{'target_monthly': 5000.0, 'per_broker_cost_target': 1666.7}",
        insights="{'recommended_provider': 'selectel', 'total_brokers': 3}",
    )
    assert facts_build(recommendation=rec).total_brokers == 3


def test_db_cluster_node_count_falls_back_to_the_resource_config():
    rec = build_rec(
        "price_compare_cross_provider",
        source="cost.price_check.mysql_cluster",
        resource_type="mysql-cluster",
        config={"total_hosts": 2, "total_vcpus": 4, "total_ram_gb": 16},
        metrics_snapshot="{'target_monthly': 5000.0}",
    )
    assert facts_build(recommendation=rec).total_nodes == 2


def test_rightsizing_cpu_facts_have_load_and_cost_and_no_target():
    rec = build_rec(
        "rightsizing_cpu",
        source="cost.rightsize.cpu_underuse",
        estimated_monthly_savings=1450.0,
        metrics_snapshot=RIGHTSIZING_METRICS,
        insights=RIGHTSIZING_INSIGHTS,
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is RightsizingFacts
    assert facts.family == "rightsizing"
    assert facts.cpu_avg_percent == 3.2
    assert facts.current_vcpu == 4
    assert facts.current_monthly == 5610.3
    assert facts.suggested_reduction == 0.5
    assert facts.target_provider is None
    assert facts.target_monthly is None
    assert "None" not in json.dumps(facts.as_dict(), ensure_ascii=False)


def test_rightsizing_reads_an_idle_cpu_as_zero_percent():
    rec = build_rec(
        "rightsizing_cpu",
        metrics_snapshot="{'cpu_avg_percent': 0.0, 'current_vcpu': 2}",
        insights="{'current_monthly_cost': 2290.0, 'suggested_reduction': 0.5}",
    )
    assert facts_build(recommendation=rec).cpu_avg_percent == 0.0


def test_seed_rightsizing_reads_json_fractions_as_percents():
    rec = build_rec(
        "rightsizing",
        metrics_snapshot=json.dumps({"cpu_avg": 0.06, "cpu_p95": 0.18}),
        insights=json.dumps({"explanation": "Сервер почти простаивает"}),
        config=SELECTEL_SERVER_CONFIG,
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is RightsizingFacts
    assert facts.cpu_avg_percent == 6.0
    assert facts.cpu_p95_percent == 18.0
    assert facts.current_vcpu == 4  # from the resource's specs
    assert facts.explanation == "Сервер почти простаивает"


def test_snapshot_facts_compute_what_was_already_spent():
    rec = build_rec(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        name="gitdisk-1740816592565",
        estimated_monthly_savings=1708.5,
        metrics_snapshot=SNAPSHOT_METRICS,
        insights=SNAPSHOT_INSIGHTS,
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is CleanupFacts
    assert facts.family == "cleanup"
    assert facts.cleanup_kind == "snapshot"
    assert facts.age_days == 248
    assert facts.size_gb == 507.2
    assert facts.wasted_rub == 14124  # 1708.5 × 248 / 30 = 14123.6
    assert facts.type_noun.subject == "Снапшот"


def test_ip_facts_carry_the_address_and_the_spent_amount():
    rec = build_rec(
        "cleanup_unused_ip",
        resource_type="reserved_ip",
        name="kafka_ip",
        estimated_monthly_savings=241.2,
        metrics_snapshot=IP_METRICS,
        insights=IP_INSIGHTS,
    )
    facts = facts_build(recommendation=rec)
    assert facts.cleanup_kind == "ip"
    assert facts.ip_address == "158.160.85.164"
    assert facts.age_days == 566
    assert facts.wasted_rub == 4551  # 241.2 × 566 / 30 = 4550.64
    assert (facts.type_noun.genitive, facts.type_noun.subject) == ("IP-адреса", "IP")


def test_an_ip_written_as_na_falls_back_to_the_resources_external_ip():
    rec = build_rec(
        "cleanup_unused_ip",
        resource_type="reserved_ip",
        external_ip="84.201.1.2",
        metrics_snapshot="{'age_days': 900, 'ip_address': 'N/A'}",
        insights="{'age_days': 900, 'ip_address': 'N/A'}",
    )
    assert facts_build(recommendation=rec).ip_address == "84.201.1.2"


@pytest.mark.parametrize("age", [0, 10, 30])
def test_nothing_counts_as_already_spent_within_thirty_days(age):
    rec = build_rec(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        insights=f"{{'age_days': {age}, 'size_gb': 10.0}}",
    )
    facts = facts_build(recommendation=rec)
    assert facts.age_days == age
    assert facts.wasted_rub is None


@pytest.mark.parametrize("savings", [0.0, -50.0, None])
def test_nothing_counts_as_already_spent_without_savings(savings):
    rec = build_rec(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        estimated_monthly_savings=savings,
        insights="{'age_days': 400}",
    )
    facts = facts_build(recommendation=rec)
    assert facts.wasted_rub is None
    assert facts.has_savings is False
    assert facts.savings_yearly is None


def test_volume_size_comes_from_the_resource_config_when_insights_lack_it():
    rec = build_rec(
        "cleanup_unused_volume",
        resource_type="volume",
        config={"size_gb": 200, "disk_type": "network-ssd"},
        insights="{'age_days': 45}",
    )
    facts = facts_build(recommendation=rec)
    assert facts.cleanup_kind == "volume"
    assert facts.size_gb == 200.0
    assert facts.type_noun.genitive == "диска"


def test_stopped_server_facts_have_status_but_no_age_or_waste():
    rec = build_rec(
        "cleanup_stopped",
        name="punch-dev-monitoring-1",
        status="STOPPED",
        estimated_monthly_savings=1289.0,
        metrics_snapshot=STOPPED_METRICS,
        # Even if a row carried an age, a stopped server's age is not how long it was unused.
        insights="{'action': 'delete', 'age_days': 400}",
    )
    facts = facts_build(recommendation=rec)
    assert type(facts) is StoppedFacts
    assert facts.family == "stopped"
    assert facts.status == "STOPPED"
    assert facts.age_days is None
    assert facts.wasted_rub is None


def test_a_beget_status_is_upper_cased_like_the_rule_does():
    rec = build_rec("cleanup_stopped", provider_type="beget", status="stopped")
    assert facts_build(recommendation=rec).status == "STOPPED"


def test_daily_unit_resources_cost_thirty_days_a_month():
    rec = build_rec("cleanup_stopped", daily_cost=43.0, effective_cost=43.0)
    assert facts_build(recommendation=rec).current_monthly == 1290.0


def test_monthly_unit_resources_keep_their_effective_cost():
    rec = build_rec(
        "cleanup_stopped", billing_period="monthly", effective_cost=900.0, daily_cost=30.0
    )
    assert facts_build(recommendation=rec).current_monthly == 900.0


def test_a_resource_with_no_cost_has_no_current_cost_rather_than_zero():
    rec = build_rec("cleanup_stopped", daily_cost=0.0, effective_cost=0.0)
    assert facts_build(recommendation=rec).current_monthly is None


def test_selectel_ram_in_megabytes_becomes_gigabytes():
    rec = build_rec(
        "price_compare_cross_provider", provider_type="selectel", config=SELECTEL_SERVER_CONFIG
    )
    specs = facts_build(recommendation=rec).specs
    assert (specs.vcpus, specs.ram_gb, specs.storage_gb) == (4, 8.0, 92.0)


def test_beget_vps_specs_come_from_cpu_cores_ram_mb_and_disk_gb():
    rec = build_rec("price_compare_cross_provider", provider_type="beget", config=BEGET_VPS_CONFIG)
    specs = facts_build(recommendation=rec).specs
    assert (specs.vcpus, specs.ram_gb, specs.storage_gb) == (2, 4.0, 40.0)


def test_a_resource_without_specs_has_none_instead_of_an_empty_specs_object():
    rec = build_rec("price_compare_cross_provider", config=None)
    assert facts_build(recommendation=rec).specs is None


def test_facts_never_carry_secrets_from_the_provider_config():
    rec = build_rec("price_compare_cross_provider", provider_type="beget", config=BEGET_VPS_CONFIG)
    assert "hunter2" not in facts_build(recommendation=rec).as_json()


@pytest.mark.parametrize(
    ("rec_type", "action"),
    [("shutdown", "shutdown"), ("migrate", "migrate"), ("commitment", "commitment")],
)
def test_seed_action_types_give_generic_facts_with_their_action(rec_type, action):
    rec = build_rec(rec_type, insights=json.dumps({"explanation": "Выключать на ночь"}))
    facts = facts_build(recommendation=rec)
    assert type(facts) is GenericFacts
    assert facts.action == action
    assert facts.explanation == "Выключать на ночь"


def test_the_seed_cleanup_type_is_a_cleanup():
    rec = build_rec("cleanup", resource_type="backup")
    facts = facts_build(recommendation=rec)
    assert type(facts) is CleanupFacts
    assert facts.cleanup_kind == "other"
    assert facts.type_noun.genitive == "резервной копии"


def test_an_unknown_type_gives_generic_facts_from_title_savings_and_resource():
    rec = build_rec("brand_new_rule", resource_type="load_balancer", name="lb-1")
    facts = facts_build(recommendation=rec)
    assert type(facts) is GenericFacts
    assert facts.family == "generic"
    assert facts.action is None
    assert facts.title == "Rule title"
    assert facts.resource_name == "lb-1"
    assert facts.type_noun.genitive == "балансировщика нагрузки"


def test_an_unknown_resource_type_is_called_a_resource():
    rec = build_rec("brand_new_rule", resource_type="quantum_thing")
    assert facts_build(recommendation=rec).type_noun.genitive == "ресурса"


@pytest.mark.parametrize("garbage", ["", "not a dict", "{'a': ", "[1, 2]", "__import__('os')"])
def test_unreadable_metrics_and_insights_read_as_empty(garbage):
    rec = build_rec("cleanup_old_snapshot", metrics_snapshot=garbage, insights=garbage)
    facts = facts_build(recommendation=rec)
    assert facts.age_days is None
    assert facts.size_gb is None


def test_nan_and_none_strings_become_none():
    rec = build_rec(
        "price_compare_cross_provider",
        target_provider="None",
        metrics_snapshot=(
            '{"target_monthly": NaN, "current_monthly": "nan", "similarity": Infinity}'
        ),
        insights=json.dumps({"recommended_provider": "null", "top2": [{"monthly": "NaN"}]}),
        estimated_monthly_savings=math.nan,
    )
    facts = facts_build(recommendation=rec)
    assert facts.target_provider is None
    assert facts.target_monthly is None
    assert facts.similarity is None
    assert facts.savings_monthly is None
    dumped = facts.as_json()
    assert "NaN" not in dumped
    assert "None" not in dumped
    assert '"nan"' not in dumped.lower()


def test_as_dict_is_sorted_json_ready_and_names_the_family():
    rec = build_rec(
        "price_compare_cross_provider", config=YANDEX_SERVER_CONFIG, insights=PRICE_INSIGHTS
    )
    data = facts_build(recommendation=rec).as_dict()
    assert list(data) == sorted(data)
    assert list(data["specs"]) == sorted(data["specs"])
    assert data["family"] == "price"
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_the_same_row_always_gives_the_same_canonical_json():
    def once() -> str:
        rec = build_rec(
            "cleanup_old_snapshot",
            resource_type="snapshot",
            metrics_snapshot=SNAPSHOT_METRICS,
            insights=SNAPSHOT_INSIGHTS,
        )
        return facts_build(recommendation=rec).as_json()

    assert once() == once()


def test_facts_change_when_a_number_changes():
    a = build_rec("cleanup_stopped", estimated_monthly_savings=100.0)
    b = build_rec("cleanup_stopped", estimated_monthly_savings=101.0)
    assert facts_build(recommendation=a).as_json() != facts_build(recommendation=b).as_json()


@pytest.mark.django_db
def test_facts_build_reads_saved_rows_loaded_with_their_resource_and_provider():
    user = make_user("carol@example.com")
    provider = make_provider(user, "selectel")
    resource = make_resource(
        provider, "office", provider_config=json.dumps(SELECTEL_SERVER_CONFIG), daily_cost=187.01
    )
    saved = make_recommendation(
        resource,
        recommendation_type="price_compare_cross_provider",
        target_provider="beget",
        estimated_monthly_savings=260.86,
        metrics_snapshot="{'target_monthly': 5349.44}",
    )
    rec = OptimizationRecommendation.objects.select_related("resource", "provider").get(pk=saved.pk)
    facts = facts_build(recommendation=rec)
    assert facts.recommendation_id == saved.pk
    assert facts.provider_type == "selectel"
    assert facts.current_monthly == pytest.approx(5610.3)
    assert facts.specs.ram_gb == 8.0
