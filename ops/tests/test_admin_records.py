"""The service's own records in the admin: listed for staff, never editable by hand."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chat.models import ChatImage
from recommendations_ai.models import TextGeneration


@pytest.fixture
def staff_client(client, db):
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    ("name", "make", "shown"),
    [
        (
            "recommendations_ai_textgeneration",
            lambda: TextGeneration.objects.create(
                recommendation_id=4242,
                recommendation_type="rightsize",
                facts_hash="f" * 64,
                facts={},
                prompt_version="rt-3",
                source="template",
                short_html="s",
                detailed_html="d",
            ),
            "4242",
        ),
        (
            "chat_chatimage",
            lambda: ChatImage.objects.create(
                user_id=77,
                size=10,
                mime="image/png",
                width=3,
                height=2,
                path="x.png",
                uploader_ip="203.0.113.5",
            ),
            "image/png",
        ),
    ],
)
def test_text_generations_and_chat_images_are_listed_and_read_only(staff_client, name, make, shown):
    row = make()

    listing = staff_client.get(reverse(f"admin:{name}_changelist"))
    detail = staff_client.get(reverse(f"admin:{name}_change", args=[row.pk]))
    add = staff_client.get(reverse(f"admin:{name}_add"))

    assert listing.status_code == 200 and shown in listing.content.decode()
    assert detail.status_code == 200 and b'type="submit"' not in detail.content.split(b"<form")[-1]
    assert add.status_code == 403
    # The uploader's address is for the rate limit, not for reading.
    assert b"203.0.113.5" not in detail.content


def test_the_admin_is_branded_in_russian(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()

    assert "InfraZen · FinOps-ассистент" in page and "Журналы, расходы и лимиты" in page
