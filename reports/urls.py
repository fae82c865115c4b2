from __future__ import annotations

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from reports.apis import ReportDataApi, ReportPdfApi, ReportRenderApi

urlpatterns = [
    # Server-to-server like the text endpoint: no browser session, no CSRF.
    path("v1/reports/render", csrf_exempt(ReportRenderApi.as_view())),
    path("v1/reports/data", csrf_exempt(ReportDataApi.as_view())),
    path("v1/reports/<uuid:report_uuid>.pdf", ReportPdfApi.as_view()),
]
