"""What the apps count into core.metrics: tool calls by outcome, refused uploads by their code,
report renders by format and narrative source."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tools.base import ToolError
from tools.registry import tool_run


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_tool_calls_are_counted_by_tool_and_outcome(alice):
    def calls(tool: str, outcome: str) -> float:
        return _sample("infrazen_agent_tool_calls_total", tool=tool, outcome=outcome)

    ok, refused, unknown = (
        calls("get_user_context", "ok"),
        calls("get_resource", "refused"),
        calls("unknown", "refused"),
    )
    durations = _sample("infrazen_agent_tool_call_duration_seconds_count", tool="get_user_context")

    tool_run(user=alice, name="get_user_context", arguments_json="{}")
    with pytest.raises(ToolError):
        tool_run(user=alice, name="get_resource", arguments_json='{"resource_id": "x"}')
    with pytest.raises(ToolError):
        tool_run(user=alice, name="drop_database", arguments_json="{}")

    assert calls("get_user_context", "ok") == ok + 1
    assert calls("get_resource", "refused") == refused + 1
    # A name the model made up is one series, not one per name.
    assert calls("unknown", "refused") == unknown + 1
    assert (
        _sample("infrazen_agent_tool_call_duration_seconds_count", tool="get_user_context")
        == durations + 1
    )


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
