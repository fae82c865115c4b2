from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chat.auth import chat_connection_authorize
from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider


def run(*args) -> str:
    out = StringIO()
    call_command("chat_token", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_a_path_with_a_token_the_consumer_accepts(alice):
    rec = make_recommendation(
        make_resource(CloudProvider.objects.get(user=alice, provider_type="yandex"), "vm")
    )
    path = run("--email", alice.email, "--recommendation", str(rec.pk))
    assert path.startswith(f"/v1/chat/rec/{rec.pk}?token=")
    principal = chat_connection_authorize(
        token=path.split("token=")[1],
        endpoint_scenario="recommendation",
        url_recommendation_id=rec.pk,
    )
    assert principal.user_id == alice.pk

    path = run("--email", alice.email, "--analytics", "90")
    principal = chat_connection_authorize(
        token=path.split("token=")[1], endpoint_scenario="analytics", url_recommendation_id=None
    )
    assert principal.context == {"time_range_days": 90}


def test_it_refuses_what_the_user_may_not_chat_about(alice, bob):
    rec = make_recommendation(
        make_resource(CloudProvider.objects.get(user=alice, provider_type="yandex"), "vm")
    )
    with pytest.raises(CommandError, match="no such recommendation"):
        run("--email", bob.email, "--recommendation", str(rec.pk))
    with pytest.raises(CommandError, match="no active user"):
        run("--email", "nobody@example.com", "--analytics", "30")
