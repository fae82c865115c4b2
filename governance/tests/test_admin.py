"""Per-user overrides are edited in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from governance.models import AgentUserLimits

pytestmark = pytest.mark.django_db


def test_an_admin_sets_a_users_daily_roubles_and_leaves_the_rest_to_the_role(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-1234567")
    client.force_login(admin)

    response = client.post(
        "/admin/governance/agentuserlimits/add/",
        {"user_id": 42, "rub_per_day": "300", "note": "pilot customer"},
    )

    assert response.status_code == 302
    limits = AgentUserLimits.objects.get(user_id=42)
    assert limits.rub_per_day == 300
    assert limits.tokens_per_day is None
    assert client.get("/admin/governance/agentuserlimits/").status_code == 200
