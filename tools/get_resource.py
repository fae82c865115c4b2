"""get_resource: one resource of the acting user with labelled costs and a safe config summary.

provider_config never leaves as a blob (Beget VPS rows carry admin_credentials, contract §5):
only the scalar keys listed in SAFE_CONFIG_KEYS, read through resource_config (which drops
secrets), and only the tags listed in USAGE_TAGS.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
from infrazen.values import daily_cost, is_secret_key, monthly_cost, resource_config, resource_specs
from tools.base import ArgsModel, Money, clip, money, resource_for, resource_tags_for

NAME = "get_resource"
LABEL = "Смотрю ресурс"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

USAGE_TAGS = (
    "cpu_avg_usage",
    "cpu_max_usage",
    "cpu_min_usage",
    "cpu_trend",
    "cpu_performance_tier",
    "cpu_period",
    "memory_avg_usage",
    "memory_max_usage",
    "memory_min_usage",
    "is_kubernetes_node",
    "kubernetes_cluster_name",
    "cost_source",
    "openstack_enrichment_failed",
    "warning",
    "total_hosts",
    "total_vcpus",
)
SAFE_CONFIG_KEYS = (
    "zone_id",
    "platform_id",
    "folder_name",
    "disk_type",
    "volume_type",
    "size_gb",
    "is_used",
    "reserved",
    "is_standalone",
    "version",
    "master_version",
    "total_nodes",
    "total_hosts",
    "total_vcpus",
    "total_ram_gb",
    "total_storage_gb",
    "disk_used_gb",
    "software",
    "software_version",
    "location",
    "engine",
    "type",
    "has_public_ip",
    "mailboxes",
    "disk_quota_gb",
    "size_mb",
    "note",
)


class Args(ArgsModel):
    """One cloud resource of the current user: type, provider connection, region, status,
    monthly and daily cost, vCPU/RAM/storage, CPU and memory usage statistics and a short
    configuration summary (secrets are never included)."""

    resource_id: int = Field(ge=1, description="Internal id of the resource.")


class Specs(BaseModel):
    vcpus: int | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    disk_type: str | None = None


class Result(BaseModel):
    id: int
    name: str
    resource_type: str
    service_name: str | None
    provider_type: str
    connection_name: str
    region: str | None
    status: str | None
    environment: str | None
    is_active: bool
    external_ip: str | None
    monthly_cost: Money
    daily_cost: Money
    specs: Specs
    usage: dict[str, str] = Field(
        default_factory=dict, description="CPU % and memory MB statistics from the resource tags."
    )
    config: dict[str, str | int | float | bool] = Field(default_factory=dict)
    attached_disks: int | None = None
    last_sync: str | None
    truncated: bool = False

    def summary(self) -> str:
        return f"{self.name}: {self.monthly_cost.amount:,.0f} ₽/мес"


def _safe_config(config: dict) -> dict[str, str | int | float | bool]:
    safe: dict[str, str | int | float | bool] = {}
    for key in SAFE_CONFIG_KEYS:
        value = config.get(key)
        if is_secret_key(key) or value is None or isinstance(value, dict | list):
            continue
        safe[key] = clip(value, 120) if isinstance(value, str) else value
    return {k: v for k, v in safe.items() if v is not None}


def run(*, user: InfraZenUser, args: Args) -> Result:
    resource = resource_for(user, args.resource_id)
    tags = resource_tags_for(user, resource.pk)
    config = resource_config(resource)
    specs = resource_specs(resource)
    disks = config.get("attached_disks") or config.get("attached_volumes")
    return Result(
        id=resource.pk,
        name=resource.resource_name,
        resource_type=resource.resource_type,
        service_name=resource.service_name,
        provider_type=resource.provider.provider_type,
        connection_name=resource.provider.connection_name,
        region=resource.region,
        status=resource.status,
        environment=resource.environment,
        is_active=bool(resource.is_active),
        external_ip=resource.external_ip,
        monthly_cost=money(monthly_cost(resource), "month"),
        daily_cost=money(daily_cost(resource), "day"),
        specs=Specs(
            vcpus=specs.vcpus,
            ram_gb=specs.ram_gb,
            storage_gb=specs.storage_gb,
            disk_type=specs.disk_type,
        ),
        usage={key: clip(tags[key], 120) for key in USAGE_TAGS if tags.get(key)},
        config=_safe_config(config),
        attached_disks=len(disks) if isinstance(disks, list) else None,
        last_sync=resource.last_sync.isoformat(sep=" ") if resource.last_sync else None,
    )
