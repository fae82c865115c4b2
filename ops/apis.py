from __future__ import annotations

from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from ops.readiness import readiness_checks


class RootApi(APIView):
    def get(self, request):
        return Response(
            {"service": settings.SERVICE_NAME, "version": settings.VERSION, "status": "operational"}
        )


class HealthApi(APIView):
    def get(self, request):
        return Response(
            {
                "status": "healthy",
                "service": settings.SERVICE_NAME,
                "version": settings.VERSION,
                "environment": settings.AGENT_ENV,
            }
        )


class ReadinessApi(APIView):
    def get(self, request):
        checks = readiness_checks()
        ready = all(c["ok"] for c in checks if c["required"])
        return Response(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status=200 if ready else 503,
        )
