"""Screenshots pasted into the chat (contract §4.2, §5).

The browser uploads an image (`POST /v1/chat/upload`) and then sends `[image:<id>] question`
in the chat. Here:

- **Upload:** the bytes must decode as JPEG, PNG, WEBP or GIF (the file name is not trusted),
  within the pixel and decode-memory limits (chat.image_decode, which also re-encodes them).
  The file is named by a new uuid4 only, in CHAT_UPLOAD_DIR, and recorded in
  `agent_chat_images`.
- **Limits:** CHAT_UPLOAD_RATE_PER_MINUTE stored images per client address, and
  CHAT_UPLOAD_MAX_TOTAL_MB for all of them, both counted in `agent_chat_images` rather than
  in Django's cache: the default cache is per process, the table is shared by every worker and
  already holds the address and time. Refused or invalid uploads are not counted (they cost
  a bounded decode, not disk); a raw request rate belongs to nginx's `limit_req`. Two
  concurrent uploads may both pass a check that only one should: the limits are approximate.
- **Ownership:** an upload with a chat token belongs to its user. The stock InfraZen client
  sends none, so when CHAT_UPLOAD_ANONYMOUS is on an image may have no user; the first user
  whose message refers to it claims it (one atomic UPDATE). After that, and for a token-bound
  image from the start, anyone else's reference is "missing", like an unknown or expired one.
  The trade-off: until it is claimed, whoever learns the id (a random uuid4, known only to
  the uploader's browser) could claim it first.
- **TTL:** an image is usable for CHAT_IMAGE_TTL_S after its upload; lookups ignore older
  rows and `manage.py chat_images_purge` deletes them with their files.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db.models import Q, Sum

# Re-exported: callers and tests know them as chat.images.*
from chat.image_decode import (  # noqa: F401
    DETAIL_INVALID,
    ImageRejected,
    decode_bytes_estimate,
    detail_too_large,
    image_reencode,
    upload_max_bytes,
)
from chat.models import ChatImage
from infrazen.clock import utc_now
from ops.ratelimit import rate_hit

logger = logging.getLogger(__name__)

IMAGE_REF = re.compile(r"\[image:([a-f0-9\-]{36})\]")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Asked when a message holds only images, as the old agent did (contract §4.2).
DEFAULT_IMAGE_QUESTION = (
    "Проанализируй это изображение: что на нём видно и что важно для затрат на облако?"
)

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg"}
DETAIL_EMPTY = "File is empty"
DETAIL_RATE = "Too many uploads. Try again in a minute."
DETAIL_FULL = "Image storage is full. Try again later."
DETAIL_BUSY = "Too many images are being processed. Try again in a few seconds."


class _DecodeSlots:
    """At most CHAT_UPLOAD_DECODE_CONCURRENCY uploads of this process decode at once: each
    may take tens of MB and a good part of a second of CPU, and refused requests queue for
    no longer than CHAT_UPLOAD_DECODE_WAIT_S."""

    def __init__(self) -> None:
        self._semaphore: threading.BoundedSemaphore | None = None
        self._size = 0
        self._lock = threading.Lock()

    def _current(self) -> threading.BoundedSemaphore:
        size = max(1, settings.CHAT_UPLOAD_DECODE_CONCURRENCY)
        with self._lock:
            if self._semaphore is None or self._size != size:
                self._semaphore, self._size = threading.BoundedSemaphore(size), size
            return self._semaphore

    @contextlib.contextmanager
    def slot(self):
        semaphore = self._current()
        if not semaphore.acquire(timeout=settings.CHAT_UPLOAD_DECODE_WAIT_S):
            logger.warning("chat image upload refused: every decode slot is busy")
            raise ImageRejected(503, DETAIL_BUSY, code="busy")
        try:
            yield
        finally:
            semaphore.release()


DECODE_SLOTS = _DecodeSlots()


@dataclass(frozen=True)
class ImageQuestion:
    text: str  # the user's text with refs removed (DEFAULT_IMAGE_QUESTION if empty)
    images: list[str]  # data URLs of the user's images found, in order
    missing: list[str]  # refs unknown, expired, someone else's, unreadable or over the limit


@dataclass(frozen=True)
class PurgeResult:
    images: int
    orphan_files: int


def image_id_parse(value: str) -> uuid.UUID | None:
    """The canonical lowercase form only: the id becomes a file name."""
    if not isinstance(value, str) or not _CANONICAL_UUID.fullmatch(value):
        return None
    return uuid.UUID(value)


# --- storage ------------------------------------------------------------------------------------


def _upload_dir() -> Path:
    return Path(settings.CHAT_UPLOAD_DIR)


def _file_of(image: ChatImage) -> Path:
    # The stored name is ours, but never let a row point outside the directory.
    return _upload_dir() / Path(image.path).name


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600; a reader never sees half an image.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _ttl() -> timedelta:
    return timedelta(seconds=settings.CHAT_IMAGE_TTL_S)


def _attempts_check(*, uploader_ip: str | None, user_id: int | None) -> None:
    """Every upload attempt counts, per address and per user, refused ones included: a
    hostile file costs its sender a try before it costs a decode."""
    keys = [f"upload:ip:{uploader_ip or 'unknown'}"]
    if user_id is not None:
        keys.append(f"upload:user:{user_id}")
    for key in keys:
        decision = rate_hit(key=key, limit=settings.CHAT_UPLOAD_ATTEMPTS_PER_MINUTE, window_s=60)
        if not decision.allowed:
            logger.warning("chat image upload attempts limited", extra={"remote_addr": uploader_ip})
            raise ImageRejected(
                429, DETAIL_RATE, code="rate_limited", retry_after_s=decision.retry_after_s
            )


def _rate_check(*, uploader_ip: str | None, now: datetime) -> None:
    limit = settings.CHAT_UPLOAD_RATE_PER_MINUTE
    recent = ChatImage.objects.filter(
        uploader_ip=uploader_ip, created_at__gt=now - timedelta(minutes=1)
    ).count()
    if recent >= limit:
        logger.warning("chat image upload rate limited", extra={"remote_addr": uploader_ip})
        raise ImageRejected(429, DETAIL_RATE)


def _stored_bytes() -> int:
    return ChatImage.objects.aggregate(total=Sum("size"))["total"] or 0


def _disk_check(*, incoming: int) -> None:
    cap = settings.CHAT_UPLOAD_MAX_TOTAL_MB * 1024 * 1024
    if _stored_bytes() + incoming <= cap:
        return
    # Nothing may run the purge on a timer: make room from expired images first.
    chat_images_purge()
    if _stored_bytes() + incoming > cap:
        logger.warning("chat image storage is full")
        raise ImageRejected(503, DETAIL_FULL)


def chat_image_upload(
    *, file: IO[bytes], size: int, user_id: int | None, uploader_ip: str | None
) -> ChatImage:
    """Validate, re-encode and store one upload of `size` bytes. Raises ImageRejected.

    The bytes are read only once a decode slot is free: uploads queued for a slot hold
    their spooled file (on disk past FILE_UPLOAD_MAX_MEMORY_SIZE), not a copy in memory.
    """
    _attempts_check(uploader_ip=uploader_ip, user_id=user_id)
    if not size:
        raise ImageRejected(400, DETAIL_EMPTY)
    if size > upload_max_bytes():
        raise ImageRejected(400, detail_too_large())
    _rate_check(uploader_ip=uploader_ip, now=utc_now())
    with DECODE_SLOTS.slot():
        raw = file.read(upload_max_bytes() + 1)
        if not raw:
            raise ImageRejected(400, DETAIL_EMPTY)
        encoded = image_reencode(raw=raw)
        del raw
    _disk_check(incoming=len(encoded.data))

    image_id = uuid.uuid4()
    name = f"{image_id}{_EXTENSIONS[encoded.mime]}"
    path = _upload_dir() / name
    _write_atomically(path, encoded.data)
    try:
        return ChatImage.objects.create(
            id=image_id,
            user_id=user_id,
            size=len(encoded.data),
            mime=encoded.mime,
            width=encoded.width,
            height=encoded.height,
            path=name,
            uploader_ip=uploader_ip,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# --- lookups --------------------------------------------------------------------------------------


def _live(*, now: datetime):
    return ChatImage.objects.filter(created_at__gt=now - _ttl())


def chat_image_status_get(*, image_id: uuid.UUID, user_id: int | None) -> ChatImage | None:
    """A live image the caller may see, without claiming it: their own or an unclaimed one.
    Anonymous callers see unclaimed images only."""
    owners = Q(user_id__isnull=True)
    if user_id is not None:
        owners |= Q(user_id=user_id)
    image = _live(now=utc_now()).filter(owners, pk=image_id).first()
    if image is None or not _file_of(image).is_file():
        return None
    return image


def chat_image_claim(*, image_id: uuid.UUID, user_id: int) -> ChatImage | None:
    """The live image if it is `user_id`'s, claiming it first if it has no user yet."""
    live = _live(now=utc_now()).filter(pk=image_id)
    # One UPDATE: of two users racing for an unclaimed image exactly one gets it.
    live.filter(user_id__isnull=True).update(user_id=user_id)
    return live.filter(user_id=user_id).first()


def chat_image_owned_get(*, image_id: uuid.UUID, user_id: int) -> ChatImage | None:
    """A live image of `user_id`'s, read only (an unclaimed one is nobody's yet): a
    foreign, expired or vanished image is None, like an unknown one."""
    image = _live(now=utc_now()).filter(pk=image_id, user_id=user_id).first()
    if image is None or not _file_of(image).is_file():
        return None
    return image


def image_age_seconds(*, image: ChatImage) -> int:
    return max(0, int((utc_now() - image.created_at).total_seconds()))


def image_data_url(image: ChatImage) -> str | None:
    """The image as a data URL for a model request; None when unreadable or too big now."""
    try:
        data = _file_of(image).read_bytes()
    except OSError:
        logger.warning("chat image file unreadable", extra={"image_id": str(image.pk)})
        return None
    if len(data) > settings.CHAT_IMAGE_MAX_BYTES:
        # Stored under a larger limit than today's: too big for a chat request now.
        return None
    return f"data:{image.mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_question_build(*, user_id: int, content: str) -> ImageQuestion:
    """The question and images of one chat message from `user_id` (sync: DB and disk).

    Claims the message's unclaimed images for `user_id`. Refs past
    CHAT_IMAGE_MAX_PER_MESSAGE are not read and are reported as missing.
    """
    refs = list(dict.fromkeys(IMAGE_REF.findall(content)))
    text = IMAGE_REF.sub("", content).strip() or DEFAULT_IMAGE_QUESTION
    images: list[str] = []
    missing: list[str] = []
    for position, ref in enumerate(refs):
        image_id = image_id_parse(ref)
        image = None
        if image_id is not None and position < settings.CHAT_IMAGE_MAX_PER_MESSAGE:
            image = chat_image_claim(image_id=image_id, user_id=user_id)
        url = image_data_url(image) if image is not None else None
        if url is None:
            missing.append(ref)
        else:
            images.append(url)
    return ImageQuestion(text=text, images=images, missing=missing)


def image_user_message(*, question: ImageQuestion) -> dict:
    """The OpenAI user message: image parts route the call to a vision model (llm.gateway)."""
    if not question.images:
        return {"role": "user", "content": question.text}
    parts: list[dict] = [{"type": "text", "text": question.text}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in question.images]
    return {"role": "user", "content": parts}


# --- purge ----------------------------------------------------------------------------------------

_PURGE_BATCH = 500


def chat_images_purge(*, now: datetime | None = None) -> PurgeResult:
    """Delete expired images (rows and files), then files older than the TTL that no row
    names (a crash between writing the file and the row, a deleted row)."""
    now = now or utc_now()
    expired = ChatImage.objects.filter(created_at__lte=now - _ttl())
    purged = 0
    while batch := list(expired.values_list("pk", "path")[:_PURGE_BATCH]):
        ChatImage.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        for _, name in batch:
            (_upload_dir() / Path(name).name).unlink(missing_ok=True)
        purged += len(batch)
    return PurgeResult(images=purged, orphan_files=_orphans_purge())


def _orphans_purge() -> int:
    directory = _upload_dir()
    if not directory.is_dir():
        return 0
    cutoff = time.time() - settings.CHAT_IMAGE_TTL_S
    old = [
        entry
        for entry in directory.iterdir()
        if entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < cutoff
    ]
    removed = 0
    for start in range(0, len(old), _PURGE_BATCH):
        chunk = old[start : start + _PURGE_BATCH]
        known = set(
            ChatImage.objects.filter(path__in=[entry.name for entry in chunk]).values_list(
                "path", flat=True
            )
        )
        for entry in chunk:
            if entry.name not in known:
                entry.unlink(missing_ok=True)
                removed += 1
    return removed
