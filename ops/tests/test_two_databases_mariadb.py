"""Production's layout on MariaDB: InfraZen's schema holds exactly the tables InfraZen defines,
the agent's own schema holds Django's and the agent_* tables, and each service path writes its
rows in the right one (core.db_router)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pymysql
import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import OperationalError, connections

from chat.services import chat_message_create, chat_session_open, tool_call_audit_create
from chat.tests.principals import rec_principal
from conftest import make_recommendation, make_resource
from core.db_router import agent_alias, databases_separate, infrazen_alias
from infrazen.models import CloudProvider, OptimizationRecommendation
from infrazen.schema import infrazen_tables
from ops.ratelimit import rate_hit
from recommendations_ai.models import TextGeneration
from recommendations_ai.services import texts_generate_templates
from scripts.testservers import mysql_database_fresh

pytestmark = pytest.mark.mariadb

ROOT = Path(__file__).resolve().parents[2]


def _agent_tables() -> set[str]:
    """What `migrate` creates for the service: every managed table but InfraZen's."""
    managed = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and model._meta.app_label != "infrazen"
    }
    return managed | {"django_migrations"}


def _connect(url: str, **kwargs) -> pymysql.Connection:
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        autocommit=True,
        **kwargs,
    )


def _schema_tables(url: str) -> set[str]:
    with _connect(url) as admin, admin.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            [urlsplit(url).path.lstrip("/")],
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def fresh_schemas():
    """Two new empty databases on the test server: InfraZen's and the agent's own."""
    base = os.environ["DATABASE_URL"]
    urls = (
        mysql_database_fresh(base, "layout_infrazen"),
        mysql_database_fresh(base, "layout_agent"),
    )
    yield urls
    with _connect(base) as admin, admin.cursor() as cursor:
        for url in urls:
            cursor.execute(f"DROP DATABASE IF EXISTS `{urlsplit(url).path.lstrip('/')}`")


def _manage(*args: str, infrazen_url: str, agent_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": infrazen_url, "AGENT_DATABASE_URL": agent_url}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_after_migrate_infrazens_schema_holds_only_the_tables_infrazen_defines(fresh_schemas):
    infrazen_url, agent_url = fresh_schemas
    urls = {"infrazen_url": infrazen_url, "agent_url": agent_url}
    # As on a server: InfraZen's tables exist (here from its DDL), then the agent migrates.
    _manage("infrazen_schema", **urls)
    assert "agent's own database (agent)" in _manage("agent_migrate", **urls)
    _manage("agent_migrate", **urls)  # a second run (an upgrade) changes nothing either

    infrazen = _schema_tables(infrazen_url)
    assert infrazen == set(infrazen_tables())
    assert not {t for t in infrazen if t.startswith(("django_", "auth_", "agent_"))}
    assert _schema_tables(agent_url) == _agent_tables()


@pytest.mark.django_db
def test_the_test_databases_are_split_the_same_way():
    assert databases_separate()
    infrazen = set(connections[infrazen_alias()].introspection.table_names())
    agent = set(connections[agent_alias()].introspection.table_names())
    assert infrazen == set(infrazen_tables())
    assert agent == _agent_tables()


def _count(alias: str, table: str, where: str, params: list) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
        return cursor.fetchone()[0]


@pytest.fixture
def office(alice) -> OptimizationRecommendation:
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    return make_recommendation(make_resource(yandex, "office"))


@pytest.mark.django_db
def test_a_recommendation_text_is_recorded_in_the_agents_database_and_shown_in_infrazens(office):
    texts_generate_templates(recommendations=[office])

    assert _count("agent", "agent_text_generations", "recommendation_id = %s", [office.pk]) == 1
    ai_set = "id = %s AND ai_short_description <> '' AND ai_generated_at IS NOT NULL"
    assert _count("default", "optimization_recommendations", ai_set, [office.pk]) == 1


@pytest.mark.django_db
def test_chat_messages_go_to_infrazens_database_and_their_audit_to_the_agents(alice, office):
    session, _ = chat_session_open(principal=rec_principal(alice, office))
    chat_message_create(session=session, role="user", content="Сколько я сэкономлю?")
    tool_call_audit_create(session_id=session.pk, user_id=alice.pk, tool="get_recommendation",
                           arguments={"recommendation_id": office.pk})  # fmt: skip

    assert _count("default", "chat_sessions", "id = %s", [session.pk]) == 1
    assert _count("default", "chat_messages", "session_id = %s", [session.pk]) == 1
    assert _count("agent", "agent_tool_calls", "session_id = %s", [session.pk]) == 1


@pytest.mark.django_db
def test_admin_users_and_rate_counters_live_in_the_agents_database(settings):
    settings.REDIS_URL = ""  # the database counter, as without Redis
    User.objects.create_user(username="staff", password="a-long-password-for-staff")
    rate_hit(key="upload:127.0.0.1", limit=5, window_s=60)

    assert _count("agent", "auth_user", "username = %s", ["staff"]) == 1
    assert _count("agent", "agent_rate_counters", "`key` = %s", ["upload:127.0.0.1"]) == 1


@pytest.mark.django_db(transaction=True)
def test_when_infrazens_commit_fails_the_text_is_kept_and_the_next_request_writes_it(
    office, monkeypatch
):
    """The two databases cannot commit as one: the agent's record commits first, so a failed
    commit on InfraZen's side leaves a cache entry that the next request serves and stores."""

    def refused() -> None:
        raise OperationalError("commit refused")

    monkeypatch.setattr(connections[infrazen_alias()], "_commit", refused)
    with pytest.raises(OperationalError):
        texts_generate_templates(recommendations=[office])
    monkeypatch.undo()

    kept = TextGeneration.objects.get(recommendation_id=office.pk)
    assert OptimizationRecommendation.objects.get(pk=office.pk).ai_short_description is None

    assert texts_generate_templates(recommendations=[office]) == {"template": 0, "cache": 1}
    shown = OptimizationRecommendation.objects.get(pk=office.pk)
    assert shown.ai_short_description == kept.short_html
