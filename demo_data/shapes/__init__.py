"""Resources in each provider's shapes (contract §2): the provider_config, tags and costs that
InfraZen's sync plugins write. SKUs and ids are invented in the documented shapes.

A builder draws its random values in a fixed order, and is made when a persona's first row of
its provider needs it: that order, and the order of the rows in resources.py, keep a rerun
identical.
"""

from __future__ import annotations

from typing import Any

from demo_data.personas import Provider
from demo_data.resources import ResourceRow
from demo_data.seeder import Seeder
from demo_data.shapes.beget import Beget
from demo_data.shapes.selectel import Selectel
from demo_data.shapes.yandex import Yandex
from infrazen.models import Resource


def _builder(s: Seeder, provider: Provider) -> Any:
    if provider.provider_type == "yandex":
        return Yandex(s, provider.scope or "default")
    if provider.provider_type == "selectel":
        return Selectel(s, provider.scope or "default")
    return Beget(s)


def listed(
    s: Seeder,
    provider_type: str,
    name: str,
    *,
    rtype: str,
    region: str,
    monthly: float,
    config: dict[str, Any],
) -> Resource:
    """The seed scripts' flat shape: a few text specs, a monthly cost (contract §2)."""
    return s.resource(
        provider_type,
        name=name,
        rtype=rtype,
        service={"server": "Compute", "database": "Database"}.get(rtype, "Network"),
        region=region,
        status="active",
        config=config,
        resource_id=f"demo-{name}",
        monthly=monthly,
        environment="demo",
    )


def resources_build(s: Seeder, rows: tuple[ResourceRow, ...]) -> None:
    """Every row in order, each through its provider's builder (or the listed shape)."""
    connections = {p.provider_type: p for p in s.persona.providers}
    builders: dict[str, Any] = {}
    for row in rows:
        if row.shape == "listed":
            listed(s, row.provider_type, row.name, **row.spec)
            continue
        if row.provider_type not in builders:
            builders[row.provider_type] = _builder(s, connections[row.provider_type])
        getattr(builders[row.provider_type], row.shape)(row.name, **row.spec)
