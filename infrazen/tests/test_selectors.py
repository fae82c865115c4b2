"""Tenant scoping of the InfraZen selectors: bob never sees alice's rows (contract §1, §5)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_provider, make_recommendation, make_resource, make_user
from core.errors import NotFound
from infrazen import selectors
from infrazen.models import (
    ChatMessage,
    ChatSession,
    CloudProvider,
    CompleteSync,
    GeneratedReport,
    InfraZenUser,
    OptimizationRecommendation,
    ProviderPrice,
    ProviderSyncReference,
    Resource,
    ResourceState,
    ResourceTag,
    SyncSnapshot,
    UserProviderPreference,
)

MISSING_ID = 987654


@dataclass
class Tenant:
    user: InfraZenUser
    provider: CloudProvider
    resource: Resource
    recommendation: OptimizationRecommendation
    orphan_recommendation: OptimizationRecommendation  # provider_id NULL
    deleted_provider: CloudProvider
    deleted_resource: Resource
    deleted_recommendation: OptimizationRecommendation
    chat_session: ChatSession
    report: GeneratedReport
    complete_sync: CompleteSync
    snapshot: SyncSnapshot
    state: ResourceState


def _tenant(user: InfraZenUser) -> Tenant:
    provider = CloudProvider.objects.filter(user=user).order_by("id").first()
    resource = make_resource(provider, f"web-{user.username}")
    ResourceTag.objects.create(resource=resource, tag_key="cpu_avg_usage", tag_value="3.2")
    recommendation = make_recommendation(resource)
    orphan = make_recommendation(
        make_resource(provider, f"snap-{user.username}", resource_type="snapshot"),
        provider=None,
        recommendation_type="cleanup_old_snapshot",
    )
    deleted_provider = make_provider(
        user, "beget", connection_name=f"old-{user.username}", is_deleted=True
    )
    deleted_resource = make_resource(deleted_provider, f"gone-{user.username}")
    deleted_recommendation = make_recommendation(deleted_resource)
    session = ChatSession.objects.create(
        id=str(uuid.uuid4()), user=user, recommendation=recommendation, scenario="recommendation"
    )
    ChatMessage.objects.create(session=session, role="user", content=f"вопрос {user.username}")
    report = GeneratedReport.objects.create(user=user, title=f"CFO {user.username}", role="cfo")
    complete_sync = CompleteSync.objects.create(
        user=user,
        sync_type="manual",
        sync_status="success",
        cost_by_provider=json.dumps({provider.connection_name: 100.0}),
    )
    snapshot = SyncSnapshot.objects.create(provider=provider, sync_status="success")
    ProviderSyncReference.objects.create(
        complete_sync=complete_sync,
        provider=provider,
        sync_snapshot=snapshot,
        sync_order=1,
        sync_status="success",
    )
    state = ResourceState.objects.create(
        sync_snapshot=snapshot,
        resource=resource,
        provider_resource_id=resource.resource_id,
        resource_type=resource.resource_type,
        resource_name=resource.resource_name,
        state_action="created",
    )
    return Tenant(
        user=user,
        provider=provider,
        resource=resource,
        recommendation=recommendation,
        orphan_recommendation=orphan,
        deleted_provider=deleted_provider,
        deleted_resource=deleted_resource,
        deleted_recommendation=deleted_recommendation,
        chat_session=session,
        report=report,
        complete_sync=complete_sync,
        snapshot=snapshot,
        state=state,
    )


@pytest.fixture
def a(alice) -> Tenant:
    return _tenant(alice)


@pytest.fixture
def b(bob) -> Tenant:
    return _tenant(bob)


# --- by id: a foreign row looks exactly like a missing one ----------------------------------

GETTERS = [
    (selectors.provider_get, "provider_id", "provider"),
    (selectors.resource_get, "resource_id", "resource"),
    (selectors.recommendation_get, "recommendation_id", "recommendation"),
    (selectors.recommendation_get, "recommendation_id", "orphan_recommendation"),
    (selectors.chat_session_get, "session_id", "chat_session"),
    (selectors.report_get, "report_id", "report"),
]
GETTER_IDS = ["provider", "resource", "recommendation", "orphan-rec", "chat-session", "report"]


@pytest.mark.parametrize(("getter", "id_arg", "attr"), GETTERS, ids=GETTER_IDS)
def test_the_owner_gets_her_row(a, getter, id_arg, attr):
    row = getattr(a, attr)
    assert getter(user_id=a.user.pk, **{id_arg: row.pk}) == row


@pytest.mark.parametrize(("getter", "id_arg", "attr"), GETTERS, ids=GETTER_IDS)
def test_bob_is_refused_alices_row_exactly_like_a_missing_one(a, b, getter, id_arg, attr):
    alices = getattr(a, attr).pk
    missing = str(uuid.uuid4()) if id_arg == "session_id" else MISSING_ID

    with pytest.raises(NotFound) as foreign:
        getter(user_id=b.user.pk, **{id_arg: alices})
    with pytest.raises(NotFound) as absent:
        getter(user_id=b.user.pk, **{id_arg: missing})

    assert foreign.value.message == absent.value.message
    assert str(foreign.value) == str(absent.value)
    assert type(foreign.value) is type(absent.value)
    assert str(alices) not in foreign.value.message


def test_not_found_is_the_ops_error_so_the_api_turns_it_into_a_404():
    assert selectors.NotFound is NotFound


# --- by listing -----------------------------------------------------------------------------


def test_bob_lists_none_of_alices_providers(a, b):
    alices = set(CloudProvider.objects.filter(user=a.user).values_list("pk", flat=True))
    bobs = {provider.pk for provider in selectors.provider_list(user_id=b.user.pk)}
    assert bobs == {b.provider.pk}
    assert not alices & bobs


def test_bob_lists_none_of_alices_resources(a, b):
    listed = list(selectors.resource_list(user_id=b.user.pk))
    assert listed
    assert all(resource.provider.user_id == b.user.pk for resource in listed)
    assert a.resource not in listed
    assert selectors.resource_list(user_id=b.user.pk, provider_id=a.provider.pk).count() == 0


def test_bob_lists_none_of_alices_recommendations(a, b):
    listed = set(selectors.recommendation_list(user_id=b.user.pk))
    assert listed == {b.recommendation, b.orphan_recommendation}


def test_bob_lists_none_of_alices_chat_sessions_messages_and_reports(a, b):
    assert list(selectors.chat_session_list(user_id=b.user.pk)) == [b.chat_session]
    assert list(selectors.report_list(user_id=b.user.pk)) == [b.report]
    assert selectors.chat_message_list(user_id=b.user.pk, session_id=a.chat_session.pk).count() == 0
    assert [
        m.content
        for m in selectors.chat_message_list(user_id=a.user.pk, session_id=a.chat_session.pk)
    ] == [f"вопрос {a.user.username}"]


def test_bob_lists_none_of_alices_syncs(a, b):
    assert list(selectors.complete_sync_list(user_id=b.user.pk)) == [b.complete_sync]
    assert selectors.complete_sync_latest(user_id=b.user.pk) == b.complete_sync
    assert list(selectors.sync_snapshot_list(user_id=b.user.pk)) == [b.snapshot]
    assert selectors.sync_snapshot_list(user_id=b.user.pk, provider_id=a.provider.pk).count() == 0
    assert (
        selectors.provider_sync_reference_list(
            user_id=b.user.pk, complete_sync_id=a.complete_sync.pk
        ).count()
        == 0
    )
    assert selectors.resource_state_list(user_id=b.user.pk, resource_id=a.resource.pk).count() == 0
    assert selectors.resource_tag_dict(user_id=b.user.pk, resource_id=a.resource.pk) == {}


def test_alice_sees_her_own_sync_history(a, b):
    references = list(
        selectors.provider_sync_reference_list(
            user_id=a.user.pk, complete_sync_id=a.complete_sync.pk
        )
    )
    assert [reference.provider for reference in references] == [a.provider]
    assert list(selectors.resource_state_list(user_id=a.user.pk, resource_id=a.resource.pk)) == [
        a.state
    ]
    assert selectors.resource_tag_dict(user_id=a.user.pk, resource_id=a.resource.pk) == {
        "cpu_avg_usage": "3.2"
    }


def test_a_user_with_nothing_lists_nothing(db):
    nobody = make_user("nobody@example.com")
    assert selectors.provider_list(user_id=nobody.pk).count() == 0
    assert selectors.resource_list(user_id=nobody.pk).count() == 0
    assert selectors.recommendation_list(user_id=nobody.pk).count() == 0
    assert selectors.complete_sync_latest(user_id=nobody.pk) is None
    assert selectors.user_provider_preferences(user_id=nobody.pk) == {}


# --- soft-deleted providers -----------------------------------------------------------------


def test_soft_deleted_providers_and_everything_under_them_are_hidden(a):
    user_id = a.user.pk
    assert a.deleted_provider not in selectors.provider_list(user_id=user_id)
    assert a.deleted_resource not in selectors.resource_list(user_id=user_id)
    assert a.deleted_recommendation not in selectors.recommendation_list(user_id=user_id)
    with pytest.raises(NotFound):
        selectors.provider_get(user_id=user_id, provider_id=a.deleted_provider.pk)
    with pytest.raises(NotFound):
        selectors.resource_get(user_id=user_id, resource_id=a.deleted_resource.pk)
    with pytest.raises(NotFound):
        selectors.recommendation_get(user_id=user_id, recommendation_id=a.deleted_recommendation.pk)


def test_a_provider_deleted_after_the_fact_takes_its_rows_with_it(a):
    CloudProvider.objects.filter(pk=a.provider.pk).update(is_deleted=True)
    user_id = a.user.pk
    assert a.resource not in selectors.resource_list(user_id=user_id)
    assert a.orphan_recommendation not in selectors.recommendation_list(user_id=user_id)
    assert selectors.sync_snapshot_list(user_id=user_id).count() == 0
    assert selectors.resource_state_list(user_id=user_id, resource_id=a.resource.pk).count() == 0


# --- recommendation ownership paths ---------------------------------------------------------


def test_a_recommendation_without_provider_is_scoped_through_its_resource(a, b):
    orphan = a.orphan_recommendation
    assert orphan.provider_id is None
    got = selectors.recommendation_get(user_id=a.user.pk, recommendation_id=orphan.pk)
    assert got.resource.provider_id == a.provider.pk
    assert orphan in selectors.recommendation_list(user_id=a.user.pk)
    assert orphan not in selectors.recommendation_list(user_id=b.user.pk)


def test_a_recommendation_whose_provider_and_resource_disagree_is_shown_to_no_one(a, b):
    # provider says alice, resource says bob: showing it to alice would hand her bob's resource.
    mixed = make_recommendation(b.resource, provider=a.provider)
    for user in (a.user, b.user):
        assert mixed not in selectors.recommendation_list(user_id=user.pk)
        with pytest.raises(NotFound):
            selectors.recommendation_get(user_id=user.pk, recommendation_id=mixed.pk)


def test_recommendation_list_filters_orders_and_limits(a):
    user_id = a.user.pk
    big = make_recommendation(a.resource, estimated_monthly_savings=9000.0, status="seen")
    none = make_recommendation(a.resource, estimated_monthly_savings=None)
    ordered = list(selectors.recommendation_list(user_id=user_id))
    assert ordered[0] == big
    assert ordered[-1] == none
    assert list(selectors.recommendation_list(user_id=user_id, limit=1)) == [big]
    assert list(selectors.recommendation_list(user_id=user_id, status="seen")) == [big]
    assert set(selectors.recommendation_list(user_id=user_id, status=["seen", "pending"])) == {
        big,
        none,
        a.recommendation,
        a.orphan_recommendation,
    }
    assert list(selectors.recommendation_list(user_id=user_id, types=["cleanup_old_snapshot"])) == [
        a.orphan_recommendation
    ]
    newest_first = list(selectors.recommendation_list(user_id=user_id, order_by_savings=False))
    assert newest_first[0] == none


def test_recommendation_get_reads_resource_and_provider_in_one_query(a):
    with CaptureQueriesContext(connection) as queries:
        rec = selectors.recommendation_get(user_id=a.user.pk, recommendation_id=a.recommendation.pk)
        assert rec.resource.resource_name == a.resource.resource_name
        assert rec.provider.provider_type == a.provider.provider_type
        assert rec.resource.provider.connection_name == a.provider.connection_name
    assert len(queries) == 1


# --- credentials are never loaded -----------------------------------------------------------


def _providers_loaded_by_selectors(tenant: Tenant) -> list[CloudProvider]:
    user_id = tenant.user.pk
    resource = selectors.resource_get(user_id=user_id, resource_id=tenant.resource.pk)
    recommendation = selectors.recommendation_get(
        user_id=user_id, recommendation_id=tenant.recommendation.pk
    )
    return [
        *selectors.provider_list(user_id=user_id),
        selectors.provider_get(user_id=user_id, provider_id=tenant.provider.pk),
        resource.provider,
        *(r.provider for r in selectors.resource_list(user_id=user_id)),
        recommendation.provider,
        recommendation.resource.provider,
        *(
            reference.provider
            for reference in selectors.provider_sync_reference_list(
                user_id=user_id, complete_sync_id=tenant.complete_sync.pk
            )
        ),
    ]


def test_credentials_are_never_loaded(a):
    providers = _providers_loaded_by_selectors(a)
    assert len(providers) >= 7
    for provider in providers:
        assert "credentials" in provider.get_deferred_fields()


def test_no_selector_query_selects_the_credentials_column(a):
    with CaptureQueriesContext(connection) as queries:
        _providers_loaded_by_selectors(a)
    assert queries.captured_queries
    for query in queries.captured_queries:
        assert "credentials" not in query["sql"]
        assert "SECRET-" not in query["sql"]


# --- users, syncs, preferences, prices ------------------------------------------------------


def test_user_get_and_user_get_active(alice):
    assert selectors.user_get(user_id=alice.pk) == alice
    assert selectors.user_get_active(user_id=alice.pk) == alice
    inactive = make_user("gone@example.com", is_active=False)
    assert selectors.user_get(user_id=inactive.pk) == inactive
    with pytest.raises(NotFound) as refused:
        selectors.user_get_active(user_id=inactive.pk)
    with pytest.raises(NotFound) as missing:
        selectors.user_get_active(user_id=MISSING_ID)
    assert refused.value.message == missing.value.message


def test_complete_syncs_latest_first_with_filters(a):
    user_id = a.user.pk
    now = datetime(2025, 11, 9, 12, 0)
    old = CompleteSync.objects.create(
        user=a.user,
        sync_type="scheduled",
        sync_status="success",
        sync_started_at=now - timedelta(days=3),
    )
    failed = CompleteSync.objects.create(
        user=a.user,
        sync_type="scheduled",
        sync_status="error",
        sync_started_at=now + timedelta(days=1),
    )
    CompleteSync.objects.filter(pk=a.complete_sync.pk).update(sync_started_at=now)
    assert list(selectors.complete_sync_list(user_id=user_id)) == [failed, a.complete_sync, old]
    assert list(selectors.complete_sync_list(user_id=user_id, since=now)) == [
        failed,
        a.complete_sync,
    ]
    assert list(selectors.complete_sync_list(user_id=user_id, statuses=["error"])) == [failed]
    assert selectors.complete_sync_latest(user_id=user_id) == failed
    assert selectors.complete_sync_latest(user_id=user_id, successful_only=True) == a.complete_sync


def test_resource_states_come_latest_first(a):
    later = ResourceState.objects.create(
        sync_snapshot=a.snapshot,
        resource=a.resource,
        provider_resource_id=a.resource.resource_id,
        resource_type=a.resource.resource_type,
        resource_name=a.resource.resource_name,
        state_action="updated",
        created_at=a.state.created_at + timedelta(days=1),
    )
    states = list(selectors.resource_state_list(user_id=a.user.pk, resource_id=a.resource.pk))
    assert states == [later, a.state]


def test_resource_list_filters(a):
    user_id = a.user.pk
    stopped = make_resource(a.provider, "stopped", is_active=False)
    assert stopped in selectors.resource_list(user_id=user_id)
    assert stopped not in selectors.resource_list(user_id=user_id, active_only=True)
    snapshots = selectors.resource_list(user_id=user_id, resource_type="snapshot")
    assert {r.resource_type for r in snapshots} == {"snapshot"}
    assert set(selectors.resource_list(user_id=user_id, provider_id=a.provider.pk)) >= {
        a.resource,
        stopped,
    }


def test_user_provider_preferences_are_per_user(alice, bob):
    UserProviderPreference.objects.create(user=alice, provider_type="beget", is_enabled=False)
    UserProviderPreference.objects.create(user=alice, provider_type="selectel", is_enabled=True)
    UserProviderPreference.objects.create(user=bob, provider_type="yandex", is_enabled=False)
    assert selectors.user_provider_preferences(user_id=alice.pk) == {
        "beget": False,
        "selectel": True,
    }


def test_price_list_is_a_global_catalogue_with_filters(db):
    cheap = ProviderPrice.objects.create(
        provider="beget",
        resource_type="server",
        provider_sku="s-2-4",
        region="global",
        monthly_cost=900,
    )
    dear = ProviderPrice.objects.create(
        provider="selectel",
        resource_type="server",
        provider_sku="v4-r8-d100-network_ssd:ru-6a",
        region="ru-6a",
        monthly_cost=3000,
    )
    ProviderPrice.objects.create(provider="beget", resource_type="mysql-cluster", region="global")
    servers = list(selectors.price_list(resource_type="server"))
    assert servers == [cheap, dear]
    assert list(selectors.price_list(provider="selectel")) == [dear]
    assert list(selectors.price_list(provider=["beget"], resource_type="server")) == [cheap]
    assert list(selectors.price_list(skus=["v4-r8-d100-network_ssd:ru-6a"])) == [dear]
    assert list(selectors.price_list(region="global", resource_type="server")) == [cheap]
