"""The tools the chat model may call: a plain dict of name → module.

Every module has the same shape: NAME, LABEL (what the UI shows while it runs), SCENARIOS,
READ_ONLY (True: it changes nothing; an action tool would need the user's confirmation and
a role allowed to act, governance.policy.tool_permitted),
`Args` (its docstring and field descriptions are the JSON schema), `Result` (with a one-line
`summary()`) and `run(*, user, args) -> Result`, which is read-only and scoped to `user`.
Adding a tool = one new module + one line here.

The acting user always comes from the authenticated connection and is passed by the caller;
no Args model has a user field. `tool_run` validates the model's arguments strictly and turns
every refusal into a ToolError whose message is safe to show the model.
"""

from __future__ import annotations

import functools
import json
import time
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from core import metrics
from core.errors import NotFound
from infrazen.models import InfraZenUser
from llm.redact import credentials_scrub
from tools import (
    analyze_screenshot,
    calculate_savings,
    estimate_migration_effort,
    generate_step_plan,
    get_analytics_overview,
    get_anomalies,
    get_cost_trends,
    get_latest_snapshot,
    get_prices_for_skus,
    get_provider_breakdown,
    get_recommendation,
    get_resource,
    get_service_breakdown,
    get_user_context,
    list_top_alternatives,
    search_knowledge,
    summarize_top_recommendations,
)
from tools.base import ToolError

TOOLS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        get_recommendation,
        get_resource,
        get_latest_snapshot,
        list_top_alternatives,
        get_prices_for_skus,
        calculate_savings,
        estimate_migration_effort,
        generate_step_plan,
        get_user_context,
        get_analytics_overview,
        get_cost_trends,
        get_service_breakdown,
        get_provider_breakdown,
        get_anomalies,
        summarize_top_recommendations,
        search_knowledge,
        analyze_screenshot,
    )
}

MAX_ERRORS_SHOWN = 3


def tools_for(scenario: str) -> list[ModuleType]:
    return [module for module in TOOLS.values() if scenario in module.SCENARIOS]


def _description(module: ModuleType) -> str:
    return " ".join((module.Args.__doc__ or "").split())


def tool_schema(module: ModuleType) -> dict[str, Any]:
    parameters = module.Args.model_json_schema()
    # The description travels once, at the function level.
    parameters.pop("description", None)
    parameters.pop("title", None)
    parameters.setdefault("properties", {})
    return {
        "type": "function",
        "function": {
            "name": module.NAME,
            "description": _description(module),
            "parameters": parameters,
        },
    }


@functools.cache
def openai_tools(scenario: str) -> list[dict[str, Any]]:
    """The `tools` list of a chat completion request for one scenario.

    Built once per process (generating the schemas is ~10 ms, every chat turn sends them);
    callers must not mutate it.
    """
    return [tool_schema(module) for module in tools_for(scenario)]


def _arguments_error(name: str, exc: ValidationError) -> ToolError:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    return ToolError(f"Invalid arguments for {name}: " + "; ".join(problems))


def tool_run(
    *, user: InfraZenUser, name: str, arguments_json: str, scenario: str | None = None
) -> BaseModel:
    """Validate the model's arguments and run one tool as `user` (sync: it reads the DB).
    Counted and timed by tool and outcome (core.metrics, origin `model`): ok, refused (a
    ToolError the model is told about), error (anything else)."""
    label = _label(name)
    started = time.perf_counter()
    outcome = "error"
    try:
        result = _tool_run(user=user, name=name, arguments_json=arguments_json, scenario=scenario)
        outcome = "ok"
        return result
    except ToolError:
        outcome = "refused"
        raise
    finally:
        metrics.tool_call_count(
            tool=label,
            outcome=outcome,
            origin=metrics.ORIGIN_MODEL,
            seconds=time.perf_counter() - started,
        )


def tool_refused_count(name: str) -> None:
    """Count a model's call the user's policy or calls-a-minute limit refused before it ran
    (it is audited like the others, so the counter matches the audit)."""
    metrics.tool_call_count(
        tool=_label(name), outcome="refused", origin=metrics.ORIGIN_MODEL, seconds=0
    )


def _label(name: str) -> str:
    """A tool's metric label: its name, or `unknown` for one the model made up (the labels
    stay a fixed set)."""
    return name if name in TOOLS else "unknown"


def _tool_run(
    *, user: InfraZenUser, name: str, arguments_json: str, scenario: str | None
) -> BaseModel:
    module = TOOLS.get(name)
    if module is None or (scenario is not None and scenario not in module.SCENARIOS):
        raise ToolError(f"Unknown tool: {str(name)[:60]}")
    text = (arguments_json or "").strip() or "{}"
    try:
        raw = json.loads(text)
    except ValueError:
        raise ToolError(f"Arguments for {name} are not valid JSON") from None
    if not isinstance(raw, dict):
        raise ToolError(f"Arguments for {name} must be a JSON object")
    try:
        args = module.Args.model_validate_json(text)
    except ValidationError as exc:
        raise _arguments_error(name, exc) from None
    try:
        return module.run(user=user, args=args)
    except NotFound as exc:
        raise ToolError(exc.message) from None


def result_summary(result: BaseModel) -> str:
    """One line for the UI's tool-call chip."""
    summary = getattr(result, "summary", None)
    text = summary() if callable(summary) else type(result).__module__.rsplit(".", 1)[-1]
    return credentials_scrub(" ".join(str(text).split()))[:120]
