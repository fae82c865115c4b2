"""What runs in each persona's clouds, in creation order (it fixes ids and random draws).

A row names its provider, the shape that builds it (a method of that provider's builder in
shapes/; "listed" is the seed scripts' flat shape) and the shape's arguments.
"""

# ruff: noqa: E501  (a table: one row a line)
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from demo_data.personas import ALICE_EMAIL, BOB_EMAIL, DEMO_EMAIL, INJECTION_NAME


@dataclass(frozen=True)
class ResourceRow:
    provider_type: str
    shape: str
    name: str | None
    spec: dict[str, Any] = field(default_factory=dict)


def _row(provider_type: str, shape: str, name: str | None, **spec: Any) -> ResourceRow:
    return ResourceRow(provider_type, shape, name, spec)


SSD, HDD = "network-ssd", "network-hdd"

_K8S_NODE = {
    "cores": 4,
    "ram_gb": 8,
    "disks": [(64, SSD)],
    "daily": 0.0,
    "cpu": 48.0,
    "zone": "ru-central1-b",
    "tags": {
        "is_kubernetes_node": "true",
        "kubernetes_cluster_name": "itlkube",
        "warning": "Стоимость узла учтена в кластере itlkube",
    },
}

# fmt: off
ALICE_RESOURCES: tuple[ResourceRow, ...] = (
    _row("yandex", "server", "office", cores=4, ram_gb=8, disks=[(92, SSD)], daily=187.01, cpu=3.2, age=420, cpu_history=3.2),
    _row("yandex", "server", "punch-dev-backend-1", cores=4, ram_gb=8, disks=[(100, SSD)], monthly=13379.4, cpu=34.5, environment="dev"),
    _row("yandex", "server", "punch-dev-frontend-1", cores=2, ram_gb=4, disks=[(30, HDD)], daily=98.4, cpu=22.1, environment="dev"),
    _row("yandex", "server", "gitlab", cores=8, ram_gb=16, disks=[(50, SSD), (200, SSD)], daily=310.5, cpu=41.0),
    _row("yandex", "server", "prod-api-1", cores=4, ram_gb=8, disks=[(50, SSD)], daily=220.0, cpu=7.8),
    _row("yandex", "server", "prod-api-2", cores=4, ram_gb=8, disks=[(50, SSD)], daily=220.0, cpu=18.3),
    _row("yandex", "server", "prod-worker-1", cores=4, ram_gb=8, disks=[(100, SSD)], daily=165.3, cpu=6.8),
    _row("yandex", "server", "monitoring", cores=2, ram_gb=8, disks=[(100, HDD)], daily=120.6, cpu=27.0),
    _row("yandex", "server", "ci-runner-1", cores=4, ram_gb=4, disks=[(64, SSD)], daily=75.2, cpu=55.0, fraction=50, environment="ci"),
    _row("yandex", "server", "bastion", cores=2, ram_gb=2, disks=[(10, HDD)], daily=22.8, cpu=2.1, fraction=20),
    _row("yandex", "server", "punch-dev-monitoring-1", cores=2, ram_gb=4, disks=[(400, SSD)], monthly=1289.0, status="STOPPED", environment="dev"),
    _row("yandex", "server", INJECTION_NAME, cores=2, ram_gb=2, disks=[(130, HDD)], monthly=415.8, status="STOPPED", environment="dev"),
    _row("yandex", "server", "itlkube-node-1", **_K8S_NODE),
    _row("yandex", "server", "itlkube-node-2", **_K8S_NODE),
    _row("yandex", "volume", "old-data-disk", size_gb=200, disk_type=HDD, monthly=640.0, age=210),
    _row("yandex", "volume", "backup-disk", size_gb=500, disk_type=HDD, monthly=1600.0, age=380),
    _row("yandex", "volume", "data-archive", size_gb=1000, disk_type=HDD, monthly=3200.0, age=90),
    _row("yandex", "snapshot", "gitdisk-1740816592565", size_gb=507.2, monthly=1708.5, age=248),
    _row("yandex", "snapshot", "gate-021023", size_gb=9.9, monthly=33.3, age=763),
    _row("yandex", "snapshot", "gitlab-weekly", size_gb=120.0, monthly=404.0, age=3, first_seen=3),
    _row("yandex", "reserved_ip", "gitlab_new", ip="158.160.64.17", monthly=241.0, age=547),
    _row("yandex", "reserved_ip", "kafka_ip", ip="158.160.85.164", monthly=241.2, age=566),
    _row("yandex", "reserved_ip", None, ip="158.160.107.171", monthly=241.2, age=900),
    _row("yandex", "kubernetes", "itlkube", nodes=("itlkube-node-1", "itlkube-node-2"),
         breakdown={"master": 73.0, "workers": 208.0, "storage": 28.15, "load_balancers": 20.0, "total": 329.15}),
    _row("yandex", "database", "pg-itl-prod", rtype="postgresql-cluster", service="Managed Service for PostgreSQL", version="15", preset="s3-c2-m8", vcpus=2, ram_gb=8, disk_gb=40, hosts=2, monthly=8300.0),
    _row("yandex", "database", "mysql-shop", rtype="mysql-cluster", service="Managed Service for MySQL", version="8.0", preset="s3-c2-m4", vcpus=2, ram_gb=4, disk_gb=20, hosts=1, monthly=4290.0),
    _row("yandex", "database", "kafka-events", rtype="kafka-cluster", service="Managed Service for Apache Kafka", version="3.6", preset="s3-c2-m8", vcpus=2, ram_gb=8, disk_gb=40, hosts=3, monthly=19800.0),
    _row("yandex", "database", "redis-cache", rtype="redis-cluster", service="Managed Service for Redis", version="7.2", preset="hm3-c2-m8", vcpus=2, ram_gb=8, disk_gb=16, hosts=1, monthly=5400.0),
    _row("selectel", "server", "ci-runner-2", vcpus=2, ram_gb=4, disk_gb=40, region="ru-7", monthly=2290.0, cpu=0.0, environment="ci"),
    _row("selectel", "server", "app-selectel-1", vcpus=4, ram_gb=16, disk_gb=100, region="ru-7", daily=280.0, cpu=38.0),
    _row("selectel", "server", "app-selectel-2", vcpus=4, ram_gb=16, disk_gb=100, region="ru-7", daily=280.0, cpu=35.0),
    _row("selectel", "server", "db-replica", vcpus=8, ram_gb=32, disk_gb=200, region="ru-7", daily=520.0, cpu=24.0),
    _row("selectel", "server", "staging-1", vcpus=2, ram_gb=4, disk_gb=40, region="ru-3", daily=95.0, cpu=12.0, environment="staging"),
    _row("selectel", "server", "staging-2", vcpus=2, ram_gb=4, disk_gb=40, region="ru-3", daily=95.0, cpu=4.0, environment="staging"),
    _row("selectel", "server", "build-farm", vcpus=16, ram_gb=32, disk_gb=200, region="ru-3", daily=610.0, cpu=47.0, environment="ci"),
    _row("selectel", "server", "selectel-old-test", vcpus=2, ram_gb=4, disk_gb=40, region="ru-7", monthly=1050.0, status="STOPPED", environment="test"),
    _row("selectel", "zombie", "billing-zombie-7f3a", daily=60.0, region="ru-7"),
    _row("selectel", "volume", "db-replica-data", size_gb=500, volume_type="universal", daily=45.0, region="ru-7"),
    _row("selectel", "volume", "app-shared-disk", size_gb=300, volume_type="fast", daily=60.0, region="ru-7"),
    _row("selectel", "volume", "old-backup-volume", size_gb=200, volume_type="basic", daily=22.0, region="ru-7", in_use=False),
    _row("selectel", "volume", "ci-cache", size_gb=100, volume_type="fast", daily=30.0, region="ru-7", first_seen=5),
    _row("beget", "vps", "old-vps", cores=1, ram_mb=1024, disk_gb=10, monthly=310.2, status="stopped"),
    _row("beget", "vps", "beget-web-1", cores=2, ram_mb=2048, disk_gb=30, monthly=960.0, software="WordPress"),
    _row("beget", "vps", "beget-landing", cores=1, ram_mb=1024, disk_gb=15, monthly=555.0, software="Nginx"),
    _row("beget", "vps", "beget-vpn", cores=1, ram_mb=512, disk_gb=10, monthly=360.0, software="WireGuard"),
    _row("beget", "service", "shop_db", rtype="database", kind="mysql", monthly=300.0, version="8.0", size_mb=2150),
    _row("beget", "service", "wp_db", rtype="database", kind="mysql", monthly=450.0, version="8.0", size_mb=4800),
    _row("beget", "service", "analytics_db", rtype="database", kind="postgresql", monthly=150.0, version="16", size_mb=900),
    _row("beget", "service", "backup-ftp", rtype="storage", kind="ftp", monthly=90.0, disk_quota_gb=50),
    _row("beget", "service", "itlab.ru-mail", rtype="email", kind="email", monthly=120.0, mailboxes=6),
)

BOB_RESOURCES: tuple[ResourceRow, ...] = (
    _row("selectel", "server", "bob-web-1", vcpus=4, ram_gb=16, disk_gb=100, region="ru-7", daily=300.0, cpu=31.0),
    _row("selectel", "server", "bob-web-2", vcpus=4, ram_gb=16, disk_gb=100, region="ru-7", daily=300.0, cpu=5.1),
    _row("selectel", "server", "bob-db-1", vcpus=8, ram_gb=32, disk_gb=200, region="ru-7", daily=520.0, cpu=44.0),
    _row("selectel", "server", "bob-old-build", vcpus=2, ram_gb=4, disk_gb=40, region="ru-7", monthly=840.0, status="STOPPED"),
    _row("selectel", "volume", "bob-data", size_gb=250, volume_type="universal", daily=27.0, region="ru-7"),
    _row("yandex", "server", "bob-analytics", cores=2, ram_gb=4, disks=[(40, SSD)], monthly=3450.0, cpu=28.0),
    _row("yandex", "snapshot", "bob-snapshot-2023", size_gb=80.0, monthly=269.6, age=400),
    _row("yandex", "reserved_ip", "bob-ip", ip="51.250.33.9", monthly=241.2, age=300),
)

DEMO_RESOURCES: tuple[ResourceRow, ...] = (
    _row("yandex", "listed", "demo-web-server", rtype="server", region="ru-central1-a", monthly=6500.0, config={"cpu": "4 vCPU", "memory": "8 GB", "storage": "100 GB SSD"}),
    _row("yandex", "listed", "demo-db-server", rtype="database", region="ru-central1-a", monthly=9800.0, config={"cpu": "8 vCPU", "memory": "32 GB", "storage": "500 GB SSD", "engine": "PostgreSQL 15"}),
    _row("yandex", "listed", "demo-public-ip", rtype="ip", region="ru-central1-a", monthly=250.0, config={"address": "51.250.10.20", "type": "static"}),
    _row("yandex", "listed", "demo-vpc", rtype="network", region="ru-central1", monthly=150.0, config={"cidr": "10.0.0.0/16", "subnets": "3"}),
    _row("selectel", "listed", "demo-snapshots", rtype="snapshots", region="ru-7", monthly=1200.0, config={"count": "12", "total_size": "600 GB"}),
    _row("selectel", "listed", "demo-backup", rtype="backup", region="ru-7", monthly=2100.0, config={"retention": "30 days", "size": "1 TB"}),
    _row("selectel", "listed", "demo-staging", rtype="server", region="ru-7", monthly=3200.0, config={"cpu": "2 vCPU", "memory": "4 GB", "storage": "50 GB SSD"}),
)
# fmt: on

RESOURCES: dict[str, tuple[ResourceRow, ...]] = {
    ALICE_EMAIL: ALICE_RESOURCES,
    BOB_EMAIL: BOB_RESOURCES,
    DEMO_EMAIL: DEMO_RESOURCES,
}
