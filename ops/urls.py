from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ops import apis

urlpatterns = [
    path("", apis.RootApi.as_view()),
    path("v1/health", apis.HealthApi.as_view()),
    path("v1/readiness", apis.ReadinessApi.as_view()),
    path("metrics", apis.MetricsApi.as_view()),
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]
