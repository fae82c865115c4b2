"""Server-to-server authentication for the REST endpoints the InfraZen app calls.

A request is accepted when it carries `Authorization: Bearer <AGENT_SERVICE_TOKEN>`. The
current InfraZen client sends no header at all, so `AGENT_ANONYMOUS_NETWORKS` may list the
networks (CIDR) whose requests are accepted without one. That trust is never extended to a
request that came through a proxy: behind nginx every client shares the proxy's address.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from functools import lru_cache

from django.conf import settings

logger = logging.getLogger(__name__)

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_VIA")


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in spec if cidr.strip())


def _bearer(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _anonymous_trusted(request, networks: list[str]) -> bool:
    if any(request.META.get(h) for h in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in net for net in _networks(tuple(networks)))


REFUSED_MESSAGE = "Service token required: send Authorization: Bearer <AGENT_SERVICE_TOKEN>."


def token_or_network_allowed(request, *, token: str, networks: list[str]) -> bool:
    """The request carries `Authorization: Bearer <token>` (a configured, non-empty one), or
    none and comes straight (no proxy header) from one of `networks`."""
    sent = _bearer(request)
    if sent is not None:
        return bool(token) and hmac.compare_digest(sent.encode(), token.encode())
    return _anonymous_trusted(request, networks)


def service_request_allowed(request) -> bool:
    allowed = token_or_network_allowed(
        request, token=settings.AGENT_SERVICE_TOKEN, networks=settings.AGENT_ANONYMOUS_NETWORKS
    )
    if not allowed:
        logger.warning(
            "service request refused",
            extra={"path": request.path, "remote_addr": request.META.get("REMOTE_ADDR")},
        )
    return allowed
