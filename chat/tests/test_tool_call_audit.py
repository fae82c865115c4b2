from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from chat.models import ToolCallAudit
from chat.selectors import tool_call_audit_list
from chat.services import (
    RESULT_MAX_CHARS,
    TRUNCATION_SUFFIX,
    tool_call_audit_attach,
    tool_call_audit_create,
)

SESSION_ID = "8f0c6f2e-3c1d-4c33-9a4e-0d5c2b7f9a10"


class Result(BaseModel):
    total: float
    names: list[str]


def test_a_tool_call_is_audited_with_what_it_was_asked_and_answered(alice):
    audit = tool_call_audit_create(
        session_id=SESSION_ID,
        user_id=alice.pk,
        tool="get_recommendation",
        arguments={"recommendation_id": 42},
        result=Result(total=187.01, names=["office"]),
        latency_ms=12.5,
        round=2,
        correlation_id="abc123",
    )

    stored = ToolCallAudit.objects.get(pk=audit.pk)
    assert stored.session_id == SESSION_ID
    assert (stored.user_id, stored.tool, stored.round) == (alice.pk, "get_recommendation", 2)
    assert stored.arguments == {"recommendation_id": 42}
    assert stored.result == '{"total":187.01,"names":["office"]}'
    assert (stored.ok, stored.error, stored.latency_ms) == (True, "", 12.5)
    assert stored.correlation_id == "abc123"
    assert stored.message_id is None
    assert stored.created_at.tzinfo is None
    assert ToolCallAudit._meta.db_table == "agent_tool_calls"


def test_a_long_result_is_truncated(alice):
    audit = tool_call_audit_create(
        session_id=SESSION_ID,
        user_id=alice.pk,
        tool="list_resources",
        arguments={},
        result="ресурс;" * 2_000,
    )

    stored = ToolCallAudit.objects.get(pk=audit.pk)
    assert len(stored.result) == RESULT_MAX_CHARS
    assert stored.result.endswith(TRUNCATION_SUFFIX)
    assert stored.result.startswith("ресурс;ресурс;")


def test_a_failed_call_keeps_its_error_and_odd_arguments(alice):
    audit = tool_call_audit_create(
        session_id=SESSION_ID,
        user_id=alice.pk,
        tool="calculate_savings",
        arguments={"amount": Decimal("1.50"), "ids": (1, 2)},
        ok=False,
        error="ToolError: unknown resource",
    )

    stored = ToolCallAudit.objects.get(pk=audit.pk)
    assert stored.arguments == {"amount": "1.50", "ids": [1, 2]}
    assert (stored.ok, stored.error, stored.result) == (False, "ToolError: unknown resource", "")


def test_audit_rows_are_attached_to_the_answer_once_it_is_stored(alice):
    ids = [
        tool_call_audit_create(
            session_id=SESSION_ID, user_id=alice.pk, tool="t", arguments={}, round=n
        ).pk
        for n in (1, 2)
    ]

    assert tool_call_audit_attach(audit_ids=ids, message_id=99) == 2

    assert set(ToolCallAudit.objects.values_list("message_id", flat=True)) == {99}


def test_bob_does_not_see_alices_tool_calls(alice, bob):
    tool_call_audit_create(session_id=SESSION_ID, user_id=alice.pk, tool="t", arguments={})

    assert tool_call_audit_list(user_id=bob.pk, session_id=SESSION_ID).count() == 0
    assert tool_call_audit_list(user_id=alice.pk, session_id=SESSION_ID).count() == 1


def test_the_audit_stores_a_result_with_pasted_credentials_scrubbed(alice):
    audit = tool_call_audit_create(
        session_id=SESSION_ID,
        user_id=alice.pk,
        tool="get_resource",
        arguments={"resource_id": 7},
        result=Result(total=1.0, names=["office password=hunter2-secret", "mysql://u:pw9@db/x"]),
    )
    stored = ToolCallAudit.objects.get(pk=audit.pk).result
    assert "hunter2-secret" not in stored and "pw9" not in stored
    assert "[скрыто]" in stored and "office" in stored


def test_the_context_packs_tool_runs_are_audited_as_round_0_with_the_turns_id(alice):
    from chat.prompt_cache import PromptCache
    from chat.tests.principals import analytics_principal
    from core.correlation import correlation_id_var

    token = correlation_id_var.set("turn-7f3a")
    try:
        PromptCache().prompt(
            principal=analytics_principal(alice, {"time_range_days": 30}),
            session_id=SESSION_ID,
            within=0,
        )
    finally:
        correlation_id_var.reset(token)

    rows = list(ToolCallAudit.objects.filter(session_id=SESSION_ID).order_by("id"))
    assert rows and {row.round for row in rows} == {0}
    assert {row.correlation_id for row in rows} == {"turn-7f3a"}
    assert {row.user_id for row in rows} == {alice.pk}
    assert "get_analytics_overview" in [row.tool for row in rows]
    assert all(row.latency_ms >= 0 for row in rows)


def test_a_context_pack_audit_that_cannot_be_stored_never_fails_the_prompt(alice, monkeypatch):
    from django.db import DatabaseError

    from chat.prompt_cache import PromptCache
    from chat.tests.principals import analytics_principal

    def refuse(*args, **kwargs):
        raise DatabaseError("Data too long for column 'session_id'")

    monkeypatch.setattr(ToolCallAudit.objects, "bulk_create", refuse)

    prompt = PromptCache().prompt(
        principal=analytics_principal(alice, {"time_range_days": 30}),
        session_id="a-test-session-id-longer-than-the-36-characters-of-a-uuid",
        within=0,
    )

    assert prompt and ToolCallAudit.objects.count() == 0
