"""What the apps count into core.metrics: tool calls by outcome and origin (the answer's or the
context pack's), refused uploads by their code, report renders by format and narrative source."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from chat.context import context_pack_build
from chat.models import ToolCallAudit
from chat.services import pack_runs_audit
from tools.base import ToolError
from tools.registry import tool_run


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_tool_calls_are_counted_by_tool_and_outcome(alice):
    def calls(tool: str, outcome: str) -> float:
        return _sample(
            "infrazen_agent_tool_calls_total", tool=tool, outcome=outcome, origin="model"
        )

    def durations() -> float:
        return _sample(
            "infrazen_agent_tool_call_duration_seconds_count",
            tool="get_user_context",
            origin="model",
        )

    ok, refused, unknown = (
        calls("get_user_context", "ok"),
        calls("get_resource", "refused"),
        calls("unknown", "refused"),
    )
    timed = durations()

    tool_run(user=alice, name="get_user_context", arguments_json="{}")
    with pytest.raises(ToolError):
        tool_run(user=alice, name="get_resource", arguments_json='{"resource_id": "x"}')
    with pytest.raises(ToolError):
        tool_run(user=alice, name="drop_database", arguments_json="{}")

    assert calls("get_user_context", "ok") == ok + 1
    assert calls("get_resource", "refused") == refused + 1
    # A name the model made up is one series, not one per name.
    assert calls("unknown", "refused") == unknown + 1
    assert durations() == timed + 1


def _model_calls(tool: str) -> float:
    return _sample("infrazen_agent_tool_calls_total", tool=tool, outcome="ok", origin="model")


@pytest.mark.django_db
def test_the_context_packs_reads_are_counted_as_audited_with_origin_context(alice):
    def calls(tool: str, outcome: str) -> float:
        return _sample(
            "infrazen_agent_tool_calls_total", tool=tool, outcome=outcome, origin="context"
        )

    tools = ("get_recommendation", "get_analytics_overview", "get_provider_breakdown")
    before = {(t, o): calls(t, o) for t in tools for o in ("ok", "refused")}
    timed = _sample(
        "infrazen_agent_tool_call_duration_seconds_count",
        tool="get_analytics_overview",
        origin="context",
    )
    answers = _model_calls("get_analytics_overview")
    runs: list = []
    for scenario, recommendation_id in (("recommendation", 999_999), ("analytics", None)):
        context_pack_build(
            user=alice,
            scenario=scenario,
            recommendation_id=recommendation_id,
            context={},
            runs=runs,
        )
    pack_runs_audit(session_id="s-pack", user_id=alice.pk, runs=runs)

    audited = list(ToolCallAudit.objects.filter(session_id="s-pack", round=0))
    assert len(audited) == len(runs) >= 6
    # A recommendation that is not there: the pack's read refused, as a model's call would be.
    assert calls("get_recommendation", "refused") == before["get_recommendation", "refused"] + 1
    for tool in tools[1:]:
        assert calls(tool, "ok") == before[tool, "ok"] + 1
    assert (
        _sample(
            "infrazen_agent_tool_call_duration_seconds_count",
            tool="get_analytics_overview",
            origin="context",
        )
        == timed + 1
    )
    # The answer's own calls of the same tools are another series, untouched.
    assert _model_calls("get_analytics_overview") == answers


@pytest.mark.django_db
def test_a_refused_upload_is_counted_by_its_code(client):
    before = _sample("infrazen_agent_upload_rejections_total", reason="file_required")

    response = client.post("/v1/chat/upload", {})

    assert response.status_code == 422
    assert _sample("infrazen_agent_upload_rejections_total", reason="file_required") == before + 1


@pytest.mark.django_db
def test_every_text_answered_is_counted_by_its_source(client, settings):
    from demo_data.personas import ALICE_EMAIL
    from demo_data.seed import demo_seed
    from infrazen.models import OptimizationRecommendation

    settings.AI_TEXT_MODE = "template"
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    demo_seed()
    rec = OptimizationRecommendation.objects.filter(
        resource__provider__user__email=ALICE_EMAIL
    ).first()
    sources = ("llm", "template", "cache")
    before = {s: _sample("infrazen_agent_text_generations_total", source=s) for s in sources}

    for _ in range(2):
        response = client.post(
            "/v1/generate/recommendation-text",
            {"recommendation_id": rec.pk},
            content_type="application/json",
        )
        assert response.status_code == 200

    after = {s: _sample("infrazen_agent_text_generations_total", source=s) for s in sources}
    assert after["template"] == before["template"] + 1
    assert sum(after.values()) == sum(before.values()) + 2
