"""Uploads cannot exhaust a worker: every attempt counts against the limit, an image too big to
decode is refused from its header, decodes wait for a slot, and Django's multipart limits
answer a 400 in the service's shape (chat.images, ops.ratelimit)."""

from __future__ import annotations

import io
import struct
import threading
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat import images
from chat.flask_tokens import chat_token_mint_for_tests
from chat.models import ChatImage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _limits(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_UPLOAD_ANONYMOUS = True
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 100
    settings.CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = 5
    settings.CLIENT_IP_HEADER = ""


def png_header_only(width: int, height: int, color_type: int = 6) -> bytes:
    """A PNG whose header declares width × height and whose pixel data is cut short."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, data: bytes, token: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = {"file": SimpleUploadedFile("s.png", data, "image/png")}
    return client.post("/v1/chat/upload", body, **headers, **extra)


def test_refused_attempts_count_so_a_good_upload_after_them_is_limited(client):
    for _ in range(5):
        assert upload(client, b"not an image").status_code == 400
    limited = upload(client, picture())
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited" and limited.json()["detail"]
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert not ChatImage.objects.exists()


def test_another_address_is_not_limited_by_the_first(client):
    for _ in range(6):
        upload(client, b"x")
    assert upload(client, picture(), REMOTE_ADDR="10.9.9.9").status_code == 200


def test_a_user_is_limited_across_addresses(client, alice):
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    for n in range(5):
        upload(client, b"x", token=token, REMOTE_ADDR=f"10.0.0.{n + 1}")
    assert upload(client, picture(), token=token, REMOTE_ADDR="10.0.1.1").status_code == 429


@pytest.mark.parametrize(
    "declared",
    [(100_000, 100_000), (20_000, 20_000), (4_096, 4_097)],
    ids=["10 GP", "400 MP", "just over the pixel limit"],
)
def test_huge_declared_dimensions_are_refused_from_the_header(client, settings, declared):
    settings.CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = 100
    response = upload(client, png_header_only(*declared))
    assert response.status_code == 400 and "pixels" in response.json()["detail"]


def test_an_image_within_the_pixel_limit_but_over_the_decode_memory_is_refused(client, settings):
    settings.CHAT_UPLOAD_DECODE_MAX_MB = 48
    response = upload(client, png_header_only(2_000, 2_000))  # RGBA: 32 MB + 2000² × 10 B
    assert response.status_code == 400
    estimate = images.decode_bytes_estimate(Image.open(io.BytesIO(png_header_only(10, 10))))
    assert estimate == 32 * 1024 * 1024 + 100 * 10


def test_an_upload_that_finds_every_decode_slot_busy_gets_503_with_retry_after(client, settings):
    settings.CHAT_UPLOAD_DECODE_CONCURRENCY = 1
    settings.CHAT_UPLOAD_DECODE_WAIT_S = 0.1
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with images.DECODE_SLOTS.slot():
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(5)
        busy = upload(client, picture())
    finally:
        release.set()
        holder.join()
    assert busy.status_code == 503 and busy.json()["code"] == "busy" and busy["Retry-After"]
    assert upload(client, picture()).status_code == 200


@pytest.mark.parametrize(
    "setting", ["DATA_UPLOAD_MAX_NUMBER_FILES", "DATA_UPLOAD_MAX_NUMBER_FIELDS"]
)
def test_too_many_parts_get_a_400_in_the_service_shape(client, settings, setting):
    setattr(settings, setting, 2)
    body = {f"f{n}": SimpleUploadedFile(f"{n}.png", b"x") for n in range(4)}
    body.update({f"field{n}": "v" for n in range(4)})
    response = client.post("/v1/chat/upload", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "Traceback" not in response.content.decode()


def test_a_body_over_djangos_memory_limit_gets_a_400_in_the_service_shape(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/v1/chat/upload", {f"field{n}": "v" * 50 for n in range(5)})
    assert response.status_code == 400 and response.json()["detail"]
