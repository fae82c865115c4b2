"""What the rule engine and the seed scripts said about each persona's resources.

A row names the rule that shapes it (a function of rules.py), the resource and the rule's
arguments; rows are created in this order. The rule-engine rows store Python repr, the seed
scripts' rows JSON (contract §2).
"""

# ruff: noqa: E501  (a table: one row a line)
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from demo_data.personas import ALICE_EMAIL, BOB_EMAIL, DEMO_EMAIL, INJECTION_NAME

RULE_SOURCES = {
    "rightsizing_cpu": "cost.rightsize.cpu_underuse",
    "cleanup_stopped": "cost.cleanup.stopped_resources",
    "cleanup_old_snapshot": "cost.cleanup.old_snapshots",
    "cleanup_unused_ip": "cost.cleanup.unused_reserved_ips",
    "price_compare_server": "cost.price_check.cross_provider",
    "price_compare_k8s": "cost.price_check.kubernetes_cluster",
    "price_compare_pg": "cost.price_check.postgresql_cluster",
    "price_compare_mysql": "cost.price_check.mysql_cluster",
    "price_compare_kafka": "cost.price_check.kafka_cluster",
    "price_compare_redis": "cost.price_check.redis_cluster",
    # No InfraZen rule produces these two types (contract §2); the ids follow the same scheme.
    "cleanup_unused_volume": "cost.cleanup.unused_volumes",
    "price_compare_same_provider": "cost.price_check.same_provider",
}


@dataclass(frozen=True)
class RecommendationRow:
    rule: str
    name: str
    spec: dict[str, Any] = field(default_factory=dict)


def _rec(rule: str, name: str, **spec: Any) -> RecommendationRow:
    return RecommendationRow(rule, name, spec)


def _legacy(
    source: str,
    rows: tuple[tuple[Any, ...], ...],
    *,
    statuses: dict[str, str] | None = None,
    provider_null: frozenset[str] = frozenset(),
) -> tuple[RecommendationRow, ...]:
    """Rows as a seed script wrote them, a day apart: (name, type, severity, share of the
    resource's monthly cost saved, metrics, title, explanation)."""
    return tuple(
        _rec(
            "legacy",
            name,
            source=source,
            rtype=rtype,
            severity=severity,
            share=share,
            metrics=metrics,
            title=title,
            explanation=explanation,
            status=(statuses or {}).get(name, "pending"),
            provider_null=name in provider_null,
            age_days=60 - index,
        )
        for index, (name, rtype, severity, share, metrics, title, explanation) in enumerate(rows)
    )


_PG_SKU = "pg-standard-2c-8g-40d:ru-7"

# fmt: off
ALICE_RECOMMENDATIONS: tuple[RecommendationRow, ...] = (
    # The four product examples first.
    _rec("price_compare_server", "office", skus=["v4-r8-d100-network_ssd:ru-6a", "ru2-normal_cpu-4cpu-8gb-100gb"], age_days=6),
    _rec("cleanup_old_snapshot", "gitdisk-1740816592565", age=248, age_days=20),
    _rec("cleanup_unused_ip", "gitlab_new", age=547, age_days=30),
    _rec("cleanup_stopped", "punch-dev-monitoring-1", age_days=14),
    _rec("rightsizing_cpu", "office", target=4160.3, cpu=3.2, vcpu=4, age_days=6),
    _rec("rightsizing_cpu", "prod-worker-1", target=4160.3, cpu=6.8, vcpu=4, status="seen", age_days=25),
    _rec("rightsizing_cpu", "ci-runner-2", target=1469.5, cpu=0.0, vcpu=2, provider_null=True),
    _rec("cleanup_stopped", "old-vps", age_days=40),
    _rec("cleanup_stopped", INJECTION_NAME, provider_null=True, age_days=3),
    _rec("cleanup_stopped", "selectel-old-test", status="dismissed", age_days=50, dismissed_reason="Сервер нужен для ежеквартального тестирования"),
    _rec("cleanup_old_snapshot", "gate-021023", age=763, status="seen", provider_null=True, age_days=45),
    _rec("cleanup_unused_ip", "kafka_ip", age=566, status="dismissed", age_days=35, dismissed_reason="Адрес зарезервирован под будущий кластер Kafka"),
    _rec("cleanup_unused_ip", "Reserved IP: 158.160.107.171", age=900, age_days=12),
    _rec("price_compare_server", "punch-dev-backend-1", skus=["ru2-normal_cpu-4cpu-8gb-100gb", "v4-r8-d120-hdd:ru-6a"], age_days=8),
    # Progressive disclosure: the selectel offer was dismissed before the beget one appeared.
    _rec("price_compare_server", "punch-dev-backend-1", skus=["v4-r8-d120-hdd:ru-6a"], status="dismissed", age_days=40, dismissed_reason="Selectel не подходит по требованиям к ЦОД"),
    _rec("price_compare_server", "build-farm", skus=["v16-r32-d200-network_ssd:ru-9"], same_provider=True, age_days=9),
    _rec("price_compare_cluster", "itlkube", source_rule="price_compare_k8s",
         title="Сравнить стоимость кластера Kubernetes itlkube",
         provider="selectel", sku="managed-k8s-cluster", region="ru-7", target=7805.55,
         metrics={"control_plane_cost": 1500.0, "worker_nodes_cost": 5580.0, "volumes_cost": 425.55},
         insights={"recommended_type": "managed_kubernetes", "total_nodes": 2, "total_vcpus": 8, "total_ram_gb": 16, "migration_complexity": "high"},
         alternatives=(("selectel", "ru-7", None, {}), ("selectel", "ru-9", 8120.0, {})),
         confidence=0.7, severity="low", age_days=11),
    _rec("price_compare_cluster", "pg-itl-prod", source_rule="price_compare_pg",
         title="Перенести кластер PostgreSQL pg-itl-prod",
         provider="selectel", sku=_PG_SKU, region="ru-7", price=(_PG_SKU, 2, "node"), similarity=0.9,
         insights={"recommended_config": "2c/8GB/40GB SSD", "total_nodes": 2, "storage_note": "Объём диска 40 ГБ на узел, как в текущем кластере"},
         alternatives=(("selectel", "ru-7", None, {"config": "2c/8GB/40GB SSD"}), ("beget", "global", 7200.0, {"config": "2c/8GB/80GB"})),
         confidence=0.75, age_days=16),
    _rec("price_compare_cluster", "mysql-shop", source_rule="price_compare_mysql", title="Перенести кластер mysql-shop",
         provider="beget", sku="mysql5_v1_80", region="global", price=("mysql5_v1_80", 1, None),
         insights={"recommended_config": "2c/4GB/80GB"}, confidence=0.8, age_days=18),
    # The Redis rule prices from PG rows.
    _rec("price_compare_cluster", "redis-cache", source_rule="price_compare_redis", title="Перенести кластер redis-cache",
         provider="selectel", sku="redis-standard-2c-8g-40d:ru-7", region="ru-7", price=(_PG_SKU, 1, None),
         insights={"recommended_config": "2c/8GB"}, confidence=0.8, status="seen", age_days=18),
    _rec("price_compare_cluster", "kafka-events", source_rule="price_compare_kafka", title="Перенести кластер Kafka kafka-events",
         provider="selectel", sku="kafka-standard-2c-8g-40d:ru-7", region="ru-7", price=(_PG_SKU, 3, "broker"),
         insights={"recommended_config": "2c/8GB/40GB SSD", "total_brokers": 3},
         alternatives=(("selectel", "ru-7", None, {}),), confidence=0.8, age_days=18),
    _rec("cleanup_unused_volume", "old-data-disk", age=210, age_days=7),
    # Legacy rows written by scripts/seed_recommendations.py.
    *_legacy("seed_recommendations", (
        ("prod-api-1", "rightsizing", "high", 0.5, {"cpu_avg": 0.06, "cpu_p95": 0.18},
         "Уменьшить конфигурацию prod-api-1",
         "Средняя загрузка CPU 6%, пиковая 18%: vCPU и RAM можно уменьшить вдвое."),
        ("staging-2", "shutdown", "medium", 0.4, {"active_hours_per_day": 9, "weekend_usage": 0.02},
         "Выключать staging-2 на ночь и выходные",
         "Стенд используется только в рабочее время: расписание сократит счёт на 40%."),
        ("backup-disk", "cleanup", "low", 1.0, {"last_attached_days": 214, "size_gb": 500},
         "Удалить диск backup-disk",
         "Диск не подключался больше полугода, копии уже хранятся в Object Storage."),
        ("beget-landing", "migrate", "low", 0.28, {"target": "virtual_hosting"},
         "Перенести лендинг на виртуальный хостинг",
         "Статическому лендингу не нужен отдельный VPS: хостинг дешевле."),
        ("gitlab", "commitment", "medium", 0.15, {"uptime_90d": 0.998},
         "Зарезервировать ресурсы для gitlab",
         "Сервер работает круглосуточно: резерв на год снизит цену на 15%."),
    ), statuses={"backup-disk": "implemented"}, provider_null=frozenset({"backup-disk"})),
)

BOB_RECOMMENDATIONS: tuple[RecommendationRow, ...] = (
    _rec("rightsizing_cpu", "bob-web-2", target=7100.0, cpu=5.1, vcpu=4, age_days=9),
    _rec("cleanup_stopped", "bob-old-build", age_days=12),
    _rec("price_compare_server", "bob-analytics", skus=["v2-r4-d40-network_ssd:ru-7"], age_days=5),
    _rec("cleanup_old_snapshot", "bob-snapshot-2023", age=400, status="seen", age_days=20),
    _rec("cleanup_unused_ip", "bob-ip", age=300, provider_null=True, age_days=15),
    *_legacy("seed_recommendations", (
        ("bob-web-1", "shutdown", "medium", 0.3, {"active_hours_per_day": 16, "night_usage": 0.03},
         "Выключать bob-web-1 ночью", "Ночью трафик близок к нулю: отключение сэкономит 30%."),
    )),
)

# scripts/seed_demo_user.py's rows.
DEMO_RECOMMENDATIONS: tuple[RecommendationRow, ...] = _legacy("seed_demo_user", (
    ("demo-web-server", "rightsizing", "high", 0.4, {"cpu_avg": 0.08, "cpu_p95": 0.22},
     "Уменьшить demo-web-server", "Сервер загружен меньше чем на 10%."),
    ("demo-staging", "shutdown", "medium", 0.4, {"active_hours_per_day": 8},
     "Выключать demo-staging ночью", "Стенд нужен только в рабочее время."),
    ("demo-snapshots", "cleanup", "medium", 0.66, {"old_snapshots": 8},
     "Удалить старые снимки", "8 из 12 снимков старше полугода."),
    ("demo-db-server", "migrate", "medium", 0.25, {"target_provider": "selectel"},
     "Перенести demo-db-server", "Та же конфигурация дешевле у другого провайдера."),
    ("demo-db-server", "commitment", "low", 0.15, {"uptime_90d": 0.999},
     "Зарезервировать demo-db-server", "Резерв на год снизит цену на 15%."),
))
# fmt: on

RECOMMENDATIONS: dict[str, tuple[RecommendationRow, ...]] = {
    ALICE_EMAIL: ALICE_RECOMMENDATIONS,
    BOB_EMAIL: BOB_RECOMMENDATIONS,
    DEMO_EMAIL: DEMO_RECOMMENDATIONS,
}
