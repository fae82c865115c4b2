"""POST /v1/chat/upload and GET /v1/chat/image/<id>: the old agent's contract (contract §4.2) for
the unchanged InfraZen browser client, without its contract §5)."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.flask_tokens import chat_token_mint_for_tests
from chat.models import ChatImage
from infrazen.clock import utc_now

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def detail_of(body: dict) -> str:
    """The service's error shape: `detail` (what the InfraZen client shows) = `error`."""
    assert body["detail"] == body["error"] and body["code"]
    return body["detail"]


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_IMAGE_TTL_S = 3600
    settings.CHAT_UPLOAD_ANONYMOUS = True
    settings.CHAT_UPLOAD_MAX_MB = 5
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 100
    settings.CLIENT_IP_HEADER = ""
    return settings.CHAT_UPLOAD_DIR


def picture(image_format: str = "PNG", size=(64, 48), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else "red").save(buffer, image_format)
    return buffer.getvalue()


@pytest.fixture
def post(client, db):
    def send(data: bytes | None = b"", name: str = "screen.png", token: str | None = None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        body = {} if data is None else {"file": SimpleUploadedFile(name, data, "image/png")}
        return client.post("/v1/chat/upload", body, **headers, **extra)

    return send


@pytest.fixture
def status(client, db):
    def get(image_id, token: str | None = None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return client.get(f"/v1/chat/image/{image_id}", **headers, **extra)

    return get


def token_for(user) -> str:
    return chat_token_mint_for_tests(user_id=user.pk, scenario="analytics")


# --- upload -------------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP", "GIF"])
def test_the_infrazen_client_uploads_each_format_it_allows(post, uploads, image_format):
    response = post(picture(image_format), name=f"shot.{image_format.lower()}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"image_id", "filename", "size", "expires_in"}
    assert uuid.UUID(body["image_id"]).version == 4
    assert body["filename"] == f"shot.{image_format.lower()}"
    assert body["expires_in"] == 3600
    image = ChatImage.objects.get(pk=body["image_id"])
    assert (image.user_id, image.uploader_ip) == (None, "127.0.0.1")
    assert (image.mime, image.width, image.height) == ("image/png", 64, 48)
    assert image.created_at.tzinfo is None
    stored = uploads / f"{body['image_id']}.png"
    assert stored.read_bytes().startswith(PNG_MAGIC) and body["size"] == stored.stat().st_size


def test_a_png_name_on_non_image_bytes_is_refused(post, uploads):
    response = post(b"#!/bin/sh\necho hi\n", name="screen.png")
    assert response.status_code == 400
    assert detail_of(response.json()) == (
        "Invalid file type. Allowed: .jpg, .jpeg, .png, .webp, .gif"
    )
    assert not ChatImage.objects.exists() and not uploads.exists()


def test_an_empty_file_is_refused(post):
    response = post(b"")
    assert response.status_code == 400 and detail_of(response.json()) == "File is empty"


def test_a_file_over_5_mb_is_refused(post):
    response = post(PNG_MAGIC + os.urandom(5 * 1024 * 1024))
    assert response.status_code == 400
    assert detail_of(response.json()) == "File too large. Maximum size: 5MB"


def test_a_body_far_over_the_limit_is_refused_before_parsing(post, settings):
    settings.CHAT_UPLOAD_MAX_MB = 1
    response = post(os.urandom(2 * 1024 * 1024))
    assert response.status_code == 400
    assert detail_of(response.json()) == "File too large. Maximum size: 1MB"


def test_a_request_without_the_file_field_is_422(post, client):
    missing = post(None)
    assert missing.status_code == 422 and "file" in missing.json()["detail"]
    as_json = client.post("/v1/chat/upload", {"file": "x"}, content_type="application/json")
    assert as_json.status_code == 422 and "detail" in as_json.json()


def test_a_decompression_bomb_is_refused(post):
    response = post(picture("PNG", size=(10_000, 10_000), mode="1"))
    assert response.status_code == 400 and "pixels" in response.json()["detail"]
    assert not ChatImage.objects.exists()


def test_anonymous_uploads_can_be_switched_off(post, settings, alice):
    settings.CHAT_UPLOAD_ANONYMOUS = False
    refused = post(picture())
    assert refused.status_code == 401
    assert detail_of(refused.json()) == "Authentication required"

    accepted = post(picture(), token=token_for(alice))
    assert accepted.status_code == 200
    assert ChatImage.objects.get(pk=accepted.json()["image_id"]).user_id == alice.pk


def test_a_bad_token_is_refused_not_taken_as_anonymous(post, alice):
    assert post(picture(), token="garbage").status_code == 401
    alice.is_active = False
    alice.save()
    assert post(picture(), token=token_for(alice)).status_code == 403
    assert not ChatImage.objects.exists()


def test_uploads_per_client_address_are_rate_limited(post, settings):
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 2
    assert post(picture()).status_code == 200
    assert post(picture()).status_code == 200

    limited = post(picture())
    assert limited.status_code == 429
    assert detail_of(limited.json()) == "Too many uploads. Try again in a minute."
    assert limited["Retry-After"] == "60"
    assert post(picture(), REMOTE_ADDR="192.0.2.9").status_code == 200

    ChatImage.objects.update(created_at=utc_now() - timedelta(seconds=61))
    assert post(picture()).status_code == 200


def test_behind_a_proxy_the_configured_header_names_the_client(post, settings):
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 1
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert post(picture(), HTTP_X_REAL_IP="198.51.100.1").status_code == 200
    assert post(picture(), HTTP_X_REAL_IP="198.51.100.2").status_code == 200
    assert post(picture(), HTTP_X_REAL_IP="198.51.100.1").status_code == 429
    assert set(ChatImage.objects.values_list("uploader_ip", flat=True)) == {
        "198.51.100.1",
        "198.51.100.2",
    }


def test_uploads_stop_when_the_disk_cap_is_reached_until_expired_images_go(post, settings):
    settings.CHAT_UPLOAD_MAX_TOTAL_MB = 0
    full = post(picture())
    assert full.status_code == 503
    assert detail_of(full.json()) == "Image storage is full. Try again later."


def test_the_disk_cap_purges_expired_images_to_make_room(post, settings, uploads):
    first = post(picture()).json()
    settings.CHAT_UPLOAD_MAX_TOTAL_MB = 1
    ChatImage.objects.update(size=1024 * 1024)
    assert post(picture()).status_code == 503
    ChatImage.objects.update(created_at=utc_now() - timedelta(seconds=3601))

    assert post(picture()).status_code == 200
    assert not ChatImage.objects.filter(pk=first["image_id"]).exists()
    assert not (uploads / f"{first['image_id']}.png").exists()


def test_the_infrazen_page_may_read_the_answer_from_its_own_origin(post, client, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["http://localhost:5001"]
    allowed = post(picture(), HTTP_ORIGIN="http://localhost:5001")
    assert allowed["Access-Control-Allow-Origin"] == "http://localhost:5001"
    assert "Origin" in allowed["Vary"]
    foreign = post(picture(), HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in foreign
    preflight = client.options(
        "/v1/chat/upload",
        HTTP_ORIGIN="http://localhost:5001",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]


# --- status -------------------------------------------------------------------------------------


def test_image_status_keeps_the_old_contract(post, status):
    body = post(picture()).json()
    ChatImage.objects.update(created_at=utc_now() - timedelta(seconds=100))

    response = status(body["image_id"])

    assert response.status_code == 200
    assert response.json() == {
        "exists": True,
        "size": body["size"],
        "age_seconds": 100,
        "expires_in": 3500,
    }
    assert status(uuid.uuid4()).json() == {"exists": False}


def test_an_expired_image_does_not_exist_even_before_the_purge(post, status):
    body = post(picture()).json()
    ChatImage.objects.update(created_at=utc_now() - timedelta(seconds=3601))
    assert status(body["image_id"]).json() == {"exists": False}


def test_a_bound_image_exists_only_for_its_owner(post, status, alice, bob):
    image_id = post(picture(), token=token_for(alice)).json()["image_id"]
    assert status(image_id, token=token_for(alice)).json()["exists"] is True
    assert status(image_id, token=token_for(bob)).json() == {"exists": False}
    assert status(image_id).json() == {"exists": False}


def test_image_status_needs_a_token_when_anonymous_uploads_are_off(status, settings):
    settings.CHAT_UPLOAD_ANONYMOUS = False
    assert status(uuid.uuid4()).status_code == 401


@pytest.mark.parametrize(
    "image_id",
    [
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fsecret",
        "0" * 36,
        "-" * 36,
        "A" * 8 + "-aaaa-4aaa-8aaa-" + "a" * 12,
        "{12345678-1234-4234-8234-123456789abc}",
        "12345678123442348234123456789abc",
    ],
)
def test_image_ids_that_are_not_canonical_uuids_are_refused(status, image_id):
    response = status(image_id)
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert detail_of(response.json()) == "Invalid image id"
