"""Reading InfraZen's stored text, specs and costs as they really are (contract §2)."""

from __future__ import annotations

import json
import logging
import math

import pytest

from infrazen.models import Resource
from infrazen.values import (
    SECRET_KEYS,
    Specs,
    daily_cost,
    is_secret_key,
    monthly_cost,
    parse_text_dict,
    redact_secrets,
    resource_config,
    resource_specs,
    specs_from_config,
)

# --- text dicts: the exact stored strings of contract §2 ------------------------------------

PRICE_COMPARE_INSIGHTS = (
    "{'recommended_provider': 'beget', 'recommended_region': 'global', "
    "'recommended_sku': 'ru2-normal_cpu-4cpu-8gb-100gb', 'recommended_price_id': 9912, "
    "'specs_unknown': False, 'top2': [{'provider': 'beget', 'region': 'global', "
    "'sku': 'ru2-normal_cpu-4cpu-8gb-100gb', 'monthly': 6570.0, 'score': 0.95, "
    "'price_id': 9912}, {'provider': 'selectel', 'region': 'ru-6a', "
    "'sku': 'v4-r8-d120-hdd:ru-6a', 'monthly': 9800.0, 'score': 0.95, 'price_id': 4410}]}"
)

STORED_SHAPES = [
    # rightsizing_cpu (rule engine: Python repr)
    (
        "{'cpu_avg_percent': 3.2, 'current_vcpu': 4}",
        {"cpu_avg_percent": 3.2, "current_vcpu": 4},
    ),
    (
        "{'current_monthly_cost': 5610.3, 'suggested_reduction': 0.5}",
        {"current_monthly_cost": 5610.3, "suggested_reduction": 0.5},
    ),
    (
        "{'cpu_avg_percent': 0.0, 'current_vcpu': None}",
        {"cpu_avg_percent": 0.0, "current_vcpu": None},
    ),
    # rightsizing (seed: JSON)
    ('{"cpu_avg": 0.06, "cpu_p95": 0.18}', {"cpu_avg": 0.06, "cpu_p95": 0.18}),
    (
        '{"explanation": "Загрузка CPU ниже 10%"}',
        {"explanation": "Загрузка CPU ниже 10%"},
    ),
    # cleanup_stopped
    (
        "{'status': 'STOPPED', 'storage_cost_monthly': 1289.0}",
        {"status": "STOPPED", "storage_cost_monthly": 1289.0},
    ),
    (
        "{'action': 'delete', 'reason': 'stopped_unused', 'storage_only_cost': True}",
        {"action": "delete", "reason": "stopped_unused", "storage_only_cost": True},
    ),
    # cleanup_old_snapshot
    (
        "{'age_days': 248, 'age_years': 0.7, 'age_threshold_days': 180, 'size_gb': 507.2, "
        "'created_at': '2025-03-01T08:09:52Z', 'current_monthly_cost': 1708.5}",
        {
            "age_days": 248,
            "age_years": 0.7,
            "age_threshold_days": 180,
            "size_gb": 507.2,
            "created_at": "2025-03-01T08:09:52Z",
            "current_monthly_cost": 1708.5,
        },
    ),
    (
        "{'action': 'delete_snapshot', 'age_days': 248, 'size_gb': 507.2}",
        {"action": "delete_snapshot", "age_days": 248, "size_gb": 507.2},
    ),
    # cleanup_unused_ip
    (
        "{'age_days': 566, 'age_years': 1.6, 'age_threshold_days': 180, "
        "'ip_address': '158.160.85.164', 'created_at': '2024-04-22T09:12:00Z', "
        "'is_used': False, 'current_monthly_cost': 241.2}",
        {
            "age_days": 566,
            "age_years": 1.6,
            "age_threshold_days": 180,
            "ip_address": "158.160.85.164",
            "created_at": "2024-04-22T09:12:00Z",
            "is_used": False,
            "current_monthly_cost": 241.2,
        },
    ),
    (
        "{'action': 'release_ip', 'age_days': 566, 'ip_address': '158.160.85.164'}",
        {"action": "release_ip", "age_days": 566, "ip_address": "158.160.85.164"},
    ),
    # price_compare_cross_provider (server rule)
    (
        "{'similarity': 0.95, 'target_monthly': 6570.0, 'current_monthly': 13379.4}",
        {"similarity": 0.95, "target_monthly": 6570.0, "current_monthly": 13379.4},
    ),
    (
        PRICE_COMPARE_INSIGHTS,
        {
            "recommended_provider": "beget",
            "recommended_region": "global",
            "recommended_sku": "ru2-normal_cpu-4cpu-8gb-100gb",
            "recommended_price_id": 9912,
            "specs_unknown": False,
            "top2": [
                {
                    "provider": "beget",
                    "region": "global",
                    "sku": "ru2-normal_cpu-4cpu-8gb-100gb",
                    "monthly": 6570.0,
                    "score": 0.95,
                    "price_id": 9912,
                },
                {
                    "provider": "selectel",
                    "region": "ru-6a",
                    "sku": "v4-r8-d120-hdd:ru-6a",
                    "monthly": 9800.0,
                    "score": 0.95,
                    "price_id": 4410,
                },
            ],
        },
    ),
    # price_compare_cross_provider (PostgreSQL cluster rule), Cyrillic unescaped as repr() leaves it
    (
        "{'recommended_provider': 'selectel', 'recommended_sku': 'pg-std-2c-8g-40d:ru-7', "
        "'recommended_region': 'ru-7', 'recommended_config': '2c/8GB/40GB SSD', "
        "'total_nodes': 2, 'storage_note': 'Диск учтён отдельно', 'alternatives': "
        "[{'provider': 'selectel', 'region': 'ru-7', 'monthly': 7600.0, 'savings': 1900.0, "
        "'savings_pct': 20.0, 'config': '2c/8GB/40GB SSD'}]}",
        {
            "recommended_provider": "selectel",
            "recommended_sku": "pg-std-2c-8g-40d:ru-7",
            "recommended_region": "ru-7",
            "recommended_config": "2c/8GB/40GB SSD",
            "total_nodes": 2,
            "storage_note": "Диск учтён отдельно",
            "alternatives": [
                {
                    "provider": "selectel",
                    "region": "ru-7",
                    "monthly": 7600.0,
                    "savings": 1900.0,
                    "savings_pct": 20.0,
                    "config": "2c/8GB/40GB SSD",
                }
            ],
        },
    ),
]


@pytest.mark.parametrize(("stored", "expected"), STORED_SHAPES)
def test_it_reads_every_stored_shape(stored, expected, caplog):
    with caplog.at_level(logging.WARNING, logger="infrazen.values"):
        assert parse_text_dict(stored) == expected
    assert caplog.records == []


@pytest.mark.parametrize(("stored", "expected"), STORED_SHAPES)
def test_it_reads_the_json_form_of_every_shape_too(stored, expected):
    assert parse_text_dict(json.dumps(expected, ensure_ascii=False)) == expected
    assert parse_text_dict(json.dumps(expected)) == expected


def test_it_reads_double_encoded_json():
    specs = {"vcpu": 2, "ram_gb": 8, "disk_type": "network_ssd"}
    assert parse_text_dict(json.dumps(json.dumps(specs))) == specs


def test_it_reads_bytes():
    assert parse_text_dict(b'{"a": 1}') == {"a": 1}
    assert parse_text_dict("{'имя': 'сервер'}".encode()) == {"имя": "сервер"}


def test_it_passes_a_dict_through():
    value = {"a": 1}
    assert parse_text_dict(value) is value


@pytest.mark.parametrize("empty", [None, "", "   ", "\n\t", b""])
def test_empty_input_is_an_empty_dict_without_a_warning(empty, caplog):
    with caplog.at_level(logging.WARNING, logger="infrazen.values"):
        assert parse_text_dict(empty) == {}
    assert caplog.records == []


@pytest.mark.parametrize(
    "garbage",
    [
        "not a dict at all",
        "{'unclosed': ",
        "{password: hunter2}",
        "[1, 2, 3]",
        "42",
        "'just a string'",
        '"just a JSON string"',
        json.dumps(json.dumps([1, 2])),
        "{'a': datetime.datetime(2025, 1, 1)}",
        b"\xff\xfe\xfa",
    ],
)
def test_garbage_is_an_empty_dict_with_a_warning(garbage, caplog):
    with caplog.at_level(logging.WARNING, logger="infrazen.values"):
        assert parse_text_dict(garbage, field="insights") == {}
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    message = caplog.records[0].getMessage()
    assert "insights" in message
    assert str(len(garbage)) in message


def test_the_warning_never_carries_the_content(caplog):
    with caplog.at_level(logging.WARNING, logger="infrazen.values"):
        parse_text_dict("{'admin_password': 'hunter2'")
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(
    "bait",
    [
        "__import__('os').system('touch {marker}')",
        "{'a': __import__('os').system('touch {marker}')}",
        "{'a': open('{marker}', 'w').write('x')}",
        "(lambda: __import__('os').system('touch {marker}'))()",
    ],
)
def test_eval_bait_is_never_executed(bait, tmp_path, monkeypatch, caplog):
    import os
    import subprocess

    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    marker = tmp_path / "pwned"
    with caplog.at_level(logging.WARNING, logger="infrazen.values"):
        assert parse_text_dict(bait.replace("{marker}", str(marker))) == {}
    assert calls == []
    assert not marker.exists()
    assert caplog.records


def test_json_nan_and_infinity_become_none():
    parsed = parse_text_dict('{"cpu_avg": NaN, "peak": Infinity, "low": -Infinity, "ok": 1.5}')
    assert parsed == {"cpu_avg": None, "peak": None, "low": None, "ok": 1.5}


# --- specs: every provider_config shape of contract §2 --------------------------------------

YANDEX_SERVER = {
    "instance": {
        "id": "fhm1",
        "name": "punch-dev-backend-1",
        "resources": {"memory": "8589934592", "cores": "4", "coreFraction": "100"},
        "status": "RUNNING",
    },
    "folder_id": "b1g",
    "zone_id": "ru-central1-a",
    "vcpus": 4,
    "ram_gb": 8.0,
    "ram_mb": 8192,
    "total_storage_gb": 120,
    "attached_disks": [
        {"disk_id": "d2", "size_gb": 100, "type": "network-hdd", "is_boot": False},
        {"disk_id": "d1", "size_gb": 20, "type": "network-ssd", "is_boot": True},
    ],
    "platform_id": "standard-v3",
    "estimated_cost": True,
}
YANDEX_VOLUME = {
    "disk": {"id": "d3"},
    "zone_id": "ru-central1-a",
    "size_gb": 93,
    "disk_type": "network-hdd",
}
YANDEX_PG_CLUSTER = {
    "cluster": {
        "config": {"resources": {"resourcePresetId": "c3-c2-m4", "diskSize": "21474836480"}}
    },
    "version": "15",
    "total_hosts": 2,
    "total_vcpus": 4,
    "total_ram_gb": 8,
    "total_storage_gb": 40,
}
YANDEX_K8S_CLUSTER = {
    "cluster": {"id": "cat1"},
    "total_nodes": 3,
    "total_vcpus": 12,
    "total_ram_gb": 48,
    "total_storage_gb": 192,
    "worker_vms": [{"name": "n1", "vcpu": 4, "ram_gb": 16, "disk_gb": 64}],
}
SELECTEL_SERVER = {
    "name": "office",
    "status": "ACTIVE",
    "flavor": {"vcpus": 2, "ram": 4096},
    "billing": {"daily_cost_rubles": 45.2, "monthly_cost_rubles": 1356.0},
    "vcpus": 2,
    "ram_mb": 4096,
    "total_storage_gb": 50,
    "attached_volumes": [{"id": "v1", "size_gb": 50}],
    "usage_statistics": {"memory": {"avg_usage_mb": 1800}},
}
SELECTEL_ZOMBIE = {
    "billing": {"daily_cost_rubles": 12.0},
    "openstack_enrichment_failed": True,
    "note": "no OpenStack details",
}
BEGET_VPS = {
    "id": "vps-1",
    "name": "old-vps",
    "cpu_cores": 2,
    "ram_mb": 2048,
    "disk_gb": 30,
    "disk_used_gb": 12.4,
    "type": "vps",
    "monthly_cost": 660.0,
    "admin_credentials": {"admin_password": "hunter2", "admin_email": "a@example.com"},
}
DEMO_SEED = {"cpu": "4 vCPU", "memory": "8 GB", "storage": "100 GB SSD"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (YANDEX_SERVER, Specs(vcpus=4, ram_gb=8.0, storage_gb=120.0, disk_type="network-ssd")),
        (YANDEX_VOLUME, Specs(vcpus=None, ram_gb=None, storage_gb=93.0, disk_type="network-hdd")),
        (YANDEX_PG_CLUSTER, Specs(vcpus=4, ram_gb=8.0, storage_gb=40.0, disk_type=None)),
        (YANDEX_K8S_CLUSTER, Specs(vcpus=12, ram_gb=48.0, storage_gb=192.0, disk_type=None)),
        (SELECTEL_SERVER, Specs(vcpus=2, ram_gb=4.0, storage_gb=50.0, disk_type=None)),
        (SELECTEL_ZOMBIE, Specs()),
        (BEGET_VPS, Specs(vcpus=2, ram_gb=2.0, storage_gb=30.0, disk_type=None)),
        (DEMO_SEED, Specs(vcpus=4, ram_gb=8.0, storage_gb=100.0, disk_type="SSD")),
        ({}, Specs()),
    ],
    ids=[
        "yandex-server",
        "yandex-volume",
        "yandex-pg-cluster",
        "yandex-k8s-cluster",
        "selectel-server",
        "selectel-zombie",
        "beget-vps",
        "demo-seed",
        "empty",
    ],
)
def test_it_reads_specs_from_every_provider_shape(config, expected):
    assert specs_from_config(config) == expected


def test_selectel_ram_comes_from_ram_mb_or_the_flavor():
    assert specs_from_config({"vcpus": 2, "ram_mb": 6144}).ram_gb == 6.0
    assert specs_from_config({"flavor": {"vcpus": 8, "ram": 16384}}) == Specs(vcpus=8, ram_gb=16.0)


def test_yandex_raw_instance_alone_is_read_in_bytes():
    config = {"instance": {"resources": {"memory": "4294967296", "cores": "2"}}}
    assert specs_from_config(config) == Specs(vcpus=2, ram_gb=4.0)


def test_storage_falls_back_to_the_sum_of_attached_disks():
    config = {
        "attached_disks": [{"size_gb": 20, "type": "network-ssd", "is_boot": True}, {"size_gb": 30}]
    }
    assert specs_from_config(config) == Specs(storage_gb=50.0, disk_type="network-ssd")


@pytest.mark.parametrize(
    ("memory", "ram_gb"),
    [
        ("8 GB", 8.0),
        ("8GB", 8.0),
        ("512 MB", 0.5),
        ("2048mb", 2.0),
        ("1,5 GB", 1.5),
        (8192, 8.0),  # an integer > 64 divisible by 1024 is MiB
        (2048, 2.0),
        (64, 64.0),  # 64 is GB: the rule says > 64
        (16, 16.0),
        (1000, 1000.0),  # not divisible by 1024, so GB
        ("8192", 8.0),
        (4.5, 4.5),
    ],
)
def test_unit_less_memory_follows_infrazens_rule(memory, ram_gb):
    assert specs_from_config({"memory": memory}).ram_gb == ram_gb


@pytest.mark.parametrize(
    ("key", "value", "vcpus"),
    [
        ("cpu", "4 vCPU", 4),
        ("cpu", "2x Intel", 2),
        ("vcpu", 8, 8),
        ("vcpus", 2.0, 2),
        ("cores", "16", 16),
        ("cpu_cores", 1, 1),
    ],
)
def test_vcpus_come_from_the_first_integer(key, value, vcpus):
    assert specs_from_config({key: value}).vcpus == vcpus


def test_the_first_key_in_infrazens_order_wins():
    assert specs_from_config({"cpu": "4 vCPU", "vcpus": 8}).vcpus == 4
    assert specs_from_config({"ram_gb": 8, "ram_mb": 4096}).ram_gb == 8.0
    assert specs_from_config({"total_storage_gb": 120, "disk_gb": 30}).storage_gb == 120.0


@pytest.mark.parametrize(
    "bad",
    [None, "None", "null", "", "N/A", float("nan"), float("inf"), 0, -2, True, [], {}],
)
def test_unreadable_spec_values_are_none_never_nan_or_text(bad):
    config = {"vcpus": bad, "ram_gb": bad, "total_storage_gb": bad}
    assert specs_from_config(config) == Specs()
    assert specs_from_config(config).is_empty


def test_a_missing_key_falls_through_to_the_next_one():
    assert specs_from_config({"ram_gb": None, "ram_mb": 2048}).ram_gb == 2.0
    assert specs_from_config({"vcpus": "N/A", "cpu_cores": 2}).vcpus == 2


def test_specs_values_are_plain_numbers():
    specs = specs_from_config(DEMO_SEED)
    assert type(specs.vcpus) is int
    assert type(specs.ram_gb) is float and math.isfinite(specs.ram_gb)
    assert type(specs.storage_gb) is float and math.isfinite(specs.storage_gb)


def test_is_empty_ignores_a_bare_disk_type():
    assert Specs(disk_type="network-ssd").is_empty
    assert not Specs(vcpus=2).is_empty


def test_specs_from_non_dict_is_empty():
    assert specs_from_config(None).is_empty  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "stored",
    [json.dumps(BEGET_VPS), repr(BEGET_VPS)],
    ids=["json", "repr"],
)
def test_resource_specs_read_provider_config_text(stored):
    resource = Resource(provider_config=stored)
    assert resource_specs(resource) == Specs(vcpus=2, ram_gb=2.0, storage_gb=30.0)


def test_resource_specs_of_a_resource_without_config_are_empty():
    assert resource_specs(Resource(provider_config=None)).is_empty
    assert resource_specs(Resource(provider_config="garbage")).is_empty


# --- costs: contract §2 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "monthly"),
    [
        # Yandex: effective_cost is a daily estimate, billing_period NULL.
        ({"effective_cost": 150.0, "daily_cost": 150.0, "billing_period": None}, 4500.0),
        # Selectel: daily (daily_cost_rubles); original_cost holds the monthly estimate.
        (
            {
                "effective_cost": 45.2,
                "daily_cost": 45.2,
                "original_cost": 1356.0,
                "billing_period": None,
            },
            1356.0,
        ),
        # Beget VPS through the plugin: daily, and says so.
        ({"effective_cost": 22.0, "daily_cost": 22.0, "billing_period": "daily"}, 660.0),
        # Beget DB/FTP/email: monthly, with daily_cost = monthly / 30.
        ({"effective_cost": 900.0, "daily_cost": 30.0, "billing_period": "monthly"}, 900.0),
        # Demo seed: monthly.
        ({"effective_cost": 5000.0, "daily_cost": 166.67, "billing_period": "monthly"}, 5000.0),
        # Case and spacing in billing_period do not matter.
        ({"effective_cost": 900.0, "daily_cost": 30.0, "billing_period": " Monthly "}, 900.0),
        # daily_cost missing: a daily row still has effective_cost.
        ({"effective_cost": 22.0, "daily_cost": None, "billing_period": "daily"}, 660.0),
        # daily_cost missing and the unit unknown: no guess.
        ({"effective_cost": 150.0, "daily_cost": None, "billing_period": None}, 0.0),
        # monthly row without effective_cost: fall back to daily_cost.
        ({"effective_cost": None, "daily_cost": 10.0, "billing_period": "monthly"}, 300.0),
        ({"effective_cost": None, "daily_cost": None, "billing_period": None}, 0.0),
        (
            {"effective_cost": float("nan"), "daily_cost": float("nan"), "billing_period": "daily"},
            0.0,
        ),
    ],
    ids=[
        "yandex-daily",
        "selectel-daily",
        "beget-vps-daily",
        "beget-db-monthly",
        "demo-monthly",
        "period-case",
        "daily-no-daily-cost",
        "null-period-no-daily-cost",
        "monthly-no-effective",
        "nothing",
        "nan",
    ],
)
def test_monthly_and_daily_cost_follow_the_unit_rules(fields, monthly):
    resource = Resource(**fields)
    assert monthly_cost(resource) == pytest.approx(monthly)
    assert daily_cost(resource) * 30 == pytest.approx(monthly)
    assert isinstance(monthly_cost(resource), float)
    assert isinstance(daily_cost(resource), float)


def test_a_yandex_effective_cost_is_never_taken_as_monthly():
    resource = Resource(effective_cost=150.0, daily_cost=150.0, billing_period=None)
    assert monthly_cost(resource) != 150.0


def test_daily_cost_of_a_monthly_row_is_a_thirtieth():
    resource = Resource(effective_cost=900.0, daily_cost=30.0, billing_period="monthly")
    assert daily_cost(resource) == pytest.approx(30.0)


# --- secrets -------------------------------------------------------------------------------


def _dumped(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_beget_admin_credentials_are_dropped():
    redacted = redact_secrets(BEGET_VPS)
    assert "admin_credentials" not in redacted
    assert "hunter2" not in _dumped(redacted)
    assert redacted["cpu_cores"] == 2
    assert redacted["name"] == "old-vps"


def test_secrets_are_dropped_at_any_depth():
    value = {
        "credentials": {"api_key": "K1"},
        "cluster": {
            "config": {"auth": {"token": "T1", "user": "admin"}},
            "hosts": [
                {"name": "h1", "Authorization": "Bearer T2"},
                {"name": "h2", "ssh": {"private_key": "P1"}},
            ],
        },
        "billing": [{"IAM-Token": "T3"}, ("x", {"clientSecret": "S1"})],
        "access_key_id": "A1",
        "secretAccessKey": "S2",
        "Password": "P2",
        "db_passwd": "P3",
        "ApiKey": "K2",
        "X-Api-Key": "K3",
    }
    redacted = redact_secrets(value)
    dumped = _dumped(redacted)
    for secret in ("K1", "T1", "T2", "T3", "P1", "P2", "P3", "S1", "S2", "A1", "K2", "K3"):
        assert secret not in dumped
    assert redacted["cluster"]["config"]["auth"] == {"user": "admin"}
    assert [host["name"] for host in redacted["cluster"]["hosts"]] == ["h1", "h2"]
    assert isinstance(redacted["billing"][1], tuple)


def test_redact_secrets_returns_a_copy_and_leaves_the_input_alone():
    original = {"nested": {"password": "p", "keep": [1, {"token": "t"}]}}
    before = json.dumps(original)
    redacted = redact_secrets(original)
    assert json.dumps(original) == before
    redacted["nested"]["keep"].append(2)
    assert original["nested"]["keep"] == [1, {"token": "t"}]


def test_non_secret_keys_and_scalars_pass_through():
    assert redact_secrets({"vcpus": 2, "name": "web", "keys": ["a"]}) == {
        "vcpus": 2,
        "name": "web",
        "keys": ["a"],
    }
    assert redact_secrets("text") == "text"
    assert redact_secrets(None) is None


@pytest.mark.parametrize("key", [*SECRET_KEYS, "CREDENTIALS", "Admin_Credentials"])
def test_the_named_secret_keys_are_secret_in_any_case(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "stored",
    [json.dumps(BEGET_VPS), repr(BEGET_VPS)],
    ids=["json", "repr"],
)
def test_resource_config_is_parsed_and_redacted(stored):
    config = resource_config(Resource(provider_config=stored))
    assert config["cpu_cores"] == 2
    assert "admin_credentials" not in config
    assert "hunter2" not in _dumped(config)


def test_resource_config_of_nothing_is_an_empty_dict():
    assert resource_config(Resource(provider_config=None)) == {}
