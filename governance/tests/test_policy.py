"""Roles drive one policy: which limits and model apply, and who may run an action tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import make_user
from governance.models import AgentUserLimits
from governance.policy import Limits, policy_for, policy_for_id, role_limits, tool_permitted

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# The tests' own figures, apart from the defaults: a role's row is (tokens, ₽ a day,
# questions and tool calls a minute).
LIMITS = {
    role: dict(
        zip(
            ["tokens_per_day", "rub_per_day", "questions_per_minute", "tool_calls_per_minute"],
            row,
            strict=True,
        )
    )
    for role, row in {
        "user": (200_000, 150, 10, 30),
        "admin": (500_000, 500, 20, 60),
        "super_admin": (1_000_000, 1000, 30, 120),
        "demouser": (50_000, 30, 5, 15),
    }.items()
}


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AGENT_ROLE_LIMITS = LIMITS
    settings.LLM_MODEL_TEXT = "text/primary"
    settings.LLM_MODEL_DEMO = "text/cheap"


def test_a_user_gets_the_user_role_defaults(alice):
    policy = policy_for(user=alice)

    assert policy.role == "user"
    assert policy.limits == Limits(200_000, Decimal(150), 10, 30)
    assert policy.model == "text/primary"
    assert not policy.demo


def test_demouser_gets_the_demo_limits_and_the_demo_model(demo):
    policy = policy_for(user=demo)

    assert policy.demo
    assert policy.limits == Limits(50_000, Decimal(30), 5, 15)
    assert policy.model == "text/cheap"


def test_the_policy_by_id_carries_the_role_model_and_the_users_own_name(demo):
    anna = make_user("anna@example.com", first_name="Анна", last_name="Петрова")

    assert policy_for_id(user_id=anna.pk).names == ("Анна", "Петрова")
    assert policy_for_id(user_id=demo.pk).model == "text/cheap"
    assert policy_for_id(user_id=demo.pk).names == ()
    assert policy_for_id(user_id=999_999).role == "user"


def test_without_a_demo_model_demouser_gets_the_text_model(demo, settings):
    settings.LLM_MODEL_DEMO = ""

    assert policy_for(user=demo).model == "text/primary"


@pytest.mark.parametrize("role", ["admin", "super_admin"])
def test_admins_get_their_own_defaults(role):
    user = make_user(f"{role}@example.com", role=role)

    assert policy_for(user=user).limits == role_limits(role=role)
    assert policy_for(user=user).limits.tokens_per_day == LIMITS[role]["tokens_per_day"]


def test_an_unknown_role_gets_the_user_limits_and_no_action_tools():
    user = make_user("odd@example.com", role="auditor")
    policy = policy_for(user=user)

    assert policy.limits == role_limits(role="user")
    assert not tool_permitted(policy=policy, read_only=False, confirmed=True)


def test_per_user_overrides_beat_role_defaults_and_empty_fields_keep_them(alice):
    AgentUserLimits.objects.create(user_id=alice.pk, rub_per_day=Decimal("400.50"))

    limits = policy_for(user=alice).limits

    assert limits.rub_per_day == Decimal("400.50")
    assert limits.tokens_per_day == 200_000
    assert limits.questions_per_minute == 10
    assert limits.tool_calls_per_minute == 30


def test_an_override_of_alice_is_not_bobs(alice, bob):
    AgentUserLimits.objects.create(user_id=alice.pk, questions_per_minute=2)

    assert policy_for(user=bob).limits.questions_per_minute == 10


def test_an_override_for_demouser_beats_the_demo_limits(demo):
    AgentUserLimits.objects.create(user_id=demo.pk, tokens_per_day=1000)

    assert policy_for(user=demo).limits.tokens_per_day == 1000
    assert policy_for(user=demo).limits.rub_per_day == Decimal(30)


def test_an_overrides_edit_takes_effect_at_once_in_the_process_that_saved_it(alice):
    assert policy_for(user=alice).limits.questions_per_minute == 10  # no row: kept as such
    row = AgentUserLimits.objects.create(user_id=alice.pk, questions_per_minute=3)
    assert policy_for(user=alice).limits.questions_per_minute == 3
    row.questions_per_minute = 4
    row.save()
    assert policy_for(user=alice).limits.questions_per_minute == 4
    row.delete()
    assert policy_for(user=alice).limits.questions_per_minute == 10


def test_another_workers_edit_is_read_within_the_overrides_ttl(alice, monkeypatch):
    from governance import policy

    clock = [1000.0]
    monkeypatch.setattr(policy.time, "monotonic", lambda: clock[0])
    assert policy_for(user=alice).limits.questions_per_minute == 10
    # Another worker's edit: no signal in this process.
    AgentUserLimits.objects.bulk_create([AgentUserLimits(user_id=alice.pk, questions_per_minute=3)])
    assert policy_for(user=alice).limits.questions_per_minute == 10
    clock[0] += policy.OVERRIDES_TTL_S
    assert policy_for(user=alice).limits.questions_per_minute == 3


def test_the_environment_overrides_part_of_a_role():
    # Settings are read at import: imported in a process of its own, with its own environment.
    code = "import json, agentsite.settings as s; print(json.dumps(s.AGENT_ROLE_LIMITS))"
    env = {**os.environ, "AGENT_ROLE_LIMITS_JSON": '{"user": {"rub_per_day": 300}}'}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    limits = json.loads(result.stdout)

    assert limits["user"] == {**LIMITS["user"], "rub_per_day": 300}
    assert limits["demouser"] == LIMITS["demouser"]


def test_every_tool_today_is_read_only_and_allowed_for_every_role(alice, demo):
    for user in (alice, demo):
        assert tool_permitted(policy=policy_for(user=user), read_only=True, confirmed=False)


def test_an_action_tool_needs_a_confirmation(alice):
    policy = policy_for(user=alice)

    assert not tool_permitted(policy=policy, read_only=False, confirmed=False)
    assert tool_permitted(policy=policy, read_only=False, confirmed=True)


def test_the_policy_refuses_every_action_tool_to_demouser_even_confirmed(demo):
    policy = policy_for(user=demo)

    assert not tool_permitted(policy=policy, read_only=False, confirmed=False)
    assert not tool_permitted(policy=policy, read_only=False, confirmed=True)
