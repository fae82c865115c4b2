"""The service's URLconf with views that fail in each way Django answers for them
(ops/tests/test_error_pages.py): the handlers are agentsite.urls' own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from agentsite.urls import handler400, handler403, handler404, handler500  # noqa: F401
from agentsite.urls import urlpatterns as site_urlpatterns


def suspicious(request):
    raise SuspiciousOperation("a forged header")


def forbidden(request):
    raise PermissionDenied("not yours")


def missing(request):
    raise Http404("no such row: 42 (secret detail)")


def broken(request):
    raise RuntimeError("a bug with /etc/secret in its message")


async def broken_async(request):
    raise RuntimeError("an async bug with /etc/secret in its message")


FAILING = {
    400: "test-errors/400",
    403: "test-errors/403",
    404: "test-errors/404",
    500: "test-errors/500",
}

urlpatterns = [
    path(FAILING[400], suspicious),
    path(FAILING[403], forbidden),
    path(FAILING[404], missing),
    path(FAILING[500], broken),
    path("test-errors/500-async", broken_async),
    *site_urlpatterns,
]
