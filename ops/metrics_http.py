"""HTTP requests counted and timed by route template, method and status (core.metrics)."""

from __future__ import annotations

import time

from core import metrics
from ops.middleware import Middleware

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _labels(request, response) -> tuple[str, str, str]:
    match = getattr(request, "resolver_match", None)
    # The URL pattern, never the path itself: ids in paths would make a series per id.
    route = "/" + match.route if match is not None and match.route else "unmatched"
    method = request.method if request.method in METHODS else "other"
    return route, method, str(response.status_code)


def _record(request, response, started: float) -> None:
    route, method, status = _labels(request, response)
    metrics.http_requests.labels(route, method, status).inc()
    metrics.http_duration.labels(route, method).observe(time.perf_counter() - started)


class HttpMetricsMiddleware(Middleware):
    """First in the chain, so the service fast path and refusals are counted too."""

    def call(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        _record(request, response, started)
        return response

    async def __acall__(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        _record(request, response, started)
        return response
