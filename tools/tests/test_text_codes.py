"""The codes of the tools' Russian texts: each step, reason and caveat says which text it is.

Readers in another language (chat.offline's English answers) key on the codes; the model never
sees them, so the tools' JSON is what it was.
"""

from __future__ import annotations

import json

from infrazen.models import OptimizationRecommendation
from tools import estimate_migration_effort, generate_step_plan
from tools.registry import tool_run


def _run(user, name: str, recommendation_id: int):
    arguments = json.dumps({"recommendation_id": recommendation_id})
    return tool_run(user=user, name=name, arguments_json=arguments)


def _recommendation_ids(user) -> list[int]:
    recs = OptimizationRecommendation.objects.filter(resource__provider__user=user)
    return list(recs.order_by("id").values_list("id", flat=True))


def test_every_reason_and_caveat_carries_the_code_of_its_text(world):
    seen = set()
    for rid in _recommendation_ids(world.alice):
        result = _run(world.alice, "estimate_migration_effort", rid)
        for reason in result.reasons:
            factor, detail = estimate_migration_effort.REASONS[reason.code]
            assert (reason.factor, reason.detail) == (factor, detail.format(value=reason.value))
            seen.add(reason.code)
        assert len(result.caveat_codes) == len(result.caveats)
        for code, caveat in zip(result.caveat_codes, result.caveats, strict=True):
            assert caveat == estimate_migration_effort.CAVEATS[code]
    assert {"migrate_server", "data_volume", "no_data_moved"} <= seen


def test_every_step_carries_the_code_of_its_texts(world):
    plans = [*generate_step_plan.PLANS.values(), [generate_step_plan.HEAVY_MIGRATION_STEP]]
    texts = {code: (title, check) for plan in plans for code, title, _, check in plan}
    for rid in _recommendation_ids(world.alice):
        for step in _run(world.alice, "generate_step_plan", rid).steps:
            assert texts[step.code] == (step.title, step.check)


def test_the_codes_are_not_sent_to_the_model(world):
    rid = _recommendation_ids(world.alice)[0]
    for name in ("estimate_migration_effort", "generate_step_plan"):
        result = _run(world.alice, name, rid)
        text = result.model_dump_json()
        assert '"code"' not in text and "caveat_codes" not in text and '"value"' not in text
        # What the model sent back validates, without the codes.
        type(result).model_validate_json(text)
