"""chat.images: what is stored of an upload, who may use it, what the model is sent."""

from __future__ import annotations

import base64
import io
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from PIL import Image, ImageCms, PngImagePlugin

from chat.images import (
    DEFAULT_IMAGE_QUESTION,
    IMAGE_REF,
    ImageQuestion,
    ImageRejected,
    chat_image_upload,
    chat_images_purge,
    image_question_build,
    image_reencode,
    image_user_message,
)
from chat.models import ChatImage
from infrazen.clock import utc_now


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_IMAGE_TTL_S = 3600
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 100
    return settings.CHAT_UPLOAD_DIR


def picture(image_format: str = "PNG", size=(64, 48), mode: str = "RGB", **options) -> bytes:
    image = Image.new(mode, size, "red" if mode in ("RGB", "RGBA") else 1)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(user=None, data: bytes | None = None) -> ChatImage:
    data = data or picture()
    return chat_image_upload(
        file=io.BytesIO(data),
        size=len(data),
        user_id=user.pk if user else None,
        uploader_ip="192.0.2.1",
    )


def ref(image: ChatImage) -> str:
    return f"[image:{image.pk}]"


def backdate(image: ChatImage, seconds: int) -> None:
    ChatImage.objects.filter(pk=image.pk).update(created_at=utc_now() - timedelta(seconds=seconds))


def stored_bytes(image: ChatImage, directory) -> bytes:
    return (directory / image.path).read_bytes()


# --- what is stored ---------------------------------------------------------------------------


def test_exif_gps_and_camera_fields_do_not_survive_a_jpeg_upload():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x013B] = "Alice Secret"  # Artist
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 21.0)}  # GPS latitude
    raw = picture("JPEG", exif=exif.tobytes())
    assert b"SecretCam" in raw

    encoded = image_reencode(raw=raw)

    assert b"SecretCam" not in encoded.data and b"Alice Secret" not in encoded.data
    stored = Image.open(io.BytesIO(encoded.data))
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info and "icc_profile" not in stored.info


def test_png_text_chunks_and_icc_profile_do_not_survive():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "internal-hostname.corp")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    raw = picture("PNG", pnginfo=info, icc_profile=icc)

    encoded = image_reencode(raw=raw)

    assert b"internal-hostname" not in encoded.data
    stored = Image.open(io.BytesIO(encoded.data))
    assert stored.format == "PNG" and encoded.mime == "image/png"
    assert "icc_profile" not in stored.info and "Comment" not in stored.info


def test_a_sideways_phone_photo_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    encoded = image_reencode(raw=picture("JPEG", size=(80, 40), exif=exif.tobytes()))
    assert (encoded.width, encoded.height) == (40, 80)


def test_big_images_are_downscaled_to_the_max_side(settings):
    settings.CHAT_IMAGE_MAX_SIDE = 256
    encoded = image_reencode(raw=picture("PNG", size=(1024, 512)))
    assert (encoded.width, encoded.height) == (256, 128)
    assert Image.open(io.BytesIO(encoded.data)).size == (256, 128)


def test_a_photo_too_big_as_png_is_stored_as_jpeg_within_the_byte_cap(settings):
    settings.CHAT_IMAGE_MAX_BYTES = 200_000
    encoded = image_reencode(raw=noise())
    assert encoded.mime == "image/jpeg" and len(encoded.data) <= 200_000
    stored = Image.open(io.BytesIO(encoded.data))
    assert stored.format == "JPEG" and stored.size == (encoded.width, encoded.height)


def test_a_jpeg_still_over_the_cap_is_shrunk_until_it_fits(settings):
    settings.CHAT_IMAGE_MAX_BYTES = 60_000
    encoded = image_reencode(raw=noise())
    assert len(encoded.data) <= 60_000 and encoded.width < 800
    assert Image.open(io.BytesIO(encoded.data)).size == (encoded.width, encoded.height)


def test_transparency_is_kept_in_png_and_opaque_alpha_dropped():
    clear = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    buffer = io.BytesIO()
    clear.save(buffer, "PNG")
    assert Image.open(io.BytesIO(image_reencode(raw=buffer.getvalue()).data)).mode == "RGBA"
    opaque = image_reencode(raw=picture("PNG", mode="RGBA"))
    assert Image.open(io.BytesIO(opaque.data)).mode == "RGB"


@pytest.mark.parametrize(
    "raw",
    [
        b"not an image at all, just text with a .png name",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        picture("PNG", size=(200, 200))[:60],
        picture("BMP"),
        picture("TIFF"),
    ],
    ids=["text", "png-magic-only", "truncated-png", "bmp", "tiff"],
)
def test_anything_but_a_whole_jpeg_png_webp_or_gif_is_refused(raw):
    with pytest.raises(ImageRejected) as refused:
        image_reencode(raw=raw)
    assert refused.value.status == 400
    assert refused.value.detail.startswith("Invalid file type. Allowed:")


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded():
    bomb = picture("PNG", size=(10_000, 10_000), mode="1")
    assert len(bomb) < 100_000
    with pytest.raises(ImageRejected) as refused:
        image_reencode(raw=bomb)
    assert refused.value.status == 400 and "pixels" in refused.value.detail


def test_pillows_own_bomb_guard_is_an_error_not_a_warning(settings, monkeypatch):
    settings.CHAT_UPLOAD_MAX_PIXELS = 10**9
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageRejected) as refused:
        image_reencode(raw=picture("PNG", size=(40, 40)))
    assert "pixels" in refused.value.detail


def test_an_animated_gif_is_stored_as_its_first_frame():
    frames = [Image.new("RGB", (20, 20), color) for color in ("blue", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    stored = Image.open(io.BytesIO(image_reencode(raw=buffer.getvalue()).data))
    assert stored.convert("RGB").getpixel((5, 5)) == (0, 0, 255)


def test_the_file_is_named_by_the_id_only_and_readable_by_the_service_alone(uploads, alice):
    image = upload(alice)
    assert image.path == f"{image.pk}.png"
    assert uuid.UUID(str(image.pk)).version == 4
    path = uploads / image.path
    assert path.is_file() and path.stat().st_size == image.size
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in uploads.iterdir()] == [image.path]


# --- who may use an image ---------------------------------------------------------------------


def test_alice_claims_an_anonymous_image_and_then_bob_cannot_use_it(alice, bob):
    image = upload()
    assert image.user_id is None

    mine = image_question_build(user_id=alice.pk, content=f"{ref(image)} что тут?")
    assert len(mine.images) == 1 and mine.missing == []
    image.refresh_from_db()
    assert image.user_id == alice.pk

    theirs = image_question_build(user_id=bob.pk, content=f"{ref(image)} а тут?")
    assert theirs.images == [] and theirs.missing == [str(image.pk)]
    again = image_question_build(user_id=alice.pk, content=ref(image))
    assert len(again.images) == 1


def test_alices_token_bound_image_is_missing_for_bob(alice, bob):
    image = upload(alice)
    question = image_question_build(user_id=bob.pk, content=f"{ref(image)} покажи")
    assert question.images == [] and question.missing == [str(image.pk)]
    image.refresh_from_db()
    assert image.user_id == alice.pk


def test_unknown_expired_and_vanished_images_are_missing(alice, uploads):
    expired, vanished = upload(alice), upload(alice)
    backdate(expired, 3601)
    (uploads / vanished.path).unlink()
    unknown = str(uuid.uuid4())
    content = f"[image:{unknown}] {ref(expired)} {ref(vanished)} [image:{'-' * 36}]"

    question = image_question_build(user_id=alice.pk, content=content)

    assert question.images == []
    assert question.missing == [unknown, str(expired.pk), str(vanished.pk), "-" * 36]


def test_images_come_in_order_once_each_and_past_the_limit_are_missing(alice, settings):
    settings.CHAT_IMAGE_MAX_PER_MESSAGE = 2
    red = upload(alice, picture("PNG"))
    jpeg = upload(alice, picture("JPEG"))
    third = upload(alice)
    content = f"{ref(jpeg)} сравни {ref(red)} и {ref(jpeg)} {ref(third)}"

    question = image_question_build(user_id=alice.pk, content=content)

    assert [url.split(";")[0] for url in question.images] == ["data:image/png", "data:image/png"]
    assert question.images[1] == image_question_build(user_id=alice.pk, content=ref(red)).images[0]
    assert question.missing == [str(third.pk)]


def test_the_data_url_carries_the_stored_bytes(alice, uploads):
    image = upload(alice)
    (url,) = image_question_build(user_id=alice.pk, content=ref(image)).images
    prefix, encoded = url.split(",", 1)
    assert prefix == "data:image/png;base64"
    assert base64.b64decode(encoded) == stored_bytes(image, uploads)


def test_the_refs_are_removed_from_the_text_and_an_empty_text_gets_the_default_question(alice):
    image = upload(alice)
    assert image_question_build(user_id=alice.pk, content=f"{ref(image)} Где дорого?").text == (
        "Где дорого?"
    )
    assert image_question_build(user_id=alice.pk, content=f" {ref(image)} ").text == (
        DEFAULT_IMAGE_QUESTION
    )
    plain = image_question_build(user_id=alice.pk, content="Без картинок")
    assert plain == ImageQuestion(text="Без картинок", images=[], missing=[])


def test_the_ref_pattern_is_the_engines():
    image_id = str(uuid.uuid4())
    assert IMAGE_REF.findall(f"[image:{image_id}] текст [image:../../etc/passwd]") == [image_id]


# --- what the model is sent --------------------------------------------------------------------


def test_image_user_message_has_a_text_part_then_the_images():
    question = ImageQuestion(
        text="Что на скриншоте?",
        images=["data:image/png;base64,AAAA", "data:image/jpeg;base64,BBBB"],
        missing=[],
    )
    assert image_user_message(question=question) == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Что на скриншоте?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,BBBB"}},
        ],
    }


def test_image_user_message_is_plain_text_without_images():
    question = ImageQuestion(text="Привет", images=[], missing=["x"])
    assert image_user_message(question=question) == {"role": "user", "content": "Привет"}


def test_a_message_with_images_is_routed_to_a_vision_model(alice, settings):
    from llm import gateway

    settings.LLM_MODEL_VISION = "vision/primary"
    settings.LLM_VISION_MODELS = ["vision/primary"]
    settings.LLM_FALLBACK_MODELS = []
    question = image_question_build(user_id=alice.pk, content=ref(upload(alice)))
    messages = [{"role": "system", "content": "s"}, image_user_message(question=question)]
    assert gateway._wants_vision(messages)
    assert gateway._models_for(model=None, vision=True) == ["vision/primary"]


# --- purge ------------------------------------------------------------------------------------


def test_purge_deletes_expired_images_and_stray_files_and_keeps_the_rest(alice, uploads):
    live, expired = upload(alice), upload()
    backdate(expired, 3601)
    old_stray, new_stray = uploads / f"{uuid.uuid4()}.png", uploads / ".upload-tmp"
    old_stray.write_bytes(b"x")
    new_stray.write_bytes(b"x")
    an_hour_ago = time.time() - 3700
    os.utime(old_stray, (an_hour_ago, an_hour_ago))
    # A live image's file may be old on disk (restored from a backup): its row keeps it.
    os.utime(uploads / live.path, (an_hour_ago, an_hour_ago))

    result = chat_images_purge()

    assert (result.images, result.orphan_files) == (1, 1)
    assert list(ChatImage.objects.values_list("pk", flat=True)) == [live.pk]
    assert sorted(p.name for p in uploads.iterdir()) == sorted([live.path, new_stray.name])


def test_the_purge_command_prints_one_line(alice, uploads):
    backdate(upload(alice), 7200)
    out = io.StringIO()
    call_command("chat_images_purge", stdout=out)
    assert out.getvalue() == "purged 1 expired chat images and 0 stray files\n"
    assert not ChatImage.objects.exists() and list(uploads.iterdir()) == []


def test_purge_without_an_upload_directory_does_nothing(db):
    assert chat_images_purge().orphan_files == 0
