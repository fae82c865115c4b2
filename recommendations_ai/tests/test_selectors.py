"""The text endpoint's selector (plain SQL) and the backfill's queryset hold to one rule."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import CloudProvider, InfraZenUser, OptimizationRecommendation
from recommendations_ai.facts import facts_build
from recommendations_ai.selectors import (
    _recommendations_with_owner,
    loaded_owner,
    recommendation_for_service_get,
)

pytestmark = pytest.mark.django_db


def both_ways(rec_id: int):
    """(rec, owner) from the endpoint's selector and from the queryset; None if not found."""
    try:
        fast = recommendation_for_service_get(recommendation_id=rec_id)
    except NotFound:
        fast = None
    rec = _recommendations_with_owner().filter(pk=rec_id).first()
    orm = (rec, rec.resource.provider.user_id) if rec is not None else None
    return fast, orm


def assert_same(rec_id: int) -> None:
    fast, orm = both_ways(rec_id)
    assert (fast is None) == (orm is None), rec_id
    if fast is not None:
        assert fast[1] == orm[1]
        assert facts_build(recommendation=fast[0]).as_dict() == (
            facts_build(recommendation=orm[0]).as_dict()
        )


@pytest.fixture
def seeded(db):
    demo_seed()


def test_it_agrees_with_the_queryset_on_every_demo_recommendation(seeded):
    for rec_id in OptimizationRecommendation.objects.values_list("id", flat=True):
        assert_same(rec_id)


def test_it_agrees_when_the_ownership_chain_breaks(seeded):
    alice_recs = OptimizationRecommendation.objects.filter(
        resource__provider__user__email=ALICE_EMAIL
    ).order_by("id")
    bobs_provider = CloudProvider.objects.filter(user__email=BOB_EMAIL).first()
    alices_other = CloudProvider.objects.filter(user__email=ALICE_EMAIL).last()
    no_provider, foreign, own_other, deleted_own, deleted_resource_owner = alice_recs[:5]
    OptimizationRecommendation.objects.filter(pk=no_provider.pk).update(provider=None)
    OptimizationRecommendation.objects.filter(pk=foreign.pk).update(provider=bobs_provider)
    OptimizationRecommendation.objects.filter(pk=own_other.pk).update(provider=alices_other)
    deleted = CloudProvider.objects.create(
        user_id=alices_other.user_id, provider_type="beget", connection_name="gone", is_deleted=True
    )
    OptimizationRecommendation.objects.filter(pk=deleted_own.pk).update(provider=deleted)
    for rec in (no_provider, foreign, own_other, deleted_own):
        assert_same(rec.pk)
    assert both_ways(foreign.pk) == (None, None)
    assert both_ways(deleted_own.pk) == (None, None)

    CloudProvider.objects.filter(pk=deleted_resource_owner.resource.provider_id).update(
        is_deleted=True
    )
    assert both_ways(deleted_resource_owner.pk) == (None, None)


def test_it_loads_resource_and_providers_but_never_credentials(seeded, django_assert_num_queries):
    rec_id = OptimizationRecommendation.objects.filter(provider__isnull=False).first().pk
    with django_assert_num_queries(1):
        rec, _ = recommendation_for_service_get(recommendation_id=rec_id)
    with django_assert_num_queries(0):
        providers = (rec.provider, rec.resource.provider)
    for provider in providers:
        assert "credentials" in provider.get_deferred_fields()


def test_it_loads_the_owners_role_and_names_and_nothing_more(seeded, django_assert_num_queries):
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    rec_id = OptimizationRecommendation.objects.filter(resource__provider__user=alice).first().pk
    with django_assert_num_queries(1):
        rec, owner_id = recommendation_for_service_get(recommendation_id=rec_id)
    with django_assert_num_queries(0):
        owner = loaded_owner(rec)
        assert (owner.pk, owner.role, owner.first_name, owner.last_name) == (
            owner_id,
            alice.role,
            alice.first_name,
            alice.last_name,
        )
    assert {"email", "password_hash", "permissions"} <= owner.get_deferred_fields()


def test_an_owner_not_loaded_is_none_and_costs_no_statement(seeded, django_assert_num_queries):
    """A recommendation read another way (its provider without its user): the caller reads
    the owner's policy by id instead, as before."""
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    rec = OptimizationRecommendation.objects.select_related("resource__provider").get(
        pk=OptimizationRecommendation.objects.filter(resource__provider__user=alice).first().pk
    )
    with django_assert_num_queries(0):
        assert loaded_owner(rec) is None
