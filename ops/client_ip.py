"""The address a request came from, as the proxy in front of us vouches for it."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the last entry of CLIENT_IP_HEADER when a proxy sets it.

    The proxy appends the peer it saw, so only the last entry is one it vouches for; anything
    a client wrote before it is ignored. None when neither is an IP address.
    """
    header = settings.CLIENT_IP_HEADER
    value = ""
    if header:
        value = request.headers.get(header, "").split(",")[-1].strip()
    value = value or request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
