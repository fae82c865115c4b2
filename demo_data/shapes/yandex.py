"""Yandex Cloud resources as its sync plugin writes them (contract §2)."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from demo_data.seeder import Seeder, as_json, iso
from demo_data.shapes.usage import usage_tags
from infrazen.models import Resource


def _cpu_raw(s: Seeder, average: float) -> str:
    dates = [s.day(n).isoformat() for n in range(29, -1, -1)]
    values = [round(max(0.0, average + s.rng.uniform(-1.5, 1.5)), 1) for _ in dates]
    return as_json({"dates": dates, "values": values})


class Yandex:
    def __init__(self, s: Seeder, folder_name: str) -> None:
        self.s = s
        self.folder = {
            "folder_id": s.yc_id("b1g"),
            "folder_name": folder_name,
            "cloud_id": s.yc_id("b1g"),
        }

    def _raw(self, rid: str, name: str, created: str) -> dict[str, Any]:
        return {"id": rid, "folderId": self.folder["folder_id"], "createdAt": created, "name": name}

    def _disks(self, disks: list[tuple[int, str]]) -> list[dict[str, Any]]:
        attached = []
        for index, (size, dtype) in enumerate(disks):
            disk_id = self.s.yc_id("fhm")
            attached.append(
                {
                    "disk_id": disk_id,
                    "mode": "READ_WRITE",
                    "size_gb": size,
                    "type": dtype,
                    "device_name": disk_id,
                    "is_boot": index == 0,
                }
            )
        return attached

    def _nic(self, internal: str, external: str | None) -> dict[str, Any]:
        s = self.s
        address: dict[str, Any] = {"address": internal}
        if external:
            address["oneToOneNat"] = {"address": external, "ipVersion": "IPV4"}
        return {
            "index": "0",
            "macAddress": "d0:0d:" + ":".join(f"{s.rng.randrange(256):02x}" for _ in range(4)),
            "subnetId": s.yc_id("e9b"),
            "primaryV4Address": address,
        }

    def _instance(
        self,
        raw: dict[str, Any],
        *,
        zone: str,
        resources: dict[str, str],
        status: str,
        attached: list[dict[str, Any]],
        nic: dict[str, Any],
    ) -> dict[str, Any]:
        return raw | {
            "zoneId": zone,
            "platformId": "standard-v3",
            "resources": resources,
            "status": status,
            "bootDisk": {
                "mode": "READ_WRITE",
                "deviceName": attached[0]["device_name"],
                "autoDelete": True,
                "diskId": attached[0]["disk_id"],
            },
            "secondaryDisks": [
                {"mode": "READ_WRITE", "deviceName": d["device_name"], "diskId": d["disk_id"]}
                for d in attached[1:]
            ],
            "networkInterfaces": [nic],
            "fqdn": f"{raw['id']}.auto.internal",
            "schedulingPolicy": {},
            "networkSettings": {"type": "STANDARD"},
            "placementPolicy": {},
        }

    def _server_config(
        self,
        rid: str,
        name: str,
        created: str,
        *,
        zone: str,
        cores: int,
        ram_gb: int,
        fraction: int,
        status: str,
        disks: list[tuple[int, str]],
    ) -> dict[str, Any]:
        s = self.s
        attached = self._disks(disks)
        internal = f"10.128.0.{s.rng.randrange(3, 250)}"
        external = s.ip("158.160") if status == "RUNNING" else None
        nic = self._nic(internal, external)
        instance = self._instance(
            self._raw(rid, name, created),
            zone=zone,
            resources={
                "memory": str(ram_gb * 1024**3),
                "cores": str(cores),
                "coreFraction": str(fraction),
            },
            status=status,
            attached=attached,
            nic=nic,
        )
        return {
            "instance": instance,
            **self.folder,
            "zone_id": zone,
            "vcpus": cores,
            "ram_gb": ram_gb,
            "ram_mb": ram_gb * 1024,
            "total_storage_gb": sum(size for size, _ in disks),
            "attached_disks": attached,
            "ip_addresses": [internal] + ([external] if external else []),
            "external_ip": external,
            "network_interfaces": [nic],
            "created_at": created,
            "platform_id": "standard-v3",
            "estimated_cost": True,
        }

    def server(
        self,
        name: str,
        *,
        cores: int,
        ram_gb: int,
        disks: list[tuple[int, str]],
        daily: float | None = None,
        monthly: float | None = None,
        status: str = "RUNNING",
        age: int = 300,
        cpu: float = 20.0,
        fraction: int = 100,
        zone: str = "ru-central1-a",
        environment: str = "prod",
        tags: dict[str, str] | None = None,
        cpu_history: float | None = None,
    ) -> Resource:
        """cpu_history: also a 30-day `cpu_raw_data` tag around that average."""
        s = self.s
        extra = dict(tags or {})
        if cpu_history is not None:
            extra["cpu_raw_data"] = _cpu_raw(s, cpu_history)
        rid = s.yc_id("fhm" if zone.endswith("-a") else "epd")
        created = s.provider_created(age)
        config = self._server_config(
            rid,
            name,
            created,
            zone=zone,
            cores=cores,
            ram_gb=ram_gb,
            fraction=fraction,
            status=status,
            disks=disks,
        )
        external = config["external_ip"]
        all_tags = {
            **usage_tags(cpu if status == "RUNNING" else 0.0, ram_gb * 1024, s.rng),
            **self.folder,
            "platform_id": "standard-v3",
            "cost_source": "estimated",
            **extra,
        }
        return s.resource(
            "yandex",
            name=name,
            rtype="server",
            service="Compute Cloud",
            region=zone,
            status=status,
            config=config,
            resource_id=rid,
            daily=daily,
            monthly=monthly,
            external_ip=external,
            environment=environment,
            tags=all_tags,
        )

    def volume(
        self, name: str, *, size_gb: int, disk_type: str, monthly: float, age: int
    ) -> Resource:
        s = self.s
        rid = s.yc_id("fhm")
        created = s.provider_created(age)
        disk = self._raw(rid, name, created) | {
            "typeId": disk_type,
            "zoneId": "ru-central1-a",
            "size": str(size_gb * 1024**3),
            "blockSize": "4096",
            "status": "READY",
            "instanceIds": [],
        }
        config = {
            "disk": disk,
            **self.folder,
            "zone_id": "ru-central1-a",
            "size_gb": size_gb,
            "disk_type": disk_type,
            "created_at": created,
            "is_standalone": True,
            "estimated_cost": True,
        }
        return s.resource(
            "yandex",
            name=name,
            rtype="volume",
            service="Compute Cloud",
            region="ru-central1-a",
            status="READY",
            config=config,
            resource_id=rid,
            monthly=monthly,
            tags={"cost_source": "estimated", **self.folder},
        )

    def snapshot(
        self, name: str, *, size_gb: float, monthly: float, age: int, first_seen: int | None = None
    ) -> Resource:
        s = self.s
        rid = s.yc_id("fd8")
        created = iso(datetime.combine(s.day(age), time(8, 9, 52)))
        source_disk = s.yc_id("fhm")
        raw = self._raw(rid, name, created) | {
            "storageSize": str(int(size_gb * 1024**3)),
            "diskSize": str(int(size_gb * 1024**3)),
            "status": "READY",
            "sourceDiskId": source_disk,
        }
        config = {
            "snapshot": raw,
            **self.folder,
            "size_gb": size_gb,
            "source_disk_id": source_disk,
            "created_at": created,
            "cost_source": "billing_api",
        }
        return s.resource(
            "yandex",
            name=name,
            rtype="snapshot",
            service="Compute Cloud",
            region="ru-central1",
            status="READY",
            config=config,
            resource_id=rid,
            monthly=monthly,
            first_seen=first_seen,
            tags={"cost_source": "billing_api", **self.folder},
        )

    def reserved_ip(self, name: str | None, *, ip: str, monthly: float, age: int) -> Resource:
        s = self.s
        rid = s.yc_id("e9b")
        created = iso(datetime.combine(s.day(age), time(9, 12)))
        raw = self._raw(rid, name or "", created) | {
            "externalIpv4Address": {"address": ip, "zoneId": "ru-central1-a", "requirements": {}},
            "reserved": True,
            "used": False,
            "type": "EXTERNAL",
            "ipVersion": "IPV4",
        }
        config = {
            "address": raw,
            **self.folder,
            "ip_address": ip,
            "yandex_name": name or "",
            "actual_ip_address": ip,
            "is_used": False,
            "reserved": True,
            "created_at": created,
            "cost_source": "billing_api",
            "sku": "Public IP address - reserved",
            "sku_id": s.yc_id("dn2"),
        }
        return s.resource(
            "yandex",
            name=name or f"Reserved IP: {ip}",
            rtype="reserved_ip",
            service="Virtual Private Cloud",
            region="ru-central1-a",
            status="ACTIVE",
            config=config,
            resource_id=rid,
            monthly=monthly,
            external_ip=ip,
            tags={"cost_source": "billing_api", **self.folder},
        )

    def _workers(self, nodes: list[Resource], breakdown: dict[str, float]) -> list[dict[str, Any]]:
        workers = []
        for node in nodes:
            cfg = json.loads(node.provider_config)
            workers.append(
                {
                    "name": node.resource_name,
                    "id": node.resource_id,
                    "vcpu": cfg["vcpus"],
                    "ram_gb": cfg["ram_gb"],
                    "disk_gb": cfg["total_storage_gb"],
                    "disk_type": cfg["attached_disks"][0]["type"],
                    "zone": cfg["zone_id"],
                    "status": node.status,
                    "cost": round(breakdown["workers"] / len(nodes), 2),
                }
            )
        return workers

    def kubernetes(
        self, name: str, *, nodes: tuple[str, ...], breakdown: dict[str, float]
    ) -> Resource:
        """The cluster over its worker VMs (already created); the nodes get its id as a tag."""
        s = self.s
        rid = s.yc_id("cat")
        created = s.provider_created(500)
        workers = self._workers([s.resources[node] for node in nodes], breakdown)
        csi = [
            {"name": "pvc-prometheus-data", "size_gb": 100, "type": "network-ssd", "cost": 14.5},
            {"name": "pvc-loki-data", "size_gb": 150, "type": "network-hdd", "cost": 13.65},
        ]
        lbs = [{"name": "ingress-nginx", "id": s.yc_id("ds7"), "cost": breakdown["load_balancers"]}]
        raw = self._raw(rid, name, created) | {
            "status": "RUNNING",
            "health": "HEALTHY",
            "networkId": s.yc_id("enp"),
            "master": {"version": "1.29", "zonalMaster": {"zoneId": "ru-central1-a"}},
            "releaseChannel": "REGULAR",
        }
        config = {
            "cluster": raw,
            **self.folder,
            "master_version": "1.29",
            "master_zone": "ru-central1-a",
            "total_nodes": len(workers),
            "total_vcpus": sum(w["vcpu"] for w in workers),
            "total_ram_gb": sum(w["ram_gb"] for w in workers),
            "total_storage_gb": sum(w["disk_gb"] for w in workers) + 250,
            "node_groups": [
                {"id": s.yc_id("cat"), "name": f"{name}-workers", "node_count": len(workers)}
            ],
            "created_at": created,
            "cost_breakdown": breakdown,
            "csi_volumes": csi,
            "csi_volumes_count": len(csi),
            "worker_vms": workers,
            "worker_vms_count": len(workers),
            "k8s_load_balancers": lbs,
            "k8s_lb_count": len(lbs),
            "note": "Стоимость рабочих узлов учтена в стоимости кластера",
        }
        cluster = s.resource(
            "yandex",
            name=name,
            rtype="kubernetes-cluster",
            service="Managed Service for Kubernetes",
            region="ru-central1-a",
            status="RUNNING",
            config=config,
            resource_id=rid,
            daily=breakdown["total"],
            tags={"total_vcpus": str(config["total_vcpus"]), **self.folder},
        )
        s.tags.extend((node, "kubernetes_cluster_id", rid) for node in nodes)
        return cluster

    def database(
        self,
        name: str,
        *,
        rtype: str,
        service: str,
        version: str,
        preset: str,
        vcpus: int,
        ram_gb: int,
        disk_gb: int,
        hosts: int,
        monthly: float,
    ) -> Resource:
        s = self.s
        rid = s.yc_id("c9q")
        created = s.provider_created(400)
        raw = self._raw(rid, name, created) | {
            "environment": "PRODUCTION",
            "status": "RUNNING",
            "health": "ALIVE",
            "config": {
                "version": version,
                "resources": {
                    "resourcePresetId": preset,
                    "diskSize": str(disk_gb * 1024**3),
                    "diskTypeId": "network-ssd",
                },
            },
        }
        config: dict[str, Any] = {
            "cluster": raw,
            **self.folder,
            "version": version,
            "total_hosts": hosts,
            "total_vcpus": vcpus * hosts,
            "total_ram_gb": ram_gb * hosts,
            "total_storage_gb": disk_gb * hosts,
            "created_at": created,
            "estimated_cost": True,
        }
        if rtype == "mysql-cluster":
            config["has_public_ip"] = False
        return s.resource(
            "yandex",
            name=name,
            rtype=rtype,
            service=service,
            region="ru-central1-a",
            status="ACTIVE",
            config=config,
            resource_id=rid,
            monthly=monthly,
            tags={"total_hosts": str(hosts), "total_vcpus": str(vcpus * hosts), **self.folder},
        )
