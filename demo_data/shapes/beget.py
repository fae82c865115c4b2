"""Beget resources as its sync plugin writes them: VPS billed daily, services monthly."""

from __future__ import annotations

import string
from typing import Any

from demo_data.personas import BEGET_ADMIN_PASSWORD
from demo_data.seeder import Seeder
from demo_data.shapes.usage import usage_tags
from infrazen.models import Resource


class Beget:
    def __init__(self, s: Seeder) -> None:
        self.s = s

    def _vps_config(
        self,
        name: str,
        rid: str,
        *,
        cores: int,
        ram_mb: int,
        disk_gb: int,
        monthly: float,
        status: str,
        software: str,
        ip: str,
    ) -> dict[str, Any]:
        s = self.s
        used = round(disk_gb * s.rng.uniform(0.2, 0.7), 1)
        return {
            "id": rid,
            "name": name,
            "status": "running" if status == "active" else "stopped",
            "ip_address": ip,
            "hostname": f"{name}.beget.app",
            "region": "ru-spb",
            "cpu_cores": cores,
            "ram_mb": ram_mb,
            "disk_gb": disk_gb,
            "disk_used_gb": used,
            "disk_left_gb": round(disk_gb - used, 1),
            "bandwidth_gb": 1000,
            "location": "Санкт-Петербург",
            "created_at": s.provider_created(330),
            "monthly_cost": monthly,
            "daily_cost": round(monthly / 30, 2),
            "currency": "RUB",
            "type": "vps",
            "software": software,
            "software_version": "24.0",
            "software_url": f"https://{name}.beget.app",
            "admin_credentials": {
                "admin_password": BEGET_ADMIN_PASSWORD,
                "admin_email": "admin@demo.infrazen.local",
            },
            "ssh_access_allowed": True,
            "manage_enabled": True,
            "description": "",
            "technical_domain": f"{rid}.beget.tech",
            "software_domain": f"{name}.beget.app",
        }

    def vps(
        self,
        name: str,
        *,
        cores: int,
        ram_mb: int,
        disk_gb: int,
        monthly: float,
        status: str = "active",
        software: str = "Docker",
    ) -> Resource:
        s = self.s
        rid = "".join(s.rng.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        ip = s.ip("45.12")
        config = self._vps_config(
            name,
            rid,
            cores=cores,
            ram_mb=ram_mb,
            disk_gb=disk_gb,
            monthly=monthly,
            status=status,
            software=software,
            ip=ip,
        )
        return s.resource(
            "beget",
            name=name,
            rtype="server",
            service="VPS",
            region="ru-spb",
            status=status,
            config=config,
            resource_id=rid,
            daily=monthly / 30,
            external_ip=ip,
            tags={
                "vps_id": rid,
                "cpu_cores": str(cores),
                "ram_mb": str(ram_mb),
                "disk_gb": str(disk_gb),
                "total_storage_gb": str(disk_gb),
                "monthly_cost": str(monthly),
                "daily_cost": str(round(monthly / 30, 2)),
                **usage_tags(12.5 if status == "active" else 0.0, ram_mb, s.rng),
            },
        )

    def service(
        self, name: str, *, rtype: str, kind: str, monthly: float, **extra: Any
    ) -> Resource:
        """Databases, FTP storage, mailboxes: billed monthly (contract §2)."""
        s = self.s
        service = {"database": "Database", "storage": "FTP", "email": "Email"}[rtype]
        config = {
            "id": f"{kind}-{name}",
            "name": name,
            "type": kind,
            "billing_period": "monthly",
            "monthly_cost": monthly,
            "daily_cost": round(monthly / 30, 2),
            "currency": "RUB",
            "created_at": s.provider_created(600),
            **extra,
        }
        return s.resource(
            "beget",
            name=name,
            rtype=rtype,
            service=service,
            region="global",
            status="active",
            config=config,
            resource_id=f"{kind}-{name}",
            monthly=monthly,
            tags={"monthly_cost": str(monthly), "daily_cost": str(round(monthly / 30, 2))},
        )
