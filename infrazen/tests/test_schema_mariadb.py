"""The tables infrazen_schema creates on MariaDB are InfraZen's tables, column for column.

EXPECTED is written out by hand from contract §1 (not derived from infrazen.models), so a model
(or infrazen.schema's DDL) that drifts from InfraZen's real schema fails here. Column types
are MariaDB's COLUMN_TYPE: SQLAlchemy's String(n) is varchar(n), Text is text (not longtext),
Float is float (not double), DateTime is datetime with no fractional seconds, Boolean is
tinyint(1), Integer is int.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from infrazen.models import INFRAZEN_MODELS
from infrazen.schema import infrazen_tables

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db]

NN, NULL = "NO", "YES"
INT = "int"  # display widths (int(11)) are normalised away; tinyint(1) is kept
DT = "datetime"
TEXT = "text"
FLOAT = "float"
BOOL = "tinyint(1)"
# MariaDB has no JSON type: a JSON column is longtext with a json_valid() check constraint.
JSON = "longtext"


def varchar(n: int) -> str:
    return f"varchar({n})"


def decimal(p: int, s: int) -> str:
    return f"decimal({p},{s})"


# InfraZen's BaseModel: int id and non-null local-time timestamps (contract §1).
BASE = {"id": (INT, NN), "created_at": (DT, NN), "updated_at": (DT, NN)}

EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "users": {
        **BASE,
        "username": (varchar(80), NULL),
        "email": (varchar(120), NN),
        "password_hash": (varchar(255), NULL),
        "google_id": (varchar(100), NULL),
        "google_picture": (varchar(500), NULL),
        "google_verified_email": (BOOL, NULL),
        "google_locale": (varchar(10), NULL),
        "first_name": (varchar(50), NULL),
        "last_name": (varchar(50), NULL),
        "company": (varchar(100), NULL),
        "role": (varchar(20), NN),
        "permissions": (TEXT, NULL),
        "is_active": (BOOL, NN),
        "is_verified": (BOOL, NN),
        "email_confirmed": (BOOL, NN),
        "email_confirmation_token": (varchar(255), NULL),
        "email_confirmation_sent_at": (DT, NULL),
        "last_login": (DT, NULL),
        "login_count": (INT, NULL),
        "created_by_admin": (BOOL, NULL),
        "admin_notes": (TEXT, NULL),
        "timezone": (varchar(50), NULL),
        "currency": (varchar(3), NULL),
        "language": (varchar(5), NULL),
    },
    "cloud_providers": {
        **BASE,
        "user_id": (INT, NN),
        "provider_type": (varchar(50), NN),
        "connection_name": (varchar(100), NN),
        "account_id": (varchar(100), NN),
        "api_endpoint": (varchar(255), NULL),
        "credentials": (TEXT, NN),
        "is_active": (BOOL, NN),
        "is_deleted": (BOOL, NN),
        "deleted_at": (DT, NULL),
        "last_sync": (DT, NULL),
        "sync_status": (varchar(20), NULL),
        "sync_error": (TEXT, NULL),
        "auto_sync": (BOOL, NN),
        "sync_interval": (varchar(20), NULL),
        "provider_metadata": (TEXT, NULL),
    },
    "resources": {
        **BASE,
        "provider_id": (INT, NN),
        "resource_id": (varchar(100), NN),
        "resource_name": (varchar(255), NN),
        "region": (varchar(100), NN),
        "external_ip": (varchar(45), NULL),
        "service_name": (varchar(100), NN),
        "resource_type": (varchar(100), NN),
        "status": (varchar(50), NULL),
        "pricing_model": (varchar(50), NULL),
        "list_price": (FLOAT, NULL),
        "effective_cost": (FLOAT, NULL),
        "currency": (varchar(3), NULL),
        "billing_period": (varchar(20), NULL),
        "daily_cost": (FLOAT, NULL),
        "original_cost": (FLOAT, NULL),
        "cost_period": (varchar(20), NULL),
        "cost_frequency": (varchar(20), NULL),
        "business_unit": (varchar(100), NULL),
        "project_id": (varchar(100), NULL),
        "feature_tag": (varchar(100), NULL),
        "cost_center": (varchar(100), NULL),
        "environment": (varchar(50), NULL),
        "last_sync": (DT, NULL),
        "is_active": (BOOL, NULL),
        "provider_config": (TEXT, NULL),
        "notes": (TEXT, NULL),
    },
    "resource_tags": {
        **BASE,
        "resource_id": (INT, NN),
        "tag_key": (varchar(100), NN),
        "tag_value": (TEXT, NN),
    },
    "optimization_recommendations": {
        **BASE,
        "resource_id": (INT, NN),
        "provider_id": (INT, NULL),
        "recommendation_type": (varchar(50), NN),
        "category": (varchar(20), NULL),
        "severity": (varchar(10), NULL),
        "title": (varchar(200), NN),
        "description": (TEXT, NN),
        "source": (varchar(50), NULL),
        "resource_type": (varchar(50), NULL),
        "resource_name": (varchar(200), NULL),
        "target_provider": (varchar(50), NULL),
        "target_sku": (varchar(200), NULL),
        "target_region": (varchar(100), NULL),
        "potential_savings": (FLOAT, NULL),
        "estimated_monthly_savings": (FLOAT, NULL),
        "estimated_one_time_savings": (FLOAT, NULL),
        "currency": (varchar(3), NULL),
        "confidence_score": (FLOAT, NULL),
        "metrics_snapshot": (TEXT, NULL),
        "insights": (TEXT, NULL),
        "ai_short_description": (TEXT, NULL),
        "ai_detailed_description": (TEXT, NULL),
        "ai_generated_at": (DT, NULL),
        "status": (varchar(20), NULL),
        "first_seen_at": (DT, NULL),
        "seen_at": (DT, NULL),
        "snoozed_until": (DT, NULL),
        "applied_at": (DT, NULL),
        "dismissed_at": (DT, NULL),
        "dismissed_reason": (TEXT, NULL),
        "last_verified_at": (DT, NULL),
        "verification_fail_count": (INT, NULL),
    },
    "sync_snapshots": {
        **BASE,
        "provider_id": (INT, NN),
        "sync_type": (varchar(20), NN),
        "sync_status": (varchar(20), NN),
        "sync_started_at": (DT, NN),
        "sync_completed_at": (DT, NULL),
        "sync_duration_seconds": (INT, NULL),
        "total_resources_found": (INT, NULL),
        "resources_created": (INT, NULL),
        "resources_updated": (INT, NULL),
        "resources_deleted": (INT, NULL),
        "resources_unchanged": (INT, NULL),
        "total_monthly_cost": (FLOAT, NULL),
        "total_resources_by_type": (TEXT, NULL),
        "total_resources_by_status": (TEXT, NULL),
        "error_message": (TEXT, NULL),
        "error_details": (TEXT, NULL),
        "sync_config": (TEXT, NULL),
    },
    # Not a BaseModel table: its timestamps are nullable in the migration's DDL.
    "resource_states": {
        "id": (INT, NN),
        "created_at": (DT, NULL),
        "updated_at": (DT, NULL),
        "sync_snapshot_id": (INT, NN),
        "resource_id": (INT, NULL),
        "provider_resource_id": (varchar(100), NN),
        "resource_type": (varchar(100), NN),
        "resource_name": (varchar(255), NN),
        "state_action": (varchar(20), NN),
        "previous_state": (TEXT, NULL),
        "current_state": (TEXT, NULL),
        "changes_detected": (TEXT, NULL),
        "service_name": (varchar(100), NULL),
        "region": (varchar(100), NULL),
        "status": (varchar(50), NULL),
        "effective_cost": (FLOAT, NULL),
        "has_cost_change": (BOOL, NULL),
        "has_status_change": (BOOL, NULL),
        "has_config_change": (BOOL, NULL),
    },
    "complete_syncs": {
        **BASE,
        "user_id": (INT, NN),
        "sync_type": (varchar(20), NN),
        "sync_status": (varchar(20), NN),
        "sync_started_at": (DT, NN),
        "sync_completed_at": (DT, NULL),
        "sync_duration_seconds": (INT, NULL),
        "total_providers_synced": (INT, NULL),
        "successful_providers": (INT, NULL),
        "failed_providers": (INT, NULL),
        "total_resources_found": (INT, NULL),
        "total_monthly_cost": (FLOAT, NULL),
        "total_daily_cost": (FLOAT, NULL),
        "cost_by_provider": (TEXT, NULL),
        "resources_by_provider": (TEXT, NULL),
        "error_message": (TEXT, NULL),
        "error_details": (TEXT, NULL),
        "sync_config": (TEXT, NULL),
    },
    "provider_sync_references": {
        **BASE,
        "complete_sync_id": (INT, NN),
        "provider_id": (INT, NN),
        "sync_snapshot_id": (INT, NN),
        "sync_order": (INT, NN),
        "sync_status": (varchar(20), NN),
        "sync_duration_seconds": (INT, NULL),
        "resources_synced": (INT, NULL),
        "provider_cost": (FLOAT, NULL),
        "error_message": (TEXT, NULL),
        "error_details": (TEXT, NULL),
    },
    "provider_prices": {
        **BASE,
        "provider": (varchar(50), NN),
        "resource_type": (varchar(100), NN),
        "provider_sku": (varchar(200), NULL),
        "region": (varchar(50), NULL),
        "cpu_cores": (INT, NULL),
        "ram_gb": (INT, NULL),
        "storage_gb": (INT, NULL),
        "storage_type": (varchar(20), NULL),
        "extended_specs": (JSON, NULL),
        "hourly_cost": (decimal(10, 4), NULL),
        "monthly_cost": (decimal(10, 2), NULL),
        "currency": (varchar(3), NULL),
        "yearly_cost": (decimal(10, 2), NULL),
        "three_year_cost": (decimal(10, 2), NULL),
        "commitment_discount_percent": (decimal(5, 2), NULL),
        "last_updated": (DT, NULL),
        "confidence_score": (decimal(3, 2), NULL),
        "source": (varchar(50), NULL),
        "source_url": (TEXT, NULL),
        "notes": (TEXT, NULL),
    },
    # No model (the agent never reads it): infrazen_schema creates it from DDL.
    "price_history": {
        **BASE,
        "price_id": (INT, NN),
        "old_monthly_cost": (decimal(10, 2), NULL),
        "new_monthly_cost": (decimal(10, 2), NULL),
        "change_percent": (decimal(6, 2), NULL),
        "change_date": (DT, NULL),
        "change_reason": (varchar(200), NULL),
    },
    "price_comparison_recommendations": {
        **BASE,
        "user_id": (INT, NN),
        "current_resource_id": (INT, NN),
        "recommended_price_id": (INT, NN),
        "similarity_score": (decimal(5, 2), NULL),
        "monthly_savings": (decimal(10, 2), NULL),
        "annual_savings": (decimal(10, 2), NULL),
        "savings_percent": (decimal(6, 2), NULL),
        "migration_effort": (varchar(20), NULL),
        "migration_notes": (TEXT, NULL),
        "status": (varchar(20), NULL),
        "user_feedback": (TEXT, NULL),
    },
    "user_provider_preferences": {
        **BASE,
        "user_id": (INT, NN),
        "provider_type": (varchar(50), NN),
        "is_enabled": (BOOL, NN),
    },
    # Chat tables are not BaseModel tables: a uuid4 string id and no updated_at.
    "chat_sessions": {
        "id": (varchar(36), NN),
        "user_id": (INT, NN),
        "recommendation_id": (INT, NULL),
        "scenario": (varchar(32), NN),
        "context": (TEXT, NULL),
        "created_at": (DT, NN),
        "last_activity_at": (DT, NN),
        "message_count": (INT, NN),
        "status": ("enum('active','archived')", NN),
    },
    "chat_messages": {
        "id": ("bigint", NN),
        "session_id": (varchar(36), NN),
        "role": ("enum('user','assistant','system')", NN),
        "content": (TEXT, NN),
        "tokens": (INT, NULL),
        "created_at": (DT, NN),
    },
    "generated_reports": {
        **BASE,
        "user_id": (INT, NN),
        "title": (varchar(255), NN),
        "role": (varchar(50), NN),
        "status": ("enum('in_progress','ready','failed')", NN),
        "content_html": (TEXT, NULL),
        "context_json": (JSON, NULL),
    },
    "business_boards": {
        **BASE,
        "user_id": (INT, NN),
        "name": (varchar(255), NN),
        "is_default": (BOOL, NN),
        "canvas_state": (JSON, NULL),
        "viewport": (JSON, NULL),
    },
    "board_groups": {
        **BASE,
        "board_id": (INT, NN),
        "name": (varchar(255), NN),
        "fabric_id": (varchar(100), NN),
        "position_x": (FLOAT, NN),
        "position_y": (FLOAT, NN),
        "width": (FLOAT, NN),
        "height": (FLOAT, NN),
        "color": (varchar(20), NN),
        "calculated_cost": (FLOAT, NN),
    },
}

# Named indexes from contract §1: table -> name -> (unique, columns in order).
EXPECTED_INDEXES: dict[str, dict[str, tuple[bool, tuple[str, ...]]]] = {
    "cloud_providers": {
        "unique_user_active_connection": (True, ("user_id", "connection_name", "is_deleted")),
    },
    "resources": {
        "unique_provider_resource": (True, ("provider_id", "resource_id", "resource_type")),
    },
    "resource_tags": {"unique_resource_tag": (True, ("resource_id", "tag_key"))},
    "provider_prices": {
        "idx_provider_prices_lookup": (False, ("provider", "resource_type", "cpu_cores", "ram_gb")),
        "idx_provider_prices_region": (False, ("region", "resource_type")),
        "idx_provider_prices_updated": (False, ("last_updated",)),
    },
    # SQLAlchemy's names for index=True columns.
    "price_history": {
        "ix_price_history_price_id": (False, ("price_id",)),
        "ix_price_history_change_date": (False, ("change_date",)),
    },
    "user_provider_preferences": {
        "uq_user_provider": (True, ("user_id", "provider_type")),
        "idx_user_provider_enabled": (False, ("user_id", "provider_type", "is_enabled")),
    },
    "chat_sessions": {
        "ix_chat_sessions_user_rec": (False, ("user_id", "recommendation_id")),
        "ix_chat_sessions_user_scenario": (False, ("user_id", "scenario")),
    },
    "chat_messages": {
        "ix_chat_messages_session_created": (False, ("session_id", "created_at")),
    },
    "board_groups": {"unique_fabric_id_per_board": (True, ("board_id", "fabric_id"))},
}

# Single-column indexes the facts list (uq/idx); Django names these itself, so only the
# indexed column is checked.
EXPECTED_INDEXED_COLUMNS: dict[str, set[str]] = {
    "users": {"username", "email", "google_id", "role"},
    "cloud_providers": {"user_id", "provider_type", "is_active", "is_deleted"},
    "resources": {"provider_id", "status", "is_active"},
    "resource_tags": {"resource_id", "tag_key"},
    "optimization_recommendations": {
        "resource_id",
        "provider_id",
        "recommendation_type",
        "category",
        "severity",
        "resource_type",
        "target_provider",
        "target_sku",
        "estimated_monthly_savings",
        "status",
        "last_verified_at",
    },
    "sync_snapshots": {"provider_id"},
    "resource_states": {"sync_snapshot_id", "resource_id", "provider_resource_id", "state_action"},
    "complete_syncs": {"user_id"},
    "provider_sync_references": {"complete_sync_id", "provider_id", "sync_snapshot_id"},
    "provider_prices": {"provider", "resource_type", "region", "last_updated"},
    "price_history": {"price_id", "change_date"},
    "price_comparison_recommendations": {
        "user_id",
        "current_resource_id",
        "recommended_price_id",
        "status",
    },
    "user_provider_preferences": {"user_id", "provider_type"},
    "chat_sessions": {"user_id", "recommendation_id", "last_activity_at"},
    "chat_messages": {"session_id", "created_at"},
    "generated_reports": {"user_id", "role", "status"},
    "business_boards": {"user_id"},
    "board_groups": {"board_id"},
}


def _normalise(column_type: str) -> str:
    # MariaDB reports int(11)/bigint(20); MySQL 8 drops the display width. Compare without it.
    return re.sub(r"^(int|bigint)\(\d+\)", r"\1", column_type.lower())


def _columns() -> dict[str, dict[str, tuple[str, str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION"
        )
        rows = cursor.fetchall()
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, column_type, nullable in rows:
        tables.setdefault(table, {})[column] = (_normalise(column_type), nullable)
    return tables


def _indexes() -> dict[str, dict[str, tuple[bool, tuple[str, ...]]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME "
            "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        )
        rows = cursor.fetchall()
    indexes: dict[str, dict[str, tuple[bool, tuple[str, ...]]]] = {}
    for table, name, non_unique, column in rows:
        unique, columns = indexes.setdefault(table, {}).get(name, (not non_unique, ()))
        indexes[table][name] = (unique, (*columns, column))
    return indexes


def test_the_expected_list_covers_every_table_infrazen_schema_creates():
    assert {m._meta.db_table for m in INFRAZEN_MODELS} <= set(infrazen_tables())
    assert sorted(infrazen_tables()) == sorted(EXPECTED)


def test_price_history_references_provider_prices():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
            "FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'price_history' "
            "AND REFERENCED_TABLE_NAME IS NOT NULL"
        )
        assert cursor.fetchall() == (("price_id", "provider_prices", "id"),)


def test_it_runs_on_mariadb():
    assert connection.vendor == "mysql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        assert "mariadb" in cursor.fetchone()[0].lower()


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_each_infrazen_table_has_infrazens_column_types_and_nullability(table):
    actual = _columns().get(table)
    assert actual is not None, f"infrazen_schema did not create {table}"
    expected = EXPECTED[table]
    assert sorted(actual) == sorted(expected), f"{table}: column names differ"
    wrong = {
        column: {"expected": expected[column], "actual": actual[column]}
        for column in expected
        if actual[column] != expected[column]
    }
    assert not wrong, f"{table}: (type, nullable) differ: {wrong}"


def test_infrazen_tables_are_utf8mb4():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()"
        )
        collations = dict(cursor.fetchall())
    assert {t: collations[t].split("_")[0] for t in EXPECTED} == dict.fromkeys(EXPECTED, "utf8mb4")


def test_json_columns_only_accept_valid_json():
    # MariaDB's JSON is longtext plus a json_valid() check; make sure the check is there.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
            "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
        )
        checks = {(t, name): clause.lower() for t, name, clause in cursor.fetchall()}
    for table, column in [
        ("provider_prices", "extended_specs"),
        ("generated_reports", "context_json"),
    ]:
        assert any(
            t == table and "json_valid" in clause and column in clause
            for (t, _), clause in checks.items()
        ), f"{table}.{column} has no json_valid check"


def test_infrazens_named_indexes_exist_with_their_columns():
    actual = _indexes()
    for table, expected in EXPECTED_INDEXES.items():
        for name, definition in expected.items():
            assert actual.get(table, {}).get(name) == definition, f"{table}.{name}"


def test_the_columns_infrazen_indexes_are_indexed():
    leading = {
        table: {columns[0] for _, columns in indexes.values()}
        for table, indexes in _indexes().items()
    }
    missing = {
        table: sorted(columns - leading.get(table, set()))
        for table, columns in EXPECTED_INDEXED_COLUMNS.items()
        if columns - leading.get(table, set())
    }
    assert not missing, f"columns without an index: {missing}"
