"""The contract every registered tool keeps (STYLE.md, "Tools for the LLM").

Run as bob over the demo dataset: valid strict schema without any user argument, a Result
that validates, nothing of alice's, read-only SQL, a small result, no secret; alice's ids
look exactly like missing ids.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from django import db
from django.test.utils import CaptureQueriesContext

from demo_data.personas import BEGET_ADMIN_PASSWORD, SECRET_MARKER
from infrazen.models import (
    CloudProvider,
    InfraZenUser,
    OptimizationRecommendation,
    Resource,
)
from tools.base import MAX_RESULT_BYTES, ToolError
from tools.registry import TOOLS, openai_tools, result_summary, tool_run, tools_for

TOOL_NAMES = sorted(TOOLS)
SECRETS = (SECRET_MARKER, BEGET_ADMIN_PASSWORD, "credentials", "admin_password", "private_key")
FORBIDDEN_ARGUMENTS = ("user", "owner", "email", "tenant", "account")
READ_ONLY_PREFIXES = ("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _recommendations(user: InfraZenUser) -> list[OptimizationRecommendation]:
    return list(
        OptimizationRecommendation.objects.filter(resource__provider__user=user).order_by("id")
    )


def _resources(user: InfraZenUser) -> list[Resource]:
    return list(Resource.objects.filter(provider__user=user).order_by("id"))


def example_arguments(name: str, user: InfraZenUser) -> list[dict]:
    """Valid arguments for one tool as `user`: every id the tool can take, where it takes one."""
    fields = TOOLS[name].Args.model_fields
    if "recommendation_id" in fields:
        return [{"recommendation_id": rec.pk} for rec in _recommendations(user)]
    if "resource_id" in fields:
        return [{"resource_id": resource.pk} for resource in _resources(user)]
    return {
        "get_prices_for_skus": [
            {"skus": ["v2-r4-d40-network_ssd:ru-7", "ru2-normal_cpu-4cpu-8gb-100gb", "nope"]}
        ],
        "calculate_savings": [
            {"current_monthly": 3450, "new_monthly": 2480.0, "period": "year"},
            {"current_monthly": 100.0, "new_monthly": 150.0},
        ],
        "get_analytics_overview": [{}, {"time_range_days": 365}, {"time_range_days": 1}],
        "get_cost_trends": [
            {"time_range_days": 30, "include_provider_breakdown": True},
            {"time_range_days": 45, "include_provider_breakdown": True},
            {"time_range_days": 90, "include_provider_breakdown": True},
            {"time_range_days": 365, "include_provider_breakdown": True},
            {"time_range_days": 1},
        ],
        "get_service_breakdown": [{"top_n": 10}, {}],
        "get_anomalies": [{}, {"time_range_days": 180}, {"time_range_days": 7}],
        "search_knowledge": [
            {"query": "как удалить старые снимки дисков"},
            {"query": "перенос сервера в Selectel", "limit": 5},
            {"query": "zzz"},
        ],
        # Without a model (these tests): the reason code, before any lookup.
        "analyze_screenshot": [
            {"image_id": "0b3f8c1e-2d4a-4f6b-9c8d-7e6f5a4b3c2d", "question": "что на графике?"}
        ],
        "summarize_top_recommendations": [
            {"limit": 10, "statuses": ["pending", "seen", "dismissed", "implemented"]},
            {},
        ],
    }.get(name, [{}])


def alice_strings(alice: InfraZenUser) -> list[str]:
    names = [r.resource_name for r in _resources(alice)]
    ids = [r.resource_id for r in _resources(alice)]
    connections = list(
        CloudProvider.objects.filter(user=alice).values_list("connection_name", flat=True)
    )
    # Short names ("office", "wp_db") could occur by chance; alice's have long distinct ones.
    return [s for s in [*names, *ids, *connections, alice.email] if len(s) >= 7]


def run_as(user, name: str, arguments: dict):
    # Every database: with AGENT_DATABASE_URL the agent's own tables are on a second one.
    with contextlib.ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in db.connections.all()]
        result = tool_run(user=user, name=name, arguments_json=json.dumps(arguments))
    return result, [q["sql"] for queries in captured for q in queries.captured_queries]


def test_the_registry_names_match_the_modules_and_every_tool_has_a_scenario():
    for name, module in TOOLS.items():
        assert name == module.NAME
        assert module.LABEL and module.LABEL.strip() == module.LABEL
        assert module.SCENARIOS and {"recommendation", "analytics"} >= module.SCENARIOS
    assert {m.NAME for m in tools_for("recommendation")} >= {
        "get_recommendation",
        "list_top_alternatives",
        "generate_step_plan",
    }
    assert {m.NAME for m in tools_for("analytics")} >= {"get_anomalies", "get_cost_trends"}


@pytest.mark.parametrize("scenario", ["recommendation", "analytics"])
def test_openai_tools_are_generated_from_the_args_models(scenario):
    for spec in openai_tools(scenario):
        assert spec["type"] == "function"
        function = spec["function"]
        module = TOOLS[function["name"]]
        assert function["description"] == " ".join(module.Args.__doc__.split())
        assert function["parameters"]["properties"] == (
            module.Args.model_json_schema().get("properties", {})
        )


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_the_schema_is_a_closed_object_without_any_user_argument(name):
    schema = TOOLS[name].Args.model_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert len(TOOLS[name].Args.__doc__.split()) >= 10
    for field, spec in schema.get("properties", {}).items():
        assert not any(word in field.lower() for word in FORBIDDEN_ARGUMENTS), field
        assert spec.get("description"), f"{name}.{field} has no description"
    json.dumps(schema)


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_as_bob_the_tool_is_read_only_small_secret_free_and_blind_to_alice(world, name):
    module = TOOLS[name]
    forbidden = alice_strings(world.alice)
    for arguments in example_arguments(name, world.bob):
        result, queries = run_as(world.bob, name, arguments)
        assert isinstance(result, module.Result)
        text = result.model_dump_json()
        module.Result.model_validate_json(text)
        assert len(text.encode()) <= MAX_RESULT_BYTES, (name, arguments, len(text))
        for secret in SECRETS:
            assert secret not in text, (name, secret)
        for string in forbidden:
            assert string not in text, (name, arguments, string)
        for sql in queries:
            assert sql.lstrip().upper().startswith(READ_ONLY_PREFIXES), sql
        summary = result_summary(result)
        assert summary and "\n" not in summary


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_as_alice_every_result_is_small_and_secret_free(world, name):
    for arguments in example_arguments(name, world.alice):
        result, _ = run_as(world.alice, name, arguments)
        text = result.model_dump_json()
        assert len(text.encode()) <= MAX_RESULT_BYTES, (name, arguments, len(text))
        for secret in SECRETS:
            assert secret not in text, (name, arguments, secret)


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in TOOL_NAMES
        if {"recommendation_id", "resource_id"} & set(TOOLS[n].Args.model_fields)
    ],
)
def test_alices_ids_look_exactly_like_missing_ids_to_bob(world, name):
    field = (
        "recommendation_id"
        if "recommendation_id" in TOOLS[name].Args.model_fields
        else "resource_id"
    )
    model = OptimizationRecommendation if field == "recommendation_id" else Resource
    alices = (
        [r.pk for r in _recommendations(world.alice)]
        if field == "recommendation_id"
        else [r.pk for r in _resources(world.alice)]
    )
    missing = model.objects.order_by("-id").first().pk + 1000
    with pytest.raises(ToolError) as absent:
        tool_run(user=world.bob, name=name, arguments_json=json.dumps({field: missing}))
    for foreign in alices:
        with pytest.raises(ToolError) as refused:
            tool_run(user=world.bob, name=name, arguments_json=json.dumps({field: foreign}))
        assert refused.value.message == absent.value.message


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("no_such_tool", "{}", "Unknown tool"),
        ("get_analytics_overview", "{not json", "not valid JSON"),
        ("get_analytics_overview", "[1]", "JSON object"),
        ("get_analytics_overview", '{"user_id": 1}', "Extra inputs are not permitted"),
        ("get_analytics_overview", '{"time_range_days": 0}', "time_range_days"),
        ("get_analytics_overview", '{"time_range_days": "30"}', "time_range_days"),
        ("list_top_alternatives", '{"recommendation_id": 1, "limit": 6}', "limit"),
        ("get_prices_for_skus", '{"skus": []}', "skus"),
        ("get_anomalies", '{"time_range_days": 181}', "time_range_days"),
        ("calculate_savings", '{"current_monthly": 1}', "new_monthly"),
    ],
)
def test_bad_calls_become_a_clear_tool_error_never_a_traceback(world, name, arguments, expected):
    with pytest.raises(ToolError) as refused:
        tool_run(user=world.bob, name=name, arguments_json=arguments)
    assert expected in refused.value.message
    assert "Traceback" not in refused.value.message


def test_a_tool_outside_the_scenario_is_unknown(world):
    with pytest.raises(ToolError, match="Unknown tool"):
        tool_run(
            user=world.bob, name="get_anomalies", arguments_json="{}", scenario="recommendation"
        )


def test_an_empty_argument_string_means_no_arguments(world):
    result = tool_run(user=world.bob, name="get_user_context", arguments_json="")
    assert result.role == "user"
