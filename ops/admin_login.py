"""The admin's sign-in, throttled: failed passwords are counted per username and per address.

Without it thirty wrong passwords and then the right one logged in. Each failure counts once
against the username tried and once against the address it came from (ops.ratelimit, shared
by every worker); past ADMIN_LOGIN_FAILURES_PER_USERNAME or ..._PER_ADDRESS failures in the
window every attempt is refused, the right password too, until the window ends, and the
refusal says when to try again. The windows are fixed, so a patient guesser gets at most
twice the limit per window: ten guesses in fifteen minutes, not thousands.
"""

from __future__ import annotations

import hashlib
import logging
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from ops.client_ip import client_ip
from ops.ratelimit import rate_count, rate_hit, window_remaining_s
from ru_format import plural

logger = logging.getLogger(__name__)


def _keys(*, username: str, address: str | None) -> list[tuple[str, int]]:
    # Hashed: the counters table holds no usernames, and any username fits the key column.
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    keys = [(f"admin-login:user:{digest}", settings.ADMIN_LOGIN_FAILURES_PER_USERNAME)]
    if address:
        keys.append((f"admin-login:addr:{address}", settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS))
    return keys


def locked_text(*, retry_after_s: int) -> str:
    minutes = max(1, math.ceil(retry_after_s / 60))
    unit = plural(minutes, "минуту", "минуты", "минут")
    return f"Слишком много неудачных попыток входа. Повторите через {minutes} {unit}."


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Django's admin sign-in form, refusing every attempt once the failures run out."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        window_s = settings.ADMIN_LOGIN_WINDOW_S
        address = client_ip(self.request) if self.request is not None else None
        keys = _keys(username=username, address=address)
        if any(rate_count(key=key, window_s=window_s) >= limit for key, limit in keys):
            logger.warning(
                "admin sign-in refused: too many failures", extra={"remote_addr": address}
            )
            retry_after_s = window_remaining_s(window_s=window_s)
            raise ValidationError(locked_text(retry_after_s=retry_after_s), code="locked")
        try:
            return super().clean()
        except ValidationError:
            for key, limit in keys:
                rate_hit(key=key, limit=limit, window_s=window_s)
            raise
