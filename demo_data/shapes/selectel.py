"""Selectel resources as its sync plugin writes them: OpenStack data with billing (contract §2)."""

from __future__ import annotations

import uuid
from typing import Any

from demo_data.seeder import Seeder
from demo_data.shapes.usage import usage_tags
from infrazen.models import Resource


def _usage_statistics(cpu: float, ram_mb: int, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "cpu": {
            "avg_usage": cpu,
            "max_usage": float(tags["cpu_max_usage"]),
            "min_usage": float(tags["cpu_min_usage"]),
            "trend": "stable",
            "performance_tier": tags["cpu_performance_tier"],
        },
        "memory": {
            "avg_usage_mb": int(tags["memory_avg_usage"]),
            "max_usage_mb": int(tags["memory_max_usage"]),
            "min_usage_mb": int(tags["memory_min_usage"]),
            "usage_percent": round(int(tags["memory_avg_usage"]) * 100 / ram_mb, 1),
            "trend": "stable",
        },
    }


class Selectel:
    def __init__(self, s: Seeder, project: str) -> None:
        self.s = s
        self.project_id = uuid.UUID(int=s.rng.getrandbits(128)).hex
        self.project = project

    def _billing(self, daily: float, region: str, metrics: dict[str, float]) -> dict[str, Any]:
        return {
            "daily_cost_rubles": round(daily, 2),
            "monthly_cost_rubles": round(daily * 30, 2),
            "project_id": self.project_id,
            "project_name": self.project,
            "region": region,
            "metrics": metrics,
        }

    def _server_config(
        self,
        name: str,
        rid: str,
        *,
        vcpus: int,
        ram_mb: int,
        disk_gb: int,
        region: str,
        daily: float,
        running: bool,
        ip: str | None,
        created: str,
    ) -> dict[str, Any]:
        s = self.s
        return {
            "id": rid,
            "name": name,
            "status": "ACTIVE" if running else "SHUTOFF",
            "flavor": {
                "id": s.uuid(),
                "name": f"SL1.{vcpus}-{ram_mb}",
                "vcpus": vcpus,
                "ram": ram_mb,
            },
            "region": region,
            "billing": self._billing(
                daily,
                region,
                {
                    "compute_cores": round(daily * 0.45 if running else 0.0, 2),
                    "compute_ram": round(daily * 0.35 if running else 0.0, 2),
                    "volume_gigabytes_fast": round(daily * (0.2 if running else 1.0), 2),
                },
            ),
            "vcpus": vcpus,
            "ram_mb": ram_mb,
            "total_storage_gb": disk_gb,
            "ip_addresses": [f"192.168.0.{s.rng.randrange(2, 250)}"] + ([ip] if ip else []),
            "attached_volumes": [
                {
                    "id": s.uuid(),
                    "name": f"disk-for-{name}-#1",
                    "size_gb": disk_gb,
                    "bootable": True,
                }
            ],
            "created_at": created,
        }

    def server(
        self,
        name: str,
        *,
        vcpus: int,
        ram_gb: int,
        disk_gb: int,
        region: str,
        daily: float | None = None,
        monthly: float | None = None,
        status: str = "RUNNING",
        cpu: float = 20.0,
        age: int = 250,
        environment: str = "prod",
    ) -> Resource:
        s = self.s
        daily = daily if daily is not None else monthly / 30
        rid = s.uuid()
        created = s.provider_created(age)
        ram_mb = ram_gb * 1024
        ip = s.ip("31.129") if status == "RUNNING" else None
        running = status == "RUNNING"
        config = self._server_config(
            name,
            rid,
            vcpus=vcpus,
            ram_mb=ram_mb,
            disk_gb=disk_gb,
            region=region,
            daily=daily,
            running=running,
            ip=ip,
            created=created,
        )
        mem_tags = usage_tags(cpu if running else 0.0, ram_mb, s.rng)
        if running:
            config["usage_statistics"] = _usage_statistics(cpu, ram_mb, mem_tags)
        return s.resource(
            "selectel",
            name=name,
            rtype="server",
            service="Compute",
            region=region,
            status=status,
            config=config,
            resource_id=rid,
            daily=daily,
            external_ip=ip,
            environment=environment,
            tags={
                **mem_tags,
                "cost_source": "billing_api",
                "monthly_cost_rubles": str(round(daily * 30, 2)),
            },
        )

    def zombie(self, name: str, *, daily: float, region: str) -> Resource:
        s = self.s
        metrics = {"compute_cores": round(daily * 0.6, 2), "compute_ram": round(daily * 0.4, 2)}
        config = {
            "billing": self._billing(daily, region, metrics),
            "openstack_enrichment_failed": True,
            "note": "Сервер найден в биллинге, но не найден в OpenStack API",
            "created_at": s.provider_created(120),
            "metrics": metrics,
        }
        return s.resource(
            "selectel",
            name=name,
            rtype="server",
            service="Compute",
            region=region,
            status="ACTIVE",
            config=config,
            resource_id=s.uuid(),
            daily=daily,
            tags={
                "openstack_enrichment_failed": "true",
                "warning": "Нет данных OpenStack: показаны только данные биллинга",
                "cost_source": "billing_api",
                "monthly_cost_rubles": str(round(daily * 30, 2)),
            },
        )

    def volume(
        self,
        name: str,
        *,
        size_gb: int,
        volume_type: str,
        daily: float,
        region: str,
        in_use: bool = True,
        first_seen: int | None = None,
    ) -> Resource:
        s = self.s
        rid = s.uuid()
        status = "in-use" if in_use else "available"
        config = {
            "id": rid,
            "name": name,
            "status": status,
            "size_gb": size_gb,
            "volume_type": f"{volume_type}.{region}a",
            "region": region,
            "attachments": [{"server_id": s.uuid()}] if in_use else [],
            "billing": self._billing(daily, region, {f"volume_gigabytes_{volume_type}": daily}),
            "created_at": s.provider_created(first_seen or 200),
        }
        return s.resource(
            "selectel",
            name=name,
            rtype="volume",
            service="Block Storage",
            region=region,
            status=status.upper(),
            config=config,
            resource_id=rid,
            daily=daily,
            first_seen=first_seen,
            tags={"cost_source": "billing_api", "monthly_cost_rubles": str(round(daily * 30, 2))},
        )
