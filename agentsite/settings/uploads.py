"""Screenshots in the chat, and the per-address limits of uploads and admin sign-ins."""

from __future__ import annotations

from pathlib import Path

from .base import BASE_DIR, env

# --- Screenshots in the chat (POST /v1/chat/upload, chat.images) ----------------------------
_upload_dir = Path(env.str("CHAT_UPLOAD_DIR", default="var/uploads"))
CHAT_UPLOAD_DIR = _upload_dir if _upload_dir.is_absolute() else BASE_DIR / _upload_dir
# An image can be referenced in the chat for this long after its upload, then it is purged.
CHAT_IMAGE_TTL_S = env.int("CHAT_IMAGE_TTL_S", default=3600)
# The stock InfraZen client uploads without a token; an anonymous image belongs to the first
# user whose chat message refers to it. False: a chat token is required to upload.
CHAT_UPLOAD_ANONYMOUS = env.bool("CHAT_UPLOAD_ANONYMOUS", default=True)
CHAT_UPLOAD_MAX_MB = env.int("CHAT_UPLOAD_MAX_MB", default=5)
# A 5K screen (5120 × 2880) or a long page screenshot fits; a 25 MP bomb does not.
CHAT_UPLOAD_MAX_PIXELS = env.int("CHAT_UPLOAD_MAX_PIXELS", default=16_777_216)
CHAT_UPLOAD_RATE_PER_MINUTE = env.int("CHAT_UPLOAD_RATE_PER_MINUTE", default=10)
# Upload attempts per client address and per user a minute, refused ones included.
CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = env.int("CHAT_UPLOAD_ATTEMPTS_PER_MINUTE", default=20)
# Decodes at once per process, how long an upload waits for one, and the memory one decode may
# take (pixels × bytes per pixel, plus the RGB(A) copy), from the header before any decoding.
CHAT_UPLOAD_DECODE_CONCURRENCY = env.int("CHAT_UPLOAD_DECODE_CONCURRENCY", default=1)
CHAT_UPLOAD_DECODE_WAIT_S = env.float("CHAT_UPLOAD_DECODE_WAIT_S", default=5.0)
CHAT_UPLOAD_DECODE_MAX_MB = env.int("CHAT_UPLOAD_DECODE_MAX_MB", default=120)
CHAT_UPLOAD_MAX_TOTAL_MB = env.int("CHAT_UPLOAD_MAX_TOTAL_MB", default=512)
# The header the proxy sets to the client's address (e.g. X-Real-IP), for per-address limits
# (uploads, admin logins). Empty: REMOTE_ADDR. The older upload-only name is still read.
CLIENT_IP_HEADER = env.str(
    "CLIENT_IP_HEADER", default=env.str("CHAT_UPLOAD_CLIENT_IP_HEADER", default="")
)
# Admin sign-in: failed attempts allowed per username and per address in the window, after
# which even the right password waits for the window to pass (ops.admin_login).
ADMIN_LOGIN_FAILURES_PER_USERNAME = env.int("ADMIN_LOGIN_FAILURES_PER_USERNAME", default=5)
ADMIN_LOGIN_FAILURES_PER_ADDRESS = env.int("ADMIN_LOGIN_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOGIN_WINDOW_S = env.int("ADMIN_LOGIN_WINDOW_S", default=900)
# What is stored and sent to the vision model: longest side and bytes after re-encoding.
CHAT_IMAGE_MAX_SIDE = env.int("CHAT_IMAGE_MAX_SIDE", default=2048)
CHAT_IMAGE_MAX_BYTES = env.int("CHAT_IMAGE_MAX_BYTES", default=1_048_576)
CHAT_IMAGE_MAX_PER_MESSAGE = env.int("CHAT_IMAGE_MAX_PER_MESSAGE", default=4)
