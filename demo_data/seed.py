"""The one seeder: walks the tables of personas.py, resources.py, recommendations.py and
prices.py and writes their rows. A persona whose email already exists is left untouched;
`reset=True` deletes the three personas' rows first and recreates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import router, transaction

from demo_data.personas import DEMO_EMAILS, PERSONAS, SEED, Persona
from demo_data.prices import DEMO_PRICE_NOTE, PRICE_CATALOGUE
from demo_data.recommendations import RECOMMENDATIONS
from demo_data.resources import RESOURCES
from demo_data.rules import RULES
from demo_data.seeder import Seeder
from demo_data.shapes import resources_build
from demo_data.syncs import syncs_save
from infrazen import clock
from infrazen.models import (
    ChatSession,
    CloudProvider,
    CompleteSync,
    GeneratedReport,
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


class DemoRefused(Exception):
    pass


@dataclass(frozen=True)
class DemoSummary:
    created: tuple[str, ...]
    skipped: tuple[str, ...]
    users: int
    resources: int
    recommendations: int
    complete_syncs: int
    prices: int

    def line(self) -> str:
        return (
            f"Demo data: created {', '.join(self.created) or 'nothing'}; "
            f"kept {', '.join(self.skipped) or 'nothing'}. "
            f"{self.users} users, {self.resources} resources, "
            f"{self.recommendations} recommendations, {self.complete_syncs} complete syncs, "
            f"{self.prices} demo prices."
        )


def demo_seed(*, reset: bool = False, today: date | None = None) -> DemoSummary:
    """Create the demo personas that do not exist yet (all three again with reset)."""
    if settings.AGENT_ENV == "prod":
        raise DemoRefused("AGENT_ENV=prod: demo data is only for development and test databases.")
    anchor = today or clock.local_now().date()
    created, skipped = [], []
    with transaction.atomic(using=router.db_for_write(InfraZenUser)):
        if reset:
            _demo_delete(emails=DEMO_EMAILS)
        prices = _prices_ensure(anchor=anchor)
        existing = set(
            InfraZenUser.objects.filter(email__in=DEMO_EMAILS).values_list("email", flat=True)
        )
        for index, persona in enumerate(PERSONAS):
            if persona.email in existing:
                skipped.append(persona.email)
                continue
            _persona_seed(
                Seeder(persona=persona, anchor=anchor, prices=prices, seed=SEED * 100 + index)
            )
            created.append(persona.email)
    users = InfraZenUser.objects.filter(email__in=DEMO_EMAILS)
    return DemoSummary(
        created=tuple(created),
        skipped=tuple(skipped),
        users=users.count(),
        resources=Resource.objects.filter(provider__user__in=users).count(),
        recommendations=OptimizationRecommendation.objects.filter(
            resource__provider__user__in=users
        ).count(),
        complete_syncs=CompleteSync.objects.filter(user__in=users).count(),
        prices=ProviderPrice.objects.filter(notes=DEMO_PRICE_NOTE).count(),
    )


def _persona_seed(s: Seeder) -> None:
    persona: Persona = s.persona
    s.user_create()
    for provider in persona.providers:
        s.provider_create(provider)
    resources_build(s, RESOURCES[persona.email])
    s.resources_save()
    if persona.preferences is not None:
        s.preferences(persona.preferences)
    for row in RECOMMENDATIONS[persona.email]:
        RULES[row.rule](s, row.name, **row.spec)
    s.recommendations_save()
    syncs_save(s)


def _demo_delete(*, emails: tuple[str, ...]) -> None:
    # Core InfraZen FKs have no ON DELETE (contract §1): delete children before parents.
    users = InfraZenUser.objects.filter(email__in=emails)
    ChatSession.objects.filter(user__in=users).delete()
    GeneratedReport.objects.filter(user__in=users).delete()
    PriceComparisonRecommendation.objects.filter(user__in=users).delete()
    UserProviderPreference.objects.filter(user__in=users).delete()
    ProviderSyncReference.objects.filter(complete_sync__user__in=users).delete()
    CompleteSync.objects.filter(user__in=users).delete()
    ResourceState.objects.filter(sync_snapshot__provider__user__in=users).delete()
    SyncSnapshot.objects.filter(provider__user__in=users).delete()
    OptimizationRecommendation.objects.filter(resource__provider__user__in=users).delete()
    OptimizationRecommendation.objects.filter(provider__user__in=users).delete()
    ResourceTag.objects.filter(resource__provider__user__in=users).delete()
    Resource.objects.filter(provider__user__in=users).delete()
    CloudProvider.objects.filter(user__in=users).delete()
    users.delete()


def _prices_ensure(*, anchor: date) -> dict[str, ProviderPrice]:
    """Create the demo price rows that are missing; return all of them by SKU."""
    rows = [line.split() for line in PRICE_CATALOGUE.strip().splitlines()]
    existing = {
        p.provider_sku: p
        for p in ProviderPrice.objects.filter(
            notes=DEMO_PRICE_NOTE, provider_sku__in=[row[2] for row in rows]
        )
    }
    # provider_prices.last_updated is UTC naive (contract §1).
    updated = datetime.combine(anchor - timedelta(days=2), time(0, 30))
    for provider, rtype, sku, region, cpu_s, ram_s, disk_s, stype, monthly, source in rows:
        if sku in existing:
            continue
        cpu, ram, disk = int(cpu_s), int(ram_s), int(disk_s)
        monthly_cost = Decimal(monthly)
        specs: Any = {"vcpu": cpu, "ram_gb": ram, "disk_gb": disk, "disk_type": stype}
        if sku.startswith("pg-standard-4c"):
            # scripts/*_dbaas_pricing_fetch.py double-encodes some rows (contract §1).
            specs = json.dumps(specs)
        existing[sku] = ProviderPrice.objects.create(
            provider=provider,
            resource_type=rtype,
            provider_sku=sku,
            region=region,
            cpu_cores=cpu,
            ram_gb=ram,
            storage_gb=disk,
            storage_type=stype,
            extended_specs=specs,
            hourly_cost=(monthly_cost / 720).quantize(Decimal("0.0001")),
            monthly_cost=monthly_cost,
            yearly_cost=monthly_cost * 12,
            currency="RUB",
            last_updated=updated,
            confidence_score=Decimal("0.90"),
            source=source,
            notes=DEMO_PRICE_NOTE,
            created_at=updated,
            updated_at=updated,
        )
    return existing
