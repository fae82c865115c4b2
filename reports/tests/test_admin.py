"""Reports in the admin: listed, viewable, never editable, the page never run in its origin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from reports.tests.client import render

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client, db):
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(admin)
    return client


async def _report(tenant) -> str:
    return (await render(tenant.pk, "finops"))["report_id"]


def test_the_admin_lists_and_shows_a_report_read_only(staff_client, tenant):
    import asyncio

    report_id = asyncio.run(_report(tenant))
    listing = staff_client.get(reverse("admin:reports_agentreport_changelist")).content.decode()
    assert "finops" in listing and ".pdf?exp=" in listing
    from reports.models import AgentReport

    pk = AgentReport.objects.get(uuid=report_id).pk
    page = staff_client.get(reverse("admin:reports_agentreport_change", args=[pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<iframe sandbox srcdoc=" in text and "шаблон" in text
    # The stored page sits escaped in the attribute: the hostile name never becomes a tag.
    assert "<img src=x onerror" not in text
    assert (
        staff_client.post(reverse("admin:reports_agentreport_delete", args=[pk])).status_code == 403
    )
