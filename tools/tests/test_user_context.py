"""get_user_context: the caller's own settings and connections, never an email or a secret."""

from __future__ import annotations

from demo_data.personas import DEMO_EMAIL, SECRET_MARKER
from infrazen.models import InfraZenUser
from tools.registry import tool_run


def test_the_demo_user_is_read_only_and_sees_its_own_connections(world):
    demo = InfraZenUser.objects.get(email=DEMO_EMAIL)
    result = tool_run(user=demo, name="get_user_context", arguments_json="{}")
    assert result.is_read_only is True
    assert result.role == "demouser"
    assert {c.connection_name for c in result.connections} == {
        "Demo Yandex Cloud",
        "Demo Selectel",
    }
    text = result.model_dump_json()
    assert DEMO_EMAIL not in text and SECRET_MARKER not in text


def test_bobs_context_names_his_disabled_target_providers(world):
    result = tool_run(user=world.bob, name="get_user_context", arguments_json="{}")
    assert result.is_read_only is False
    assert (result.currency, result.language, result.timezone) == ("RUB", "ru", "Europe/Moscow")
    assert result.disabled_target_providers == ["beget"]
    assert [c.provider_type for c in result.connections] == ["selectel", "yandex"]
