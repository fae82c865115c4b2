"""An uploaded image decoded within its memory bound and encoded afresh (chat.images stores it).

Only JPEG, PNG, WebP and GIF decoders ever see the bytes. The header is checked before a
pixel is decoded: the pixel limit (decompression bombs), then the measured peak memory of
re-encoding this kind of image against CHAT_UPLOAD_DECODE_MAX_MB. What comes out is the
pixels alone, at most CHAT_IMAGE_MAX_SIDE on a side: PNG, or JPEG when PNG would exceed
CHAT_IMAGE_MAX_BYTES; no EXIF, ICC profile or text chunk survives.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps

# Decoders Pillow may use on uploaded bytes: no other format plugin ever sees them.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
ALLOWED_LABEL = ".jpg, .jpeg, .png, .webp, .gif"
_JPEG_QUALITY = 85
# Each step shrinks by a quarter; six steps reach under a fifth of the side.
_SHRINK_STEPS = 6
# What a broken or hostile file makes Pillow's decoders raise.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

DETAIL_INVALID = f"Invalid file type. Allowed: {ALLOWED_LABEL}"

# Peak memory of one re-encoding per pixel of the file (after a JPEG's draft scale), measured
# with Pillow 13 on 2896² and 4096² images of each kind (peak RSS, bench/upload_exhaustion):
# Pillow keeps RGB, LA and CMYK at 4 bytes a pixel, palette images become RGB(A) before they
# are shrunk, shrinking alpha premultiplies a copy, and libwebp's decoder holds its own
# buffers besides Pillow's. Plus what any re-encoding takes (the 2048-pixel copy, the PNG
# and JPEG encoders). The estimate must not be below the real peak: it is what the decode
# memory bound is checked against.
_PIXEL_BYTES = {"1": 3, "L": 3, "P": 7, "RGB": 6, "LA": 10, "PA": 10, "RGBA": 10, "CMYK": 10}
_WEBP_PIXEL_BYTES = {"RGB": 14, "RGBA": 17}
_FIXED_BYTES = 32 * 1024 * 1024


class ImageRejected(Exception):
    """A refused upload: the HTTP status, the `detail` the InfraZen client shows, a code."""

    _CODES = {400: "invalid_image", 429: "rate_limited", 503: "unavailable"}

    def __init__(
        self, status: int, detail: str, *, code: str | None = None, retry_after_s: int = 60
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or self._CODES.get(status, "invalid_image")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    mime: str
    width: int
    height: int


def upload_max_bytes() -> int:
    return settings.CHAT_UPLOAD_MAX_MB * 1024 * 1024


def detail_too_large() -> str:
    return f"File too large. Maximum size: {settings.CHAT_UPLOAD_MAX_MB}MB"


# --- decoding and re-encoding -----------------------------------------------------------------


def image_reencode(*, raw: bytes) -> EncodedImage:
    """Decode `raw` and encode its pixels afresh, within the side and byte limits."""
    max_side = settings.CHAT_IMAGE_MAX_SIDE
    too_many_pixels = ImageRejected(
        400, f"Image too large: at most {settings.CHAT_UPLOAD_MAX_PIXELS} pixels"
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS)
            # The header's size, checked before a single pixel is decoded.
            if image.width * image.height > settings.CHAT_UPLOAD_MAX_PIXELS:
                raise too_many_pixels
            if image.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the photo is far bigger than needed.
                image.draft("RGB", (max_side, max_side))
            if decode_bytes_estimate(image) > settings.CHAT_UPLOAD_DECODE_MAX_MB * 1024 * 1024:
                raise too_many_pixels
            image.load()
            # Shrink first, then turn and convert the small copy: the full-size pixels are
            # held once, never twice or three times.
            image = _reduced(image, max_side=max_side)
            image = _upright(image)
            image = _pixels_only(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except _DECODE_ERRORS:
            raise ImageRejected(400, DETAIL_INVALID) from None
    return _encode(image)


def decode_bytes_estimate(image: Image.Image) -> int:
    """Peak memory of re-encoding `image`, from its header alone (see _PIXEL_BYTES)."""
    if image.format == "WEBP":
        per_pixel = _WEBP_PIXEL_BYTES.get(image.mode, max(_WEBP_PIXEL_BYTES.values()))
    else:
        per_pixel = _PIXEL_BYTES.get(image.mode, max(_PIXEL_BYTES.values()))
    return _FIXED_BYTES + image.width * image.height * per_pixel


def _upright(image: Image.Image) -> Image.Image:
    """Phone photos are stored sideways with an EXIF orientation; a broken EXIF block is not
    worth refusing the picture for."""
    try:
        return ImageOps.exif_transpose(image)
    except (*_DECODE_ERRORS, KeyError):
        return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _reduced(image: Image.Image, *, max_side: int) -> Image.Image:
    """At most `max_side` on each side, resized in place (Pillow drops the full-size pixels).

    Palette and bilevel images are resized only by their nearest pixel, so those become
    RGB(A) first; every other mode is shrunk as it is.
    """
    if image.width <= max_side and image.height <= max_side:
        return image
    if image.mode in ("P", "PA", "1"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _pixels_only(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels in a brand-new image: nothing of the file's info (EXIF, ICC profile,
    text chunks) comes along, since Pillow's encoders fall back to `image.info`."""
    has_alpha = _has_alpha(image)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _save(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def _encode(image: Image.Image) -> EncodedImage:
    """PNG keeps screenshot text sharp; photos and huge screenshots fall back to JPEG."""
    cap = settings.CHAT_IMAGE_MAX_BYTES
    png = _save(image, "PNG", compress_level=6)
    if len(png) <= cap:
        return EncodedImage(data=png, mime="image/png", width=image.width, height=image.height)
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    for _ in range(_SHRINK_STEPS):
        jpeg = _save(image, "JPEG", quality=_JPEG_QUALITY, optimize=True)
        if len(jpeg) <= cap:
            return EncodedImage(
                data=jpeg, mime="image/jpeg", width=image.width, height=image.height
            )
        size = (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4))
        image = image.resize(size, Image.Resampling.LANCZOS)
    raise ImageRejected(400, detail_too_large())
