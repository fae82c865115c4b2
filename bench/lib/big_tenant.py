"""The large tenant of the reports and console benchmarks: alice's demo rows cloned to 2,000
active resources, 500 pending recommendations and her 90 days of syncs, scaled."""

from __future__ import annotations

import json

BIG_RESOURCES = 2000
BIG_RECOMMENDATIONS = 500
BIG_EMAIL = "big@bench.local"


def big_tenant_create() -> int:
    """A user with alice's resources and recommendations cloned to 2,000 and 500."""
    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import (
        CloudProvider,
        CompleteSync,
        InfraZenUser,
        OptimizationRecommendation,
        Resource,
    )

    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    user = InfraZenUser.objects.create(email=BIG_EMAIL, username="big", company="Big Co")
    providers = {}
    for provider in CloudProvider.objects.filter(user=alice):
        old_pk = provider.pk
        provider.pk = None
        provider.user = user
        provider.connection_name = f"{provider.connection_name} (big)"
        provider.account_id = f"big-{provider.account_id}"
        provider.save()
        providers[old_pk] = provider

    def fields(row, model) -> dict:
        return {
            f.attname: getattr(row, f.attname)
            for f in model._meta.concrete_fields
            if not f.primary_key
        }

    originals = list(Resource.objects.filter(provider__user=alice, is_active=True))
    clones = []
    for index in range(BIG_RESOURCES):
        source = originals[index % len(originals)]
        copy = Resource(**fields(source, Resource))
        copy.provider_id = providers[source.provider_id].pk
        copy.resource_name = f"{source.resource_name}-{index}"
        copy.resource_id = f"{source.resource_id}-{index}"
        clones.append(copy)
    Resource.objects.bulk_create(clones, batch_size=500)
    clones = list(Resource.objects.filter(provider__user=user).order_by("id"))
    by_origin: dict[int, list] = {}
    for index, clone in enumerate(clones):
        by_origin.setdefault(originals[index % len(originals)].pk, []).append(clone)

    recommendations = list(
        OptimizationRecommendation.objects.filter(resource__provider__user=alice, status="pending")
    )
    copies = []
    for index in range(BIG_RECOMMENDATIONS):
        source = recommendations[index % len(recommendations)]
        targets = by_origin.get(source.resource_id) or clones
        resource = targets[(index // len(recommendations)) % len(targets)]
        copy = OptimizationRecommendation(**fields(source, OptimizationRecommendation))
        copy.resource_id = resource.pk
        copy.provider_id = resource.provider_id
        copy.resource_name = resource.resource_name
        copies.append(copy)
    OptimizationRecommendation.objects.bulk_create(copies, batch_size=500)

    scale = BIG_RESOURCES / len(originals)
    syncs = []
    for sync in CompleteSync.objects.filter(user=alice):
        copy = CompleteSync(**fields(sync, CompleteSync))
        copy.user_id = user.pk
        copy.total_daily_cost = (sync.total_daily_cost or 0) * scale
        costs = json.loads(sync.cost_by_provider or "{}")
        copy.cost_by_provider = json.dumps(
            {f"{name} (big)": value * scale for name, value in costs.items()}
        )
        syncs.append(copy)
    CompleteSync.objects.bulk_create(syncs, batch_size=500)
    return user.pk
