"""POST /v1/upload: multipart or JSON base64, the chat token required, the same checks and
re-encoding as /v1/chat/upload, and a handle the chat accepts."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.flask_tokens import chat_token_mint_for_tests
from chat.images import IMAGE_REF
from chat.models import ChatImage
from chat.tests.test_upload_api import PNG_MAGIC, picture, uploads  # noqa: F401 - the fixture


@pytest.fixture
def bearer(alice) -> dict:
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_json_base64_is_stored_as_the_users_own_image_with_a_handle(
    client, alice, bearer, settings
):
    encoded = base64.b64encode(picture()).decode()

    response = client.post(
        "/v1/upload",
        {"image": f"data:image/png;base64,{encoded}", "filename": "график.png"},
        content_type="application/json",
        **bearer,
    )

    body = response.json()
    assert response.status_code == 200
    image = ChatImage.objects.get(pk=body["image_id"])
    assert image.user_id == alice.pk
    assert IMAGE_REF.fullmatch(body["handle"]) and body["filename"] == "график.png"
    assert (settings.CHAT_UPLOAD_DIR / image.path).read_bytes().startswith(PNG_MAGIC)


@pytest.mark.django_db
def test_multipart_works_the_same(client, bearer):
    upload = SimpleUploadedFile("shot.png", picture(), content_type="image/png")

    response = client.post("/v1/upload", {"file": upload}, **bearer)

    assert response.status_code == 200 and response.json()["handle"].startswith("[image:")


@pytest.mark.django_db
def test_without_a_token_nothing_is_stored(client):
    encoded = base64.b64encode(picture()).decode()

    response = client.post("/v1/upload", {"image": encoded}, content_type="application/json")

    assert response.status_code == 401 and ChatImage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [({"image": "not base64!"}, 400), ({"image": 5}, 400), ({}, 422), ({"image": "aGVsbG8="}, 400)],
)
def test_bad_bodies_get_clear_errors_and_store_nothing(client, bearer, body, status):
    response = client.post("/v1/upload", body, content_type="application/json", **bearer)

    assert response.status_code == status
    assert response.json()["detail"] and ChatImage.objects.count() == 0
