"""The text endpoint and reports pick the model from the governance policy, as the chat does: a
recommendation whose owner is `demouser` gets LLM_MODEL_DEMO, and its text is cached under
that model: a role changed since gets its own model's text, not the cache (issue 20)."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from conftest import make_provider
from governance.policy import policy_for
from infrazen.models import InfraZenUser
from llm.fake_server import Reply
from recommendations_ai import services
from recommendations_ai.models import TextGeneration
from recommendations_ai.tests.conftest import GOOD_DETAILED, GOOD_SHORT, office_make
from reports.tests.client import render

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)
GOOD = Reply.structured_output(
    {"short_description_html": GOOD_SHORT, "detailed_description_html": GOOD_DETAILED}
)


@pytest.fixture
def demo_model(settings, fake_llm):
    settings.LLM_MODEL_DEMO = "text/demo"
    return fake_llm


def _office_of(user):
    provider = make_provider(user, "selectel", connection_name=f"selectel-{user.pk}")
    return office_make(provider)


def post(client, recommendation) -> dict:
    response = client.post(
        URL, {"recommendation_id": recommendation.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()


def test_a_demo_owners_text_uses_the_demo_model(service_client, demo, demo_model):
    demo_model.enqueue(GOOD)
    body = post(service_client, _office_of(demo))

    assert [request["model"] for request in demo_model.chat_requests()] == ["text/demo"]
    assert body["source"] == "llm" and body["model"] == "text/demo"


def test_a_text_is_cached_under_its_model_not_served_to_another_role(
    service_client, demo, demo_model
):
    demo_model.enqueue(GOOD, GOOD)
    office = _office_of(demo)
    post(service_client, office)
    assert post(service_client, office)["source"] == "cache"
    # The owner is a user now: the demo model's text is not theirs.
    InfraZenUser.objects.filter(pk=demo.pk).update(role="user")
    body = post(service_client, office)

    assert [request["model"] for request in demo_model.chat_requests()] == [
        "text/demo",
        "text/primary",
    ]
    assert body["source"] == "llm" and body["model"] == "text/primary"
    assert post(service_client, office)["model"] == "text/primary"
    assert len(demo_model.chat_requests()) == 2


def _statements(captures) -> list[str]:
    return [query["sql"] for capture in captures for query in capture.captured_queries]


@contextlib.contextmanager
def _captured():
    """Every database's statements: on the real-server pass the agent's tables are in its
    own database."""
    captures = [CaptureQueriesContext(connections[alias]) for alias in connections]
    with contextlib.ExitStack() as stack:
        for capture in captures:
            stack.enter_context(capture)
        yield captures


def _reads_users_apart(statements: list[str]) -> bool:
    """A statement of its own on `users` (Django quotes the table; the endpoint's one joined
    statement does not)."""
    return any('"users"' in sql or "`users`" in sql for sql in statements)


def test_a_cached_text_reads_no_policy(service_client, demo, demo_model, monkeypatch):
    demo_model.enqueue(GOOD)
    office = _office_of(demo)
    assert post(service_client, office)["source"] == "llm"
    policies = []

    def policy_read(*, user):
        policies.append((user.pk, user.role))
        return policy_for(user=user)

    monkeypatch.setattr(services, "policy_for", policy_read)
    with _captured() as captures:
        body = post(service_client, office)

    # The owner's role picks the cache key; limits and names are read for a model call only.
    assert body["source"] == "cache" and body["model"] == "text/demo"
    assert policies == []
    statements = _statements(captures)
    assert any("agent_text_generations" in sql for sql in statements)
    assert not any("agent_user_limits" in sql for sql in statements)
    assert not _reads_users_apart(statements)
    demo_model.enqueue(GOOD)
    InfraZenUser.objects.filter(pk=demo.pk).update(role="user")
    assert post(service_client, office)["source"] == "llm"
    assert policies == [(demo.pk, "user")]


def test_the_owner_comes_with_the_recommendation_and_limits_are_kept(
    service_client, demo, demo_model
):
    """A model call's policy: the owner's role and names from the recommendation's own
    statement, the limits overrides row read once (governance.policy keeps it)."""
    demo_model.enqueue(GOOD, GOOD)
    office = _office_of(demo)
    with _captured() as captures:
        assert post(service_client, office)["source"] == "llm"
        TextGeneration.objects.all().delete()  # the next request asks the model again
        assert post(service_client, office)["source"] == "llm"

    statements = _statements(captures)
    assert not _reads_users_apart(statements)
    assert sum("agent_user_limits" in sql for sql in statements) == 1


def test_without_a_demo_model_a_demo_owner_gets_the_text_model(
    service_client, demo, demo_model, settings
):
    settings.LLM_MODEL_DEMO = ""
    demo_model.enqueue(GOOD)
    body = post(service_client, _office_of(demo))

    assert [request["model"] for request in demo_model.chat_requests()] == ["text/primary"]
    assert body["model"] == "text/primary"


async def test_a_demo_users_report_uses_the_demo_model(demo, demo_model, settings):
    from channels.db import database_sync_to_async

    settings.AI_TEXT_MODE = "llm"
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    await database_sync_to_async(_office_of)(demo)
    await render(demo.pk)

    assert [request["model"] for request in demo_model.chat_requests()] == ["text/demo"] * len(
        demo_model.chat_requests()
    )
    assert demo_model.chat_requests()
