"""Test personas and the InfraZen schema for every test database.

alice owns data, bob is another tenant, demo is the read-only demo user. Every read path
has a test where bob asks for alice's rows and gets exactly what a missing row gives.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connections, transaction

from core.db_router import infrazen_alias
from infrazen.models import (
    INFRAZEN_MODELS,
    CloudProvider,
    InfraZenUser,
    OptimizationRecommendation,
    Resource,
)

_DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every database test gets every database, as the service does.

    pytest-django opens only `default` unless a test asks for more, and with
    AGENT_DATABASE_URL set (the real-server pass) the agent's own tables are on `agent`.
    Runs before pytest-django's own hook, which sorts the tests by their django_db mark.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        args, kwargs = (marker.args, dict(marker.kwargs)) if marker else ((), {})
        kwargs.setdefault("databases", "__all__")
        item.add_marker(pytest.mark.django_db(*args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _real_server_required(request):
    """A test marked for a real server fails loudly without it: never a silent skip.

    `make test` starts MariaDB and Redis and runs the marked tests against them.
    """
    available = {
        "mariadb": os.environ.get("DATABASE_URL", "").startswith("mysql"),
        "redis": bool(os.environ.get("REDIS_URL")),
    }
    for marker, ok in available.items():
        if request.node.get_closest_marker(marker) and not ok:
            pytest.fail(f"this test needs the real {marker} server: run `make test`")


@pytest.fixture(autouse=True)
def _rate_counters_fresh():
    """Each test starts with no rate-limit hits and no budget spent.

    The database counters roll back with each test; Redis ones (ops.ratelimit, governance)
    outlive it, so on the real-server pass one test's uploads would count against the next
    test's limit.
    """
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        client = redis.Redis.from_url(url)
        keys = [
            key
            for pattern in ("agent:rate:*", "agent:budget:*")
            for key in client.scan_iter(pattern, count=1000)
        ]
        if keys:
            client.delete(*keys)
        client.close()
    yield


@pytest.fixture(autouse=True)
def _overrides_fresh():
    """Each test reads the users' limit overrides anew: the rows roll back with a test, and a
    rollback sends no signal to forget the ones a process keeps (governance.policy)."""
    from governance.policy import overrides_forget

    overrides_forget()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # InfraZen owns its tables (managed = False), so migrate leaves them out.
    with django_db_blocker.unblock():
        call_command("infrazen_schema", database=infrazen_alias(), verbosity=0)


@pytest.fixture(autouse=True)
def _flush_infrazen_tables(request):
    """Transactional tests end with a flush, and Django's flush skips unmanaged tables."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    blocker = request.getfixturevalue("django_db_blocker")
    connection = connections[infrazen_alias()]
    with blocker.unblock(), connection.cursor() as cursor:
        for model in reversed(INFRAZEN_MODELS):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def make_user(email: str, *, role: str = "user", **fields) -> InfraZenUser:
    # The full email: persona usernames must not clash with the demo seed's ("bob").
    username = email
    return InfraZenUser.objects.create(email=email, username=username, role=role, **fields)


def make_provider(user: InfraZenUser, provider_type: str, **fields) -> CloudProvider:
    fields.setdefault("connection_name", f"{provider_type}-{user.username}")
    fields.setdefault("account_id", f"acc-{provider_type}-{user.pk}")
    fields.setdefault("credentials", json.dumps({"api_key": f"SECRET-{user.username}"}))
    return CloudProvider.objects.create(user=user, provider_type=provider_type, **fields)


def make_resource(provider: CloudProvider, name: str, **fields) -> Resource:
    fields.setdefault("resource_id", f"{provider.provider_type}-{name}")
    fields.setdefault("region", "ru-central1-a")
    fields.setdefault("service_name", "Compute Cloud")
    fields.setdefault("resource_type", "server")
    fields.setdefault("status", "RUNNING")
    fields.setdefault("daily_cost", 100.0)
    fields.setdefault("effective_cost", 100.0)
    return Resource.objects.create(provider=provider, resource_name=name, **fields)


def make_recommendation(resource: Resource, **fields) -> OptimizationRecommendation:
    fields.setdefault("provider", resource.provider)
    fields.setdefault("recommendation_type", "cleanup_stopped")
    fields.setdefault("title", f"Recommendation for {resource.resource_name}")
    fields.setdefault("description", "rule text")
    fields.setdefault("resource_type", resource.resource_type)
    fields.setdefault("resource_name", resource.resource_name)
    fields.setdefault("estimated_monthly_savings", 1000.0)
    return OptimizationRecommendation.objects.create(resource=resource, **fields)


@pytest.fixture
def alice(db) -> InfraZenUser:
    user = make_user("alice@example.com", first_name="Алиса")
    for provider_type in ("yandex", "selectel", "beget"):
        make_provider(user, provider_type)
    return user


@pytest.fixture
def bob(db) -> InfraZenUser:
    user = make_user("bob@example.com", first_name="Боб")
    make_provider(user, "selectel")
    return user


@pytest.fixture
def demo(db) -> InfraZenUser:
    user = make_user("demo@infrazen.com", role=InfraZenUser.ROLE_DEMO)
    make_provider(user, "yandex")
    return user


@pytest.fixture
def fake_llm(settings):
    """A running fake server with the gateway pointed at it and fast, small retries."""
    from llm.fake_server import FakeLLMServer

    with FakeLLMServer(default=None) as server:
        settings.LLM_PROVIDER = "openai_compatible"
        settings.LLM_BASE_URL = server.base_url
        settings.LLM_API_KEY = "test-key"
        settings.OPENROUTER_API_KEY = ""
        settings.LLM_MODEL_TEXT = "text/primary"
        settings.LLM_MODEL_VISION = "vision/primary"
        settings.LLM_VISION_MODELS = ["vision/primary", "vision/backup"]
        settings.LLM_FALLBACK_MODELS = []
        settings.LLM_TIMEOUT_S = 2.0
        settings.LLM_MAX_RETRIES = 2
        settings.LLM_RETRY_BASE_S = 0.01
        settings.LLM_RETRY_MAX_S = 0.05
        settings.LLM_PRICES = {"text/primary": [1.0, 2.0], "text/backup": [10.0, 20.0]}
        yield server


# --- the demo dataset, seeded once per test module -------------------------------------------
@dataclass(frozen=True)
class World:
    alice: InfraZenUser
    bob: InfraZenUser


@pytest.fixture(scope="module")
def _seeded_module(django_db_setup, django_db_blocker):
    """demo_seed() takes a second or two, too long to repeat for every test. It is seeded
    inside one outer transaction per module; every test's `db` transaction nests in it as a
    savepoint (so a test may add rows), and the outer one is rolled back when the module ends:
    no other module ever sees these rows."""
    from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
    from demo_data.seed import demo_seed

    with django_db_blocker.unblock():
        atomic = transaction.atomic(using=infrazen_alias())
        atomic.__enter__()
        try:
            demo_seed()
            yield World(
                alice=InfraZenUser.objects.get(email=ALICE_EMAIL),
                bob=InfraZenUser.objects.get(email=BOB_EMAIL),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_seeded_module, db) -> World:
    """The demo dataset (alice and bob of demo_data), shared by the tests of a module."""
    return _seeded_module
