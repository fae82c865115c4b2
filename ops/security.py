"""Host validation and security headers on every response, the fast path's as well.

Django's SecurityMiddleware (HTTPS redirect, HSTS, nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy) and XFrameOptionsMiddleware stay in the middleware chain, where
`manage.py check --deploy` looks for them, and django-csp builds the Content-Security-Policy.
ops.service_api's fast path skips the chain, so `ResponseSecurity` runs those same
middleware's own methods on its requests: the same code and settings, no copy of their
rules. The methods are plain CPU work, so they are called directly, without the thread hop
Django's MiddlewareMixin adds around each of them in an async request.
"""

from __future__ import annotations

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.constants import NONE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from ops.errors import error_response

logger = logging.getLogger(__name__)

# A JSON answer loads nothing, submits nothing and is framed nowhere.
JSON_POLICY = {
    "default-src": [NONE],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [NONE],
}

HOST_REFUSED_MESSAGE = "Имя хоста в запросе не разрешено"


def _json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ServiceCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with JSON_POLICY for JSON responses (the site's policy, for the
    admin's HTML, allows its own scripts and styles, which a JSON answer never needs)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and _json(response):
            parts.config = JSON_POLICY
        return parts


def _unused(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("only the middleware's process_* methods are called")


class ResponseSecurity:
    """What the chain's security middleware do to a request and its response, as calls."""

    def __init__(self) -> None:
        # Built with the chain (at handler start), so they read the same settings it does.
        self._security = SecurityMiddleware(_unused)
        self._csp = ServiceCSPMiddleware(_unused)
        self._frame = XFrameOptionsMiddleware(_unused)

    def request_check(self, request: HttpRequest) -> HttpResponseBase | None:
        """The HTTPS redirect for a request that should have come over TLS; None to go on."""
        self._csp.process_request(request)
        return self._security.process_request(request)

    def response_secure(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        # Innermost first, as the chain would.
        response = self._frame.process_response(request, response)
        response = self._csp.process_response(request, response)
        return self._security.process_response(request, response)


def host_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """A JSON 400 for a Host header outside ALLOWED_HOSTS, else None.

    Django would raise DisallowedHost wherever get_host() is first called (CommonMiddleware,
    or never on the fast path) and log it as an error with a traceback; a stray scanner's
    Host header is a refusal, not a fault.
    """
    try:
        request.get_host()
    except DisallowedHost:
        logger.warning(
            "request refused: host not allowed",
            extra={
                "host": request.META.get("HTTP_HOST", "")[:200],
                "path": request.path[:200],
            },
        )
        return error_response(HOST_REFUSED_MESSAGE, "disallowed_host", 400)
    return None


class AllowedHostsMiddleware:
    """Refuses a Host outside ALLOWED_HOSTS before any view or fast path sees the request.

    Sync and async capable: no thread hop around it in an async request.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.security = ResponseSecurity()
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        refusal = host_refusal(request)
        if refusal is not None:
            return self.security.response_secure(request, refusal)
        return self.get_response(request)

    async def __acall__(self, request):
        refusal = host_refusal(request)
        if refusal is not None:
            return self.security.response_secure(request, refusal)
        return await self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """django-csp's CSPMiddleware in the chain, without the two thread hops its MiddlewareMixin
    base costs every async request (its methods only build a header)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = ServiceCSPMiddleware(_unused)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        self.csp.process_request(request)
        return self.csp.process_response(request, self.get_response(request))

    async def __acall__(self, request):
        self.csp.process_request(request)
        return self.csp.process_response(request, await self.get_response(request))
