"""The path prefix the service is published under, from its public URL (settings-time).

Imported by the settings module, so nothing here reads Django's settings.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def script_name_from(*, public_url: str, override: str | None) -> str | None:
    """'/agent' for https://infrazen.ru/agent/; None for no prefix.

    `override` (AGENT_SCRIPT_NAME) wins when set, "" meaning none.
    """
    raw = override if override is not None else urlsplit(public_url).path
    prefix = raw.strip().rstrip("/")
    if not prefix:
        return None
    if not prefix.startswith("/") or "?" in prefix or "#" in prefix or "//" in prefix:
        raise ImproperlyConfigured(
            f"the service's path prefix {raw!r} (AGENT_SCRIPT_NAME or the path of "
            "AGENT_PUBLIC_URL) must be a path such as /agent"
        )
    return prefix
