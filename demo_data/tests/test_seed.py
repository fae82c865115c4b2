from __future__ import annotations

import ast
import json
import statistics
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from demo_data.personas import (
    ALICE_EMAIL,
    BEGET_ADMIN_PASSWORD,
    BOB_EMAIL,
    DEMO_EMAIL,
    DEMO_EMAILS,
    INJECTION_NAME,
    PLANTED_ANOMALIES,
)
from demo_data.prices import DEMO_PRICE_NOTE
from demo_data.recommendations import RULE_SOURCES
from demo_data.seed import demo_seed
from infrazen.models import (
    CloudProvider,
    CompleteSync,
    InfraZenUser,
    OptimizationRecommendation,
    PriceComparisonRecommendation,
    ProviderPrice,
    ProviderSyncReference,
    Resource,
    ResourceState,
    ResourceTag,
    SyncSnapshot,
    UserProviderPreference,
)

pytestmark = pytest.mark.django_db

ANCHOR = date(2025, 11, 4)


def _approx(value: float):
    # InfraZen's FLOAT columns are single precision: MySQL returns 6 significant digits.
    return pytest.approx(value, rel=1e-5, abs=0.01)


@pytest.fixture
def seeded():
    return demo_seed(today=ANCHOR)


def _recs(email: str):
    return OptimizationRecommendation.objects.filter(resource__provider__user__email=email)


def _alice_rec(name: str, rtype: str, source: str | None = None) -> OptimizationRecommendation:
    recs = _recs(ALICE_EMAIL).filter(resource_name=name, recommendation_type=rtype)
    if source:
        recs = recs.filter(source=source)
    return recs.exclude(status="dismissed").get()


def _monthly(resource: Resource) -> float:
    if resource.billing_period == "monthly":
        return resource.effective_cost
    return resource.daily_cost * 30


def _snapshot() -> dict[str, list[tuple]]:
    """Every demo row by natural keys, without autoincrement ids."""
    users = InfraZenUser.objects.filter(email__in=DEMO_EMAILS)
    skip = {"id"}

    def rows(queryset, *natural):
        fields = [
            f.attname
            for f in queryset.model._meta.concrete_fields
            if f.attname not in skip and not f.attname.endswith("_id")
        ]
        return sorted(tuple(map(str, row)) for row in queryset.values_list(*fields, *natural))

    return {
        "users": rows(users),
        "providers": rows(CloudProvider.objects.filter(user__in=users), "user__email"),
        "resources": rows(
            Resource.objects.filter(provider__user__in=users), "provider__connection_name"
        ),
        "tags": rows(
            ResourceTag.objects.filter(resource__provider__user__in=users),
            "resource__resource_name",
        ),
        "recs": rows(
            OptimizationRecommendation.objects.filter(resource__provider__user__in=users),
            "provider__connection_name",
        ),
        "syncs": rows(CompleteSync.objects.filter(user__in=users), "user__email"),
        "snapshots": rows(SyncSnapshot.objects.filter(provider__user__in=users)),
        "refs": rows(ProviderSyncReference.objects.filter(complete_sync__user__in=users)),
        "states": rows(
            ResourceState.objects.filter(sync_snapshot__provider__user__in=users),
            "sync_snapshot__sync_started_at",
        ),
        "comparisons": rows(
            PriceComparisonRecommendation.objects.filter(user__in=users),
            "recommended_price__provider_sku",
        ),
        "preferences": rows(UserProviderPreference.objects.filter(user__in=users)),
        "prices": rows(ProviderPrice.objects.filter(notes=DEMO_PRICE_NOTE)),
    }


def _band_deviation(values: list[float]) -> list[float]:
    """Each day's relative distance from the median of the 15 days around it."""
    out = []
    for index, value in enumerate(values):
        window = values[max(0, index - 7) : index + 8]
        out.append(value / statistics.median(window) - 1)
    return out


def _success_series(email: str) -> list[CompleteSync]:
    return list(
        CompleteSync.objects.filter(user__email=email, sync_status="success").order_by(
            "sync_started_at"
        )
    )


def test_it_creates_three_personas_with_their_roles(seeded):
    users = {u.email: u for u in InfraZenUser.objects.filter(email__in=DEMO_EMAILS)}
    assert set(users) == set(DEMO_EMAILS)
    assert users[DEMO_EMAIL].role == "demouser"
    assert users[ALICE_EMAIL].role == users[BOB_EMAIL].role == "user"
    for user in users.values():
        assert user.is_active and user.currency == "RUB" and user.language == "ru"
        assert user.first_name and not user.first_name.isascii()
    alice_types = set(
        CloudProvider.objects.filter(user=users[ALICE_EMAIL]).values_list(
            "provider_type", flat=True
        )
    )
    assert alice_types == {"yandex", "selectel", "beget"}
    for email in (BOB_EMAIL, DEMO_EMAIL):
        assert Resource.objects.filter(provider__user__email=email).exists()
        assert _recs(email).exists()
        assert CompleteSync.objects.filter(user__email=email).exists()


def test_it_seeds_enough_resources_mostly_for_alice(seeded):
    resources = Resource.objects.filter(provider__user__email__in=DEMO_EMAILS)
    assert resources.count() >= 60
    alice = resources.filter(provider__user__email=ALICE_EMAIL).count()
    assert alice > resources.count() / 2
    assert seeded.resources == resources.count()
    types = set(resources.values_list("resource_type", flat=True))
    assert {
        "server",
        "volume",
        "snapshot",
        "reserved_ip",
        "kubernetes-cluster",
        "postgresql-cluster",
        "mysql-cluster",
        "kafka-cluster",
        "redis-cluster",
        "database",
    } <= types
    assert resources.filter(resource_name=INJECTION_NAME).exists()


def test_every_recommendation_type_is_present(seeded):
    types = set(
        OptimizationRecommendation.objects.filter(
            resource__provider__user__email__in=DEMO_EMAILS
        ).values_list("recommendation_type", flat=True)
    )
    assert types == {
        "rightsizing_cpu",
        "cleanup_stopped",
        "cleanup_old_snapshot",
        "cleanup_unused_ip",
        "price_compare_cross_provider",
        "cleanup_unused_volume",
        "price_compare_same_provider",
        "rightsizing",
        "shutdown",
        "cleanup",
        "migrate",
        "commitment",
    }
    sources = set(_recs(ALICE_EMAIL).values_list("source", flat=True))
    assert set(RULE_SOURCES.values()) <= sources
    statuses = set(_recs(ALICE_EMAIL).values_list("status", flat=True))
    assert statuses == {"pending", "seen", "dismissed", "implemented"}
    assert _recs(ALICE_EMAIL).filter(provider__isnull=True).exists()
    assert _recs(BOB_EMAIL).filter(provider__isnull=True).exists()


def test_rule_engine_rows_are_python_repr_and_legacy_rows_are_json(seeded):
    recs = OptimizationRecommendation.objects.filter(
        resource__provider__user__email__in=DEMO_EMAILS
    )
    for rec in recs:
        for text in (rec.insights, rec.metrics_snapshot):
            if rec.source.startswith("seed_"):
                assert isinstance(json.loads(text), dict)
            else:
                assert isinstance(ast.literal_eval(text), dict)
                with pytest.raises(json.JSONDecodeError):
                    json.loads(text)
        if not rec.source.startswith("seed_"):
            insights = ast.literal_eval(rec.insights)
            assert rec.target_provider == insights.get("recommended_provider")
            assert rec.target_sku == insights.get("recommended_sku")
            assert rec.target_region == insights.get("recommended_region")
    stopped = _alice_rec("punch-dev-monitoring-1", "cleanup_stopped")
    assert stopped.insights == (
        "{'action': 'delete', 'reason': 'stopped_unused', 'storage_only_cost': True}"
    )
    assert stopped.metrics_snapshot == "{'status': 'STOPPED', 'storage_cost_monthly': 1289.0}"


def test_the_product_examples_carry_their_exact_figures(seeded):
    office = _alice_rec("office", "price_compare_cross_provider")
    insights = ast.literal_eval(office.insights)
    metrics = ast.literal_eval(office.metrics_snapshot)
    assert office.target_provider == "selectel"
    assert office.target_sku == "v4-r8-d100-network_ssd:ru-6a"
    assert office.estimated_monthly_savings == _approx(260.86)
    assert (metrics["current_monthly"], metrics["target_monthly"]) == (5610.3, 5349.44)
    config = json.loads(office.resource.provider_config)
    assert (config["vcpus"], config["ram_gb"], config["total_storage_gb"]) == (4, 8, 92)
    assert insights["recommended_price_id"] == insights["top2"][0]["price_id"]

    snapshot = _alice_rec("gitdisk-1740816592565", "cleanup_old_snapshot")
    metrics = ast.literal_eval(snapshot.metrics_snapshot)
    assert (metrics["age_days"], metrics["size_gb"]) == (248, 507.2)
    assert snapshot.estimated_monthly_savings == _approx(1708.5)
    created = date.fromisoformat(metrics["created_at"][:10])
    assert (ANCHOR - created).days == 248

    ip = _alice_rec("gitlab_new", "cleanup_unused_ip")
    assert ast.literal_eval(ip.metrics_snapshot)["age_days"] == 547
    assert ip.estimated_monthly_savings == _approx(241.0)

    stopped = _alice_rec("punch-dev-monitoring-1", "cleanup_stopped")
    assert stopped.estimated_monthly_savings == _approx(1289.0)


def test_savings_match_the_resources_monthly_costs(seeded):
    for rec in OptimizationRecommendation.objects.filter(
        resource__provider__user__email__in=DEMO_EMAILS
    ).select_related("resource"):
        monthly = _monthly(rec.resource)
        assert 0 < rec.estimated_monthly_savings <= monthly * (1 + 1e-5) + 0.01, rec.resource_name
        if rec.source.startswith("seed_"):
            continue
        metrics = ast.literal_eval(rec.metrics_snapshot)
        current = metrics.get("current_monthly") or metrics.get("current_monthly_cost")
        if current is not None:
            assert current == _approx(monthly), rec.resource_name
        if rec.recommendation_type.startswith("cleanup"):
            assert rec.estimated_monthly_savings == _approx(monthly)


def test_price_recommendations_point_at_real_price_rows(seeded):
    server_rules = _recs(ALICE_EMAIL).filter(
        source__in=[
            RULE_SOURCES["price_compare_server"],
            RULE_SOURCES["price_compare_same_provider"],
        ]
    )
    assert server_rules.count() >= 3
    for rec in list(server_rules) + list(_recs(BOB_EMAIL).filter(source=server_rules[0].source)):
        insights = ast.literal_eval(rec.insights)
        price = ProviderPrice.objects.get(pk=insights["recommended_price_id"])
        assert price.provider_sku == rec.target_sku
        assert price.provider == rec.target_provider
        for candidate in insights["top2"]:
            assert (
                ProviderPrice.objects.get(pk=candidate["price_id"]).provider_sku == candidate["sku"]
            )
    comparisons = PriceComparisonRecommendation.objects.filter(user__email=ALICE_EMAIL)
    assert comparisons.filter(recommended_price__provider_sku="v4-r8-d100-network_ssd:ru-6a")
    assert UserProviderPreference.objects.filter(user__email=ALICE_EMAIL).count() == 3


def test_cost_units_follow_each_provider(seeded):
    alice = Resource.objects.filter(provider__user__email=ALICE_EMAIL)
    for resource in alice.filter(provider__provider_type__in=["yandex", "selectel"]):
        assert resource.billing_period is None
        assert resource.effective_cost == resource.daily_cost
        assert resource.original_cost == _approx(resource.daily_cost * 30)
        assert resource.status == resource.status.upper()
    beget = alice.filter(provider__provider_type="beget")
    for resource in beget.filter(resource_type="server"):
        assert resource.billing_period == "daily"
        assert resource.effective_cost == resource.daily_cost
        assert resource.status in ("active", "stopped")
    monthly = beget.exclude(resource_type="server")
    assert monthly.filter(resource_type="database").exists()
    for resource in monthly:
        assert resource.billing_period == "monthly"
        assert resource.daily_cost == _approx(resource.effective_cost / 30)


def test_provider_configs_have_each_providers_real_keys(seeded):
    alice = Resource.objects.filter(provider__user__email=ALICE_EMAIL)

    def config(**filters):
        return [json.loads(r.provider_config) for r in alice.filter(**filters)]

    for cfg in config(provider__provider_type="yandex", resource_type="server"):
        assert {
            "instance",
            "vcpus",
            "ram_gb",
            "ram_mb",
            "total_storage_gb",
            "attached_disks",
        } <= set(cfg)
        assert {"disk_id", "mode", "size_gb", "type", "device_name", "is_boot"} == set(
            cfg["attached_disks"][0]
        )
    for cfg in config(provider__provider_type="selectel", resource_type="server"):
        assert "ram_gb" not in cfg
        assert "daily_cost_rubles" in cfg["billing"]
    for cfg in config(provider__provider_type="beget", resource_type="server"):
        assert cfg["admin_credentials"]["admin_password"] == BEGET_ADMIN_PASSWORD
        assert {"cpu_cores", "ram_mb", "disk_gb", "monthly_cost", "daily_cost"} <= set(cfg)
    for cfg in config(resource_type="reserved_ip"):
        assert cfg["address"]["used"] is False and cfg["is_used"] is False
    for cfg in config(resource_type__in=["postgresql-cluster", "kafka-cluster", "redis-cluster"]):
        assert cfg["cluster"]["config"]["resources"]["resourcePresetId"]
        assert {"total_hosts", "total_vcpus", "total_ram_gb", "total_storage_gb"} <= set(cfg)
    k8s = config(resource_type="kubernetes-cluster")[0]
    assert k8s["cost_breakdown"]["total"] == _approx(
        sum(v for k, v in k8s["cost_breakdown"].items() if k != "total")
    )
    tags = set(
        ResourceTag.objects.filter(resource__resource_name="office").values_list(
            "tag_key", flat=True
        )
    )
    assert {"cpu_avg_usage", "cpu_max_usage", "memory_avg_usage"} <= tags


def test_alice_has_one_successful_sync_a_day_for_90_days(seeded):
    syncs = _success_series(ALICE_EMAIL)
    days = [s.sync_started_at.date() for s in syncs]
    assert len(days) == len(set(days)) == 90
    assert days[-1] == ANCHOR and days[0] == ANCHOR - timedelta(days=89)
    failed = CompleteSync.objects.filter(user__email=ALICE_EMAIL).exclude(sync_status="success")
    assert set(failed.values_list("sync_status", flat=True)) == {"error", "partial"}
    for sync in syncs:
        by_provider = json.loads(sync.cost_by_provider)
        assert sync.total_daily_cost == _approx(sum(by_provider.values()))
        assert sync.total_monthly_cost == _approx(sync.total_daily_cost * 30)
        refs = ProviderSyncReference.objects.filter(complete_sync=sync).select_related(
            "provider", "sync_snapshot"
        )
        assert len(refs) == 3
        for ref in refs:
            assert ref.provider_cost == _approx(by_provider[ref.provider.connection_name])
            assert ref.sync_snapshot.provider_id == ref.provider_id
    latest = json.loads(syncs[-1].cost_by_provider)
    for provider in CloudProvider.objects.filter(user__email=ALICE_EMAIL):
        current = sum(r.daily_cost for r in provider.resources.all())
        assert latest[provider.connection_name] == _approx(current)


def test_recent_syncs_record_resource_states(seeded):
    states = ResourceState.objects.filter(sync_snapshot__provider__user__email=ALICE_EMAIL)
    assert set(states.values_list("state_action", flat=True)) == {"created", "updated", "unchanged"}
    updated = states.get(resource_name="prod-api-2", state_action="updated")
    assert updated.has_cost_change
    assert json.loads(updated.changes_detected)["effective_cost"] == {
        "previous": 110.0,
        "current": 220.0,
    }


def test_planted_anomalies_stand_out_and_nothing_else_does(seeded):
    for email in DEMO_EMAILS:
        syncs = _success_series(email)
        deviation = _band_deviation([s.total_daily_cost for s in syncs])
        planted = {
            days_ago: anomaly
            for anomaly in PLANTED_ANOMALIES
            if anomaly.user_email == email
            for days_ago in anomaly.days_ago
        }
        for sync, dev in zip(syncs, deviation, strict=True):
            days_ago = (ANCHOR - sync.sync_started_at.date()).days
            if days_ago in planted:
                anomaly = planted[days_ago]
                assert abs(dev) > 0.15, (email, days_ago, dev)
                assert (dev > 0) == (anomaly.kind == "spike")
            else:
                assert abs(dev) < 0.10, (email, days_ago, dev)


def test_each_anomaly_is_driven_by_its_provider(seeded):
    syncs = _success_series(ALICE_EMAIL)
    for anomaly in PLANTED_ANOMALIES:
        costs = [json.loads(s.cost_by_provider) for s in syncs]
        deviation = {name: _band_deviation([c[name] for c in costs]) for name in costs[0]}
        for days_ago in anomaly.days_ago:
            index = len(syncs) - 1 - days_ago
            moved = max(deviation, key=lambda name: abs(deviation[name][index]))
            assert moved == anomaly.connection_name


def test_running_it_twice_changes_nothing():
    first = demo_seed(today=ANCHOR)
    before = _snapshot()
    second = demo_seed(today=ANCHOR)
    assert second.created == () and set(second.skipped) == set(DEMO_EMAILS)
    assert _snapshot() == before
    assert (first.resources, first.recommendations) == (second.resources, second.recommendations)


def test_reset_recreates_identical_values():
    demo_seed(today=ANCHOR)
    before = _snapshot()
    summary = demo_seed(reset=True, today=ANCHOR)
    assert set(summary.created) == set(DEMO_EMAILS)
    assert _snapshot() == before


def test_it_finds_ids_itself_where_bulk_inserts_return_none(monkeypatch):
    # MySQL returns no ids from bulk inserts; the seed must then look them up.
    from django.db import connection

    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    demo_seed(today=ANCHOR)
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    assert ResourceTag.objects.filter(resource__provider__user=alice).count() > 100
    assert ProviderSyncReference.objects.filter(complete_sync__user=alice).count() == 3 * 92
    assert ResourceState.objects.filter(resource__provider__user=alice).exists()


def test_the_command_prints_a_one_line_summary(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and "created nothing" in out[1]
    assert InfraZenUser.objects.filter(email__in=DEMO_EMAILS).count() == 3
