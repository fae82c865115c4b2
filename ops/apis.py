from __future__ import annotations

import hmac

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from core import metrics
from ops.error_views import NOT_FOUND_MESSAGE
from ops.errors import error_response
from ops.readiness import readiness_checks
from ops.service_auth import token_or_network_allowed
from ops.views import ServiceGetView


class RootApi(APIView):
    def get(self, request):
        return Response(
            {"service": settings.SERVICE_NAME, "version": settings.VERSION, "status": "operational"}
        )


class MetricsApi(ServiceGetView):
    """Prometheus exposition of every worker's metrics (core.metrics), for a scraper holding
    METRICS_TOKEN or on METRICS_NETWORKS; anyone else gets the same 404 as an unknown path."""

    async def get(self, request):
        allowed = token_or_network_allowed(
            request, token=settings.METRICS_TOKEN, networks=settings.METRICS_NETWORKS
        )
        if not allowed:
            return error_response(NOT_FOUND_MESSAGE, "not_found", 404)
        return HttpResponse(
            await sync_to_async(metrics.exposition)(), content_type=metrics.CONTENT_TYPE
        )


class HealthApi(ServiceGetView):
    """Liveness: that the process answers, and which build. Nothing about its configuration.

    On the fast path (ops.service_api.FAST_PATH_PREFIXES): no thread, no middleware chain, so
    a probe waits for nothing but the event loop. A sync DRF view queued behind the text
    requests' work and answered in 0.5–0.7 s at p99 under load, long enough for a liveness
    probe to restart a healthy worker.
    """

    async def get(self, request):
        return JsonResponse(
            {"status": "healthy", "service": settings.SERVICE_NAME, "version": settings.VERSION}
        )


def _service_token_sent(request) -> bool:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    expected = settings.AGENT_SERVICE_TOKEN
    return (
        scheme.lower() == "bearer"
        and bool(expected)
        and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


class ReadinessApi(APIView):
    """Ready or not for anyone (a load balancer needs no token); the checks themselves name
    the LLM provider, its models and host and the database, so only the service token or a
    staff user logged in to the admin sees them."""

    authentication_classes = [SessionAuthentication]

    def get(self, request):
        checks = readiness_checks()
        ready = all(c["ok"] for c in checks if c["required"])
        body = {"status": "ready" if ready else "not_ready"}
        staff = request.user is not None and request.user.is_staff
        if staff or _service_token_sent(request):
            body["checks"] = checks
        return Response(body, status=200 if ready else 503)
