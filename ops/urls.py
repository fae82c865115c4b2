from __future__ import annotations

from django.urls import path

from ops import apis

urlpatterns = [
    path("", apis.RootApi.as_view()),
    path("v1/health", apis.HealthApi.as_view()),
    path("v1/readiness", apis.ReadinessApi.as_view()),
    path("metrics", apis.MetricsApi.as_view()),
]
