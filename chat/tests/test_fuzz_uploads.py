"""Hostile and generated uploads (Hypothesis) to `POST /v1/chat/upload` through the real ASGI
application: whatever the multipart layout, boundary, file bytes, name or content type, the
answer is the upload's success shape or the service's error shape, never a 5xx, a traceback
or an ERROR log line, and the worker goes on answering `/v1/health` (issue 16)."""

from __future__ import annotations

import io
import logging
import struct
import time
import uuid
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from chat.models import ChatImage
from ops.tests.asgi_http import asgi_request, traceback_free

URL = "/v1/chat/upload"
BOUNDARY = "fuzz-boundary-7f3a"
pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUCCESS_KEYS = {"image_id", "filename", "size", "expires_in"}
DETAIL_INVALID = "Invalid file type. Allowed: .jpg, .jpeg, .png, .webp, .gif"
DETAIL_TOO_MANY_PARTS = "Too many parts in the upload: send one multipart/form-data field 'file'"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.CHAT_UPLOAD_DIR = tmp_path / "uploads"
    settings.CHAT_UPLOAD_ANONYMOUS = True
    settings.CHAT_UPLOAD_MAX_MB = 5
    # Fuzzing sends hundreds of uploads from one address: the limiter has its own test.
    settings.CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = 1_000_000
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 1_000_000
    settings.CLIENT_IP_HEADER = ""


@pytest.fixture(autouse=True)
def _worker_still_answers_health():
    yield
    assert asgi_request("GET", "/v1/health").status == 200


@pytest.fixture
def checked(caplog):
    """`check(response, allowed)`: the assertions every answer of this module must pass."""
    caplog.set_level(logging.WARNING)

    def check(response, allowed: set[int]):
        assert response.status in allowed, (response.status, response.body[:300])
        assert response.status < 500
        assert traceback_free(response.body), response.body[:300]
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, [r.getMessage() for r in errors]
        body = response.json()
        if response.status == 200:
            assert set(body) == SUCCESS_KEYS, body
            assert uuid.UUID(body["image_id"]).version == 4
            assert isinstance(body["size"], int) and body["size"] > 0
            assert isinstance(body["filename"], str)
            assert "/" not in body["filename"] and "\\" not in body["filename"]
        else:
            assert set(body) - {"fields"} == {"error", "code", "detail"}, body
            assert body["error"] == body["detail"] and body["detail"]
            assert isinstance(body["code"], str) and body["code"]
        return body

    return check


# --- building requests by hand --------------------------------------------------------------------


def part(
    *,
    name: bytes | None = b"file",
    filename: bytes | None = b"shot.png",
    content_type: bytes | None = b"image/png",
    data: bytes = b"",
) -> bytes:
    disposition = b"Content-Disposition: form-data"
    if name is not None:
        disposition += b'; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    headers = [disposition]
    if content_type is not None:
        headers.append(b"Content-Type: " + content_type)
    return b"\r\n".join(headers) + b"\r\n\r\n" + data


def multipart(parts: list[bytes], boundary: str = BOUNDARY, *, close: bool = True) -> bytes:
    marker = b"--" + boundary.encode("latin-1")
    body = b"".join(marker + b"\r\n" + p + b"\r\n" for p in parts)
    return body + (marker + b"--\r\n" if close else b"")


def post(
    body: bytes,
    *,
    content_type: str | None = f"multipart/form-data; boundary={BOUNDARY}",
    content_length: str | None = "",
    **headers: str,
):
    """One upload request as daphne hands it to Django (it sends the body's length)."""
    head = dict(headers)
    if content_type is not None:
        head["content-type"] = content_type
    if content_length is not None:
        head["content-length"] = content_length or str(len(body))
    return asgi_request("POST", URL, body=body, headers=head)


def post_file(data: bytes, **part_fields):
    return post(multipart([part(data=data, **part_fields)]))


# --- images -----------------------------------------------------------------------------------


def picture(image_format: str = "PNG", size=(16, 12), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, image_format, **options)
    return buffer.getvalue()


def animation(image_format: str, **options) -> bytes:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, image_format, save_all=True, append_images=frames[1:], duration=50, **options
    )
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_size(png: bytes, width: int, height: int, *, fix_crc: bool = True) -> bytes:
    """The PNG with its IHDR width and height rewritten (CRC recomputed, or left stale)."""
    out = bytearray(png)
    out[16:24] = struct.pack(">II", width, height)
    if fix_crc:
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
    return bytes(out)


def truncated_png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
    )


def truncated_jpeg(width: int, height: int) -> bytes:
    """A baseline JPEG whose SOF0 declares width × height, cut a few bytes into its scan."""
    out = bytearray(picture("JPEG"))
    sof = out.index(b"\xff\xc0")
    out[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(out[: out.index(b"\xff\xda") + 20])


def truncated_gif(width: int, height: int) -> bytes:
    """A GIF whose screen and first image descriptor declare width × height, its data cut."""
    out = bytearray(picture("GIF"))
    out[6:10] = struct.pack("<HH", width, height)
    descriptor = out.index(b"\x2c", 13)
    out[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(out[: descriptor + 12])


def webp_huge_canvas(side: int = 16_383) -> bytes:
    """A complete animated WebP of 16 × 16 frames on a side × side canvas (the VP8X header):
    libwebp opens it without touching the canvas."""
    out = bytearray(animation("WEBP", lossless=True))
    vp8x = out.index(b"VP8X")
    out[vp8x + 12 : vp8x + 15] = (side - 1).to_bytes(3, "little")
    out[vp8x + 15 : vp8x + 18] = (side - 1).to_bytes(3, "little")
    return bytes(out)


def truncated_webp(side: int = 16_383) -> bytes:
    """The same, cut after the first frame's header."""
    return webp_huge_canvas(side)[:48]


SMALL_PNG = picture("PNG", (8, 8))
BASES = {
    "png": SMALL_PNG,
    "jpeg": picture("JPEG", (8, 8)),
    "gif": picture("GIF", (8, 8)),
    "webp": picture("WEBP", (8, 8)),
}


# --- the classes of hostile input -------------------------------------------------------------


@pytest.mark.parametrize(
    "setting", ["DATA_UPLOAD_MAX_NUMBER_FILES", "DATA_UPLOAD_MAX_NUMBER_FIELDS"]
)
def test_too_many_parts_get_a_400_in_the_service_shape(settings, checked, setting):
    setattr(settings, setting, 3)
    files = [part(name=f"f{n}".encode(), filename=f"{n}.png".encode(), data=b"x") for n in range(6)]
    fields = [part(name=f"k{n}".encode(), filename=None, content_type=None) for n in range(6)]
    body = checked(post(multipart([*files, *fields])), {400})
    assert body["code"] == "invalid" and body["detail"] == DETAIL_TOO_MANY_PARTS


def test_a_file_field_after_too_many_fields_is_refused_not_decoded(settings, checked):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    fields = [part(name=b"k", filename=None, content_type=None, data=b"v")] * 5
    body = checked(post(multipart([*fields, part(data=SMALL_PNG)])), {400})
    assert body["detail"] == DETAIL_TOO_MANY_PARTS
    assert not ChatImage.objects.exists()


MULTIPART = multipart([part(data=SMALL_PNG)])


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", MULTIPART),
        ("multipart/form-data; boundary=", MULTIPART),
        ("multipart/form-data; boundary=other-boundary", MULTIPART),
        ("multipart/form-data; boundary=" + "b" * 300, MULTIPART),
        ("multipart/form-data; boundary=\x00", MULTIPART),
        ("multipart/form-data; boundary=é", MULTIPART),
        (f'multipart/form-data; boundary="{BOUNDARY}', MULTIPART),
        (f"multipart/form-data; boundary={BOUNDARY}; boundary=x", MULTIPART),
        (f"multipart/form-data; boundary={BOUNDARY}", b""),
        (f"multipart/form-data; boundary={BOUNDARY}", b"--" + BOUNDARY.encode()),
        (f"multipart/form-data; boundary={BOUNDARY}", multipart([part(data=SMALL_PNG)])[:-40]),
        (f"multipart/form-data; boundary={BOUNDARY}", multipart([], close=True)),
        (
            f"multipart/form-data; boundary={BOUNDARY}",
            b"\r\n".join([b"--" + BOUNDARY.encode()] * 50),
        ),
        (f"multipart/form-data; boundary={BOUNDARY}", SMALL_PNG),
        ("multipart/mixed; boundary=" + BOUNDARY, MULTIPART),
        ("multipart/form-data; charset=utf-32; boundary=" + BOUNDARY, MULTIPART),
    ],
    ids=[
        "no boundary",
        "empty boundary",
        "other boundary",
        "300-char boundary",
        "NUL boundary",
        "non-ASCII boundary",
        "unclosed quote",
        "two boundaries",
        "empty body",
        "only a marker",
        "cut short",
        "no parts",
        "50 empty parts",
        "raw PNG",
        "multipart/mixed",
        "utf-32 charset",
    ],
)
def test_a_broken_multipart_body_gets_the_documented_shape(checked, content_type, body):
    checked(post(body, content_type=content_type), {200, 400, 413, 415, 422})


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"file": "iVBORw0KGgo="}'),
        ("application/x-www-form-urlencoded", b"file=%89PNG"),
        ("text/plain", b"file"),
        ("image/png", SMALL_PNG),
        ("application/octet-stream", SMALL_PNG),
        (None, SMALL_PNG),
        ("", SMALL_PNG),
        ("\x00\xff", SMALL_PNG),
    ],
    ids=["json", "urlencoded", "text", "image/png", "octet-stream", "none", "empty", "binary"],
)
def test_a_body_that_is_not_multipart_is_422_field_required(checked, content_type, body):
    response = checked(post(body, content_type=content_type), {422})
    assert response["code"] == "file_required" and "'file'" in response["detail"]


@pytest.mark.parametrize("content_length", ["0", "-1", "abc", "1", "99999999999999999999", " 12"])
def test_a_lying_content_length_gets_the_documented_shape(checked, content_length):
    checked(post(MULTIPART, content_length=content_length), {200, 400, 422})


def test_an_empty_file_is_refused(checked):
    assert checked(post_file(b""), {400})["detail"] == "File is empty"


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\necho hi\n",
        b"\x00" * 1000,
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBP",
        b"\xff\xd8\xff",
        b"%PDF-1.7\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"BM" * 40,
    ],
    ids=[
        "script",
        "zeros",
        "png magic",
        "gif magic",
        "webp magic",
        "jpeg magic",
        "pdf",
        "svg",
        "bmp",
    ],
)
def test_non_image_bytes_are_refused(checked, data):
    assert checked(post_file(data), {400})["detail"] == DETAIL_INVALID


@pytest.fixture
def decodes(monkeypatch):
    """Every pixel decode Pillow starts (ImageFile.load), as a list of sizes."""
    seen: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(image):
        seen.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


@pytest.mark.parametrize(
    "data",
    [
        truncated_png(100_000, 100_000),
        truncated_png(5_000, 5_000),
        truncated_jpeg(65_000, 65_000),
        truncated_jpeg(5_000, 5_000),
        truncated_gif(65_535, 65_535),
        truncated_gif(5_000, 5_000),
        webp_huge_canvas(),
        webp_huge_canvas(5_000),
    ],
    ids=[
        "png 10 GP",
        "png 25 MP",
        "jpeg 4 GP",
        "jpeg 25 MP",
        "gif 4 GP",
        "gif 25 MP",
        "webp 268 MP canvas",
        "webp 25 MP canvas",
    ],
)
def test_huge_declared_dimensions_are_refused_from_the_header(checked, decodes, data):
    body = checked(post_file(data), {400})
    assert "pixels" in body["detail"]
    assert decodes == []
    assert not ChatImage.objects.exists()


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_an_ordinary_image_cut_short_is_refused_as_invalid(checked, image_format):
    data = picture(image_format, (64, 64))
    assert checked(post_file(data[: len(data) // 2]), {400})["detail"] == DETAIL_INVALID


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_an_image_over_the_pixel_limit_is_refused(settings, checked, decodes, image_format):
    settings.CHAT_UPLOAD_MAX_PIXELS = 64 * 64
    body = checked(post_file(picture(image_format, (65, 64))), {400})
    assert body["detail"] == "Image too large: at most 4096 pixels" and decodes == []
    checked(post_file(picture(image_format, (64, 64))), {200})


def test_a_file_one_byte_over_the_size_limit_is_refused(settings, checked):
    settings.CHAT_UPLOAD_MAX_MB = 1
    data = SMALL_PNG + b"\0" * (1024 * 1024 + 1 - len(SMALL_PNG))
    assert checked(post_file(data), {400})["detail"] == "File too large. Maximum size: 1MB"


def test_a_body_far_over_the_size_limit_is_refused_before_parsing(settings, checked):
    settings.CHAT_UPLOAD_MAX_MB = 1
    data = SMALL_PNG + b"\0" * (3 * 1024 * 1024)
    assert checked(post_file(data), {400})["detail"] == "File too large. Maximum size: 1MB"


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("GIF", {"loop": 0}), ("PNG", {}), ("WEBP", {"lossless": True})],
    ids=["gif", "apng", "webp"],
)
def test_an_animation_is_stored_as_one_still_frame(checked, image_format, options):
    data = animation(image_format, **options)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    body = checked(post_file(data), {200})
    image = ChatImage.objects.get(pk=body["image_id"])
    assert (image.mime, image.width, image.height) == ("image/png", 16, 16)


def test_a_gif_with_thousands_of_frames_gets_the_documented_shape(checked):
    frames = [Image.new("P", (2, 2), n % 256) for n in range(2_000)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    checked(post_file(buffer.getvalue()), {200, 400})


ODD_FILENAMES = {
    "unicode": "снимок экрана 📸.png".encode(),
    "traversal": b"../../x.png",
    "absolute": b"/etc/passwd",
    "windows traversal": b"..\\..\\x.png",
    "nul": b"shot\x00.png",
    "control chars": b"a\r\x01\x1b[31m.png",
    "very long": b"a" * 5_000 + b".png",
    "long unicode": "я".encode() * 3_000 + b".png",
    "dots": b"...",
    "no extension": b"screenshot",
    "exe": b"shot.png.exe",
    "html": b"<img src=x onerror=alert(1)>.png",
    "quote": b'a"; name="other.png',
    "percent": b"%2e%2e%2fx.png",
    "invalid utf-8": b"\xff\xfe.png",
    "entity": b"&#46;&#46;&#47;x.png",
}


@pytest.mark.parametrize("filename", ODD_FILENAMES.values(), ids=ODD_FILENAMES.keys())
def test_an_odd_filename_never_decides_anything(checked, filename):
    checked(post_file(SMALL_PNG, filename=filename), {200, 400, 422})


def test_a_path_in_the_filename_is_not_echoed(checked):
    body = checked(post_file(SMALL_PNG, filename=b"../../x.png"), {200})
    assert body["filename"] == "x.png"


ODD_CONTENT_TYPES = [
    None,
    b"",
    b"image/png",
    b"image/svg+xml",
    b"text/html",
    b"application/x-msdownload",
    b"image/png; charset=\xff",
    b"\x00",
]


@pytest.mark.parametrize("content_type", ODD_CONTENT_TYPES)
def test_the_part_content_type_is_not_trusted(checked, content_type):
    checked(post_file(SMALL_PNG, content_type=content_type), {200})
    assert checked(post_file(b"<svg/>", content_type=content_type), {400})["code"] == (
        "invalid_image"
    )


def test_a_part_with_headers_past_the_parser_limit_is_not_a_file(checked):
    # Django's multipart parser skips a part whose headers exceed 1 KiB: no file arrived.
    body = checked(post_file(SMALL_PNG, content_type=b"image/" + b"p" * 5_000), {422})
    assert body["code"] == "file_required"


def test_the_attempt_limiter_answers_429_in_the_shape(settings, checked):
    settings.CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = 2
    for _ in range(2):
        checked(post_file(b"not an image"), {400})
    limited = post_file(SMALL_PNG)
    body = checked(limited, {429})
    assert body["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_the_stored_image_limiter_answers_429_in_the_shape(settings, checked):
    settings.CHAT_UPLOAD_RATE_PER_MINUTE = 1
    checked(post_file(SMALL_PNG), {200})
    limited = post_file(SMALL_PNG)
    assert checked(limited, {429})["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "60"


# --- generated variants -----------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4_000))
def test_random_bytes_as_the_file_get_the_documented_shape(checked, data):
    checked(post_file(data), {200, 400})


@st.composite
def mutated_images(draw) -> bytes:
    data = bytearray(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(0, 8))):
        offset = draw(st.integers(0, len(data) - 1))
        data[offset] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


dimensions = st.integers(0, 2**32 - 1) | st.integers(0, 70_000)


@st.composite
def resized_pngs(draw) -> bytes:
    png = png_with_size(SMALL_PNG, draw(dimensions), draw(dimensions), fix_crc=draw(st.booleans()))
    if draw(st.booleans()):
        png = png[: draw(st.integers(33, len(png)))]
    return png


@FUZZ
@given(data=st.one_of(mutated_images(), resized_pngs()))
def test_mutated_images_get_the_documented_shape(checked, data):
    started = time.monotonic()
    checked(post_file(data), {200, 400})
    assert time.monotonic() - started < 5


def ascii_bytes(alphabet: str, max_size: int):
    return st.text(alphabet, max_size=max_size).map(str.encode)


names = st.one_of(st.just(b"file"), st.none(), st.binary(max_size=20), ascii_bytes("file_[]", 8))
filenames = st.one_of(
    st.none(),
    st.sampled_from(list(ODD_FILENAMES.values())),
    st.text(max_size=60).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
)
part_types = st.one_of(st.none(), st.sampled_from(ODD_CONTENT_TYPES), st.binary(max_size=30))
part_data = st.one_of(st.just(SMALL_PNG), st.just(b""), st.binary(max_size=200), mutated_images())
parts = st.builds(part, name=names, filename=filenames, content_type=part_types, data=part_data)
raw_parts = st.binary(max_size=120)
boundaries = st.one_of(
    st.just(BOUNDARY),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=80),
)


@st.composite
def layouts(draw) -> tuple[str | None, bytes]:
    boundary = draw(boundaries)
    body = multipart(
        draw(st.lists(parts | raw_parts.map(bytes), max_size=8)),
        boundary,
        close=draw(st.booleans()),
    )
    declared = draw(
        st.one_of(
            st.just(f"multipart/form-data; boundary={boundary}"),
            st.just(f'multipart/form-data; boundary="{boundary}"'),
            st.just(f"multipart/form-data; boundary={BOUNDARY}x"),
            st.just("multipart/form-data"),
            st.none(),
            st.text(st.characters(max_codepoint=255), max_size=80),
        )
    )
    return declared, body


@FUZZ
@given(layout=layouts())
def test_random_multipart_layouts_get_the_documented_shape(settings, checked, layout):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 4
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 4
    content_type, body = layout
    checked(post(body, content_type=content_type), {200, 400, 413, 415, 422})


def test_the_worker_answers_health_after_the_fuzzing():
    assert asgi_request("GET", "/v1/health").status == 200
