"""Where each table lives (core.db_router): InfraZen's on `default`, the service's own on
`agent` when AGENT_DATABASE_URL defines it, and everything on `default` when it does not.

Both shapes are tested in every pass, whatever the pass configures: the router reads only the
aliases' names, which these tests set on the router's view of the settings.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import router

from chat.models import ChatImage, ToolCallAudit
from core import db_router
from infrazen.models import (
    INFRAZEN_MODELS,
    ChatMessage,
    ChatSession,
    InfraZenUser,
    OptimizationRecommendation,
)
from llm.models import LLMCall
from ops.models import RateCounter
from recommendations_ai.models import TextGeneration
from reports.models import AgentReport

AGENT_MODELS = [
    User,
    Group,
    Permission,
    ContentType,
    Session,
    LogEntry,
    TextGeneration,
    RateCounter,
    LLMCall,
    ToolCallAudit,
    ChatImage,
    AgentReport,
]
ALIASES = ("default", "agent")


def _databases(monkeypatch, *aliases: str) -> None:
    monkeypatch.setattr(
        db_router, "settings", SimpleNamespace(DATABASES={alias: {} for alias in aliases})
    )


@pytest.fixture
def one_database(monkeypatch):
    _databases(monkeypatch, "default")


@pytest.fixture
def two_databases(monkeypatch):
    _databases(monkeypatch, "default", "agent")


def _every_model():
    return apps.get_models(include_auto_created=True)


def _migrated_on(model) -> list[str]:
    label, name = model._meta.app_label, model._meta.model_name
    return [alias for alias in ALIASES if router.allow_migrate(alias, label, model_name=name)]


def test_without_an_agent_database_every_table_is_on_default(one_database):
    assert db_router.agent_alias() == "default"
    assert not db_router.databases_separate()
    for model in _every_model():
        assert router.db_for_read(model) == "default", model
        assert router.db_for_write(model) == "default", model
        assert _migrated_on(model) == ["default"], model


def test_with_an_agent_database_infrazens_tables_stay_on_default(two_databases):
    # The chat tables too: the service writes them, but InfraZen defines them and reads them.
    assert ChatSession in INFRAZEN_MODELS and ChatMessage in INFRAZEN_MODELS
    for model in INFRAZEN_MODELS:
        assert router.db_for_read(model) == "default", model
        assert router.db_for_write(model) == "default", model


def test_with_an_agent_database_djangos_tables_and_the_agents_move_there(two_databases):
    assert db_router.agent_alias() == "agent"
    for model in AGENT_MODELS:
        assert router.db_for_read(model) == "agent", model
        assert router.db_for_write(model) == "agent", model


def test_every_table_is_migrated_on_exactly_one_alias_and_the_right_one(two_databases):
    for model in _every_model():
        expected = "default" if model._meta.app_label == "infrazen" else "agent"
        assert _migrated_on(model) == [expected], model


def test_every_table_of_the_service_itself_is_prefixed_agent():
    ours = [
        model
        for model in _every_model()
        if model._meta.app_label != "infrazen" and not model.__module__.startswith("django.")
    ]
    assert ours, "no model of the service found"
    assert [m._meta.db_table for m in ours if not m._meta.db_table.startswith("agent_")] == []


def test_with_an_agent_database_relations_stay_within_one_database(two_databases):
    assert router.allow_relation(ChatSession(), InfraZenUser())
    assert router.allow_relation(ToolCallAudit(), LLMCall())
    assert router.allow_relation(LogEntry(), User())
    assert not router.allow_relation(TextGeneration(), OptimizationRecommendation())
    assert not router.allow_relation(User(), InfraZenUser())


def test_with_one_database_any_two_tables_may_relate(one_database):
    assert router.allow_relation(TextGeneration(), OptimizationRecommendation())
    assert router.allow_relation(User(), InfraZenUser())
