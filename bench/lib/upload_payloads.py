"""The hostile upload payloads of bench/upload_exhaustion.py, built deterministically: five
kinds (truncated, at_pixel_limit, decompression_bombs, large_jpeg, garbage) and all together,
and the multipart/form-data body that carries one."""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass

MIXES = ("truncated", "at_pixel_limit", "decompression_bombs", "large_jpeg", "garbage", "all")
MAX_BYTES = 5 * 1024 * 1024  # CHAT_UPLOAD_MAX_MB, the default
BOUNDARY = "----infrazen-bench-upload"


@dataclass(frozen=True)
class Payload:
    name: str
    kind: str
    data: bytes
    filename: str
    content_type: str = "application/octet-stream"
    # False: a multipart body without the `file` field.
    as_file: bool = True


# --- images ------------------------------------------------------------------------------------
def save(image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def _grey(size: tuple[int, int], *, radial: bool = False, turn: bool = False):
    """A smooth 8-bit picture of `size`: compresses well, as a screenshot does."""
    from PIL import Image

    base = Image.radial_gradient("L") if radial else Image.linear_gradient("L")
    if turn:
        base = base.transpose(Image.Transpose.ROTATE_90)
    return base.resize(size, Image.Resampling.BILINEAR)


def colour(size: tuple[int, int], mode: str = "RGB"):
    from PIL import Image

    bands = [_grey(size), _grey(size, radial=True), _grey(size, turn=True)]
    if mode == "RGBA":
        # Not fully opaque, so the service keeps the alpha channel.
        bands.append(_grey(size, radial=True, turn=True))
    if mode == "CMYK":
        bands.append(_grey(size, turn=True))
    return Image.merge(mode, bands)


def _noise(size: tuple[int, int], seed: int):
    from PIL import Image

    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def _jpeg_under(image, *, limit: int, progressive: bool, start: int = 40) -> bytes:
    """The highest quality from `start` down whose JPEG of `image` stays under `limit` bytes."""
    for quality in range(start, 4, -2):
        data = save(image, "JPEG", quality=quality, progressive=progressive)
        if len(data) <= limit:
            return data
    raise RuntimeError("no quality fits")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_raw(
    *, width: int, height: int, colour_type: int, channels: int, extra: bytes = b"", rows=None
) -> bytes:
    """A PNG written by hand: 8 bits per sample, zero pixels unless `rows` gives them, so a
    huge image takes a few KB (zlib streams of zeros compress about 1,000 to 1)."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(1 + width * channels)
    idat = b"".join(compressor.compress(row) for _ in range(rows or height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + extra
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _png_dims(data: bytes, width: int, height: int) -> bytes:
    """`data` (a PNG) with the IHDR declaring width × height, CRC fixed."""
    body = struct.pack(">II", width, height) + data[24:29]
    return data[:8] + _png_chunk(b"IHDR", body) + data[33:]


def _jpeg_dims(data: bytes, width: int, height: int) -> bytes:
    """`data` (a JPEG) with its SOF declaring width × height."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]
    raise ValueError("no SOF marker")


def _gif_dims(data: bytes, width: int, height: int) -> bytes:
    """`data` (a GIF without extensions) with the screen and first frame width × height."""
    dims = struct.pack("<HH", width, height)
    data = data[:6] + dims + data[10:]
    at = data.index(b"\x2c", 13 + 3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 13)
    return data[: at + 5] + dims + data[at + 9 :]


def _webp_dims(data: bytes, width: int, height: int) -> bytes:
    """`data` (a lossless WebP, VP8L) declaring width × height (at most 16384 each)."""
    at = data.index(b"VP8L") + 9  # chunk tag, size, the 0x2f signature
    bits = int.from_bytes(data[at : at + 4], "little")
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | ((height - 1) << 14)
    return data[:at] + bits.to_bytes(4, "little") + data[at + 4 :]


def _truncated(data: bytes, share: float) -> bytes:
    return data[: int(len(data) * share)]


def payloads_build() -> dict[str, list[Payload]]:
    """Every payload, by mix; deterministic."""
    from PIL import Image

    small = colour((64, 64))
    small_png = save(small, "PNG")
    small_jpeg = save(small, "JPEG", quality=90)
    small_gif = save(_grey((64, 64)).convert("P"), "GIF")
    small_webp = save(small, "WEBP", lossless=True)

    rgb = colour((4096, 4096))
    rgb_png = save(rgb, "PNG")
    jpeg_4095 = save(rgb.crop((0, 0, 4095, 4095)), "JPEG", quality=90)
    progressive_4095 = save(rgb.crop((0, 0, 4095, 4095)), "JPEG", quality=90, progressive=True)
    grey = _grey((4096, 4096))
    la = Image.merge("LA", [grey, _grey((4096, 4096), radial=True)])
    palette = grey.convert("P")
    sixteen = grey.convert("I").point(lambda value: value * 257).convert("I;16")
    # 120 MiB / (4 bytes per pixel + the 4 of the RGBA copy): the largest RGBA the estimate takes.
    rgba_side = 3965
    noise = _noise((4095, 4095), seed=16)
    room = MAX_BYTES - 100 * 1024

    ztxt = _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(100 * 2**20), 9))
    mixes: dict[str, list[Payload]] = {
        "truncated": [
            Payload("png declares 65535×65535, truncated", "truncated",
                    _truncated(_png_dims(small_png, 65535, 65535), 0.5), "a.png", "image/png"),
            Payload("jpeg declares 65500×65500, truncated", "truncated",
                    _truncated(_jpeg_dims(small_jpeg, 65500, 65500), 0.8), "a.jpg", "image/jpeg"),
            Payload("gif declares 65535×65535, truncated", "truncated",
                    _truncated(_gif_dims(small_gif, 65535, 65535), 0.5), "a.gif", "image/gif"),
            Payload("webp declares 16384×16384, truncated", "truncated",
                    _truncated(_webp_dims(small_webp, 16384, 16384), 0.5), "a.webp",
                    "image/webp"),
            Payload("png declares 4096×4096, 64×64 of data", "truncated",
                    _png_dims(small_png, 4096, 4096), "b.png", "image/png"),
            Payload("jpeg declares 4095×4095, 64×64 of data", "truncated",
                    _jpeg_dims(small_jpeg, 4095, 4095), "b.jpg", "image/jpeg"),
            Payload("gif declares 4096×4096, 64×64 of data", "truncated",
                    _gif_dims(small_gif, 4096, 4096), "b.gif", "image/gif"),
            Payload("webp declares 4096×4096, 64×64 of data", "truncated",
                    _webp_dims(small_webp, 4096, 4096), "b.webp", "image/webp"),
            Payload("png 4096×4096 RGB cut in half", "truncated",
                    _truncated(rgb_png, 0.5), "c.png", "image/png"),
            Payload("progressive jpeg 4095×4095 cut in half", "truncated",
                    _truncated(progressive_4095, 0.5), "c.jpg", "image/jpeg"),
        ],
        "at_pixel_limit": [
            Payload("png 4096×4096 RGB", "valid", rgb_png, "d.png", "image/png"),
            Payload("png 4096×4096 LA", "valid", save(la, "PNG"), "e.png", "image/png"),
            Payload("png 4096×4096 palette + transparency", "valid",
                    save(palette, "PNG", transparency=0), "f.png", "image/png"),
            Payload("png 4096×4096 16-bit grey", "valid", save(sixteen, "PNG"), "g.png",
                    "image/png"),
            Payload(f"png {rgba_side}×{rgba_side} RGBA", "valid",
                    save(colour((rgba_side, rgba_side), "RGBA"), "PNG"), "h.png", "image/png"),
            Payload("gif 4096×4096 grey", "valid", save(palette, "GIF"), "i.gif", "image/gif"),
            Payload("webp lossless 4096×4096 RGB", "valid",
                    save(rgb, "WEBP", lossless=True, method=0), "j.webp", "image/webp"),
            Payload("jpeg 4095×4095 (no reduced-scale decode)", "valid", jpeg_4095, "k.jpg",
                    "image/jpeg"),
            Payload("jpeg 16384×1024", "valid",
                    save(colour((16384, 1024)), "JPEG", quality=90), "l.jpg", "image/jpeg"),
            Payload(f"jpeg CMYK {rgba_side}×{rgba_side}", "valid",
                    save(colour((rgba_side, rgba_side), "CMYK"), "JPEG", quality=90), "m.jpg",
                    "image/jpeg"),
        ],
        "decompression_bombs": [
            Payload("png 4096×4096 RGB zeros", "bomb",
                    _png_raw(width=4096, height=4096, colour_type=2, channels=3), "n.png",
                    "image/png"),
            Payload("png 4096×4096 RGBA zeros (over the decode estimate)", "bomb",
                    _png_raw(width=4096, height=4096, colour_type=6, channels=4), "o.png",
                    "image/png"),
            Payload("png 8192×8192 RGB zeros (over the pixel limit)", "bomb",
                    _png_raw(width=8192, height=8192, colour_type=2, channels=3), "p.png",
                    "image/png"),
            Payload("png 4096×4096 grey, IDAT of 64 MB zeros (4× the image)", "bomb",
                    _png_raw(width=4096, height=4096, colour_type=0, channels=1, rows=16384),
                    "q.png", "image/png"),
            Payload("png 64×64 with a 100 MB zTXt chunk", "bomb",
                    _png_raw(width=64, height=64, colour_type=2, channels=3, extra=ztxt),
                    "r.png", "image/png"),
            Payload("gif 4096×4096 one colour", "bomb",
                    save(Image.new("P", (4096, 4096)), "GIF"), "s.gif", "image/gif"),
            Payload("gif declares 65535×65535", "bomb", _gif_dims(small_gif, 65535, 65535),
                    "t.gif", "image/gif"),
            Payload("webp lossless 4096×4096 zeros", "bomb",
                    save(Image.new("RGB", (4096, 4096)), "WEBP", lossless=True), "u.webp",
                    "image/webp"),
        ],
        "large_jpeg": [
            Payload("noise jpeg 4095×4095 baseline, < 5 MB", "large",
                    _jpeg_under(noise, limit=room, progressive=False), "v.jpg", "image/jpeg"),
            Payload("noise jpeg 4095×4095 progressive, < 5 MB", "large",
                    _jpeg_under(noise, limit=room, progressive=True), "w.jpg", "image/jpeg"),
            Payload("noise jpeg 2400×2400, < 5 MB", "large",
                    _jpeg_under(_noise((2400, 2400), seed=24), limit=room, progressive=False,
                                start=95),
                    "x.jpg", "image/jpeg"),
            Payload("noise jpeg 4096×4096 progressive, < 5 MB", "large",
                    _jpeg_under(_noise((4096, 4096), seed=40), limit=room, progressive=True),
                    "y.jpg", "image/jpeg"),
        ],
        "garbage": [
            Payload("random 1 KB", "garbage", random.Random(1).randbytes(1024), "z.png"),
            Payload("random 4.9 MB", "garbage", random.Random(2).randbytes(room), "z.jpg"),
            Payload("png signature + random 2 MB", "garbage",
                    b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(2 * 2**20), "z.png",
                    "image/png"),
            Payload("jpeg SOI + random 2 MB", "garbage",
                    b"\xff\xd8\xff\xe0" + random.Random(4).randbytes(2 * 2**20), "z.jpg",
                    "image/jpeg"),
            Payload("text", "garbage", b"hello, this is not an image\n" * 40, "z.txt",
                    "text/plain"),
            Payload("empty file", "garbage", b"", "z.png", "image/png"),
            Payload("random 5 MB + 100 KB (over the byte limit)", "garbage",
                    random.Random(5).randbytes(MAX_BYTES + 100 * 1024), "z.png", "image/png"),
            Payload("no file field", "garbage", b"just a field", "", as_file=False),
        ],
    }  # fmt: skip
    everything = [payload for group in mixes.values() for payload in group]
    random.Random(7).shuffle(everything)
    mixes["all"] = everything
    return mixes


def multipart(payload: Payload) -> bytes:
    if payload.as_file:
        head = (
            f'Content-Disposition: form-data; name="file"; filename="{payload.filename}"\r\n'
            f"Content-Type: {payload.content_type}\r\n\r\n"
        )
    else:
        head = 'Content-Disposition: form-data; name="note"\r\n\r\n'
    return f"--{BOUNDARY}\r\n{head}".encode() + payload.data + f"\r\n--{BOUNDARY}--\r\n".encode()
