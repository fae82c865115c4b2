"""Expiring signed links to a report's PDF: `GET /v1/reports/<uuid>.pdf?exp=…&sig=…`.

The stock Reports page opens the HTML with `document.write`, so the PDF link must work
without a session or a token: an HMAC over the uuid and the expiry time, keyed by a secret
of this service, is the credential. A forged, altered or expired link is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings


def _signature(report_uuid: str, expires: int) -> str:
    key = (settings.REPORT_LINK_SECRET or settings.SECRET_KEY).encode()
    message = f"report-pdf:{report_uuid}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def pdf_link(report_uuid: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + settings.REPORT_LINK_TTL_S)
    base = settings.AGENT_PUBLIC_URL.rstrip("/")
    return (
        f"{base}/v1/reports/{report_uuid}.pdf?exp={expires}&sig={_signature(report_uuid, expires)}"
    )


def pdf_link_valid(report_uuid: str, *, exp: str, sig: str, now: float | None = None) -> bool:
    if not exp.isascii() or not exp.isdigit() or len(exp) > 12:
        return False
    expires = int(exp)
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_signature(report_uuid, expires), sig)
