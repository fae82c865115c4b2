"""The reports contract of InfraZen's Reports page, and the signed PDF download.

`POST /v1/reports/render` and `POST /v1/reports/data` take `{"user_id", "role", "context"}`
(the Flask client sends `context: {}` and waits 20 s); `"format": "pdf"` in the render body
answers the PDF itself. Authenticated like the text endpoint: the service token, or the
anonymous networks for the stock client that sends no header. An unknown user is a 404 the
client stores nothing for; a bad body a 400 naming the fields and the valid roles.
"""

from __future__ import annotations

import logging
from typing import Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views import View
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from core import metrics
from core.db import db_sync_to_async
from core.errors import NotFound
from llm.gateway import deadline_in
from ops.errors import error_response
from ops.json_body import BodyRejected, json_body_validate
from ops.service_auth import REFUSED_MESSAGE, service_request_allowed
from ops.views import ServicePostView
from reports.links import pdf_link_valid
from reports.models import AgentReport
from reports.pdf import pdf_render
from reports.roles import ROLE_KEYS
from reports.selectors import report_for_signed_link
from reports.services import report_render, report_snapshot

logger = logging.getLogger(__name__)

USER_ID_MAX = 2**31 - 1
PDF_NOT_FOUND = "Отчёт не найден или ссылка устарела"


class ReportContext(BaseModel):
    model_config = ConfigDict(extra="ignore")

    time_range_days: StrictInt = Field(default=30, ge=1, le=365)


class ReportInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: StrictInt = Field(gt=0, le=USER_ID_MAX)
    role: Literal[ROLE_KEYS]  # type: ignore[valid-type]
    context: ReportContext | None = None
    format: Literal["html", "pdf"] = "html"

    @property
    def period_days(self) -> int:
        return (self.context or ReportContext()).time_range_days


class _ServiceView(ServicePostView):
    def _input(self, request) -> ReportInput:
        return json_body_validate(request, ReportInput)

    async def post(self, request):
        if not service_request_allowed(request):
            return error_response(REFUSED_MESSAGE, "unauthorized", 401)
        try:
            body = self._input(request)
        except BodyRejected as rejected:
            logger.warning(
                "report request refused: %s", rejected.code, extra={"path": request.path}
            )
            if rejected.fields and "role" in rejected.fields:
                rejected.fields["role"] = f"одна из ролей: {', '.join(ROLE_KEYS)}"
            return rejected.response()
        try:
            return await self.answer(body)
        except NotFound as exc:
            return error_response(exc.message, "not_found", 404)


def _json(body: dict) -> JsonResponse:
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


class ReportRenderApi(_ServiceView):
    async def answer(self, body: ReportInput):
        deadline = deadline_in(settings.REPORT_DEADLINE_S)
        report, snapshot = await report_render(
            user_id=body.user_id, role=body.role, period_days=body.period_days, deadline=deadline
        )
        if body.format == "pdf":
            pdf = await sync_to_async(pdf_render, thread_sensitive=False)(html=report.html)
            return _pdf_response(pdf, report)
        return _json(
            {
                "success": True,
                "snapshot": snapshot.model_dump(mode="json"),
                "html": report.html,
                "report_id": str(report.uuid),
                "narrative_source": report.narrative_source,
            }
        )


class ReportDataApi(_ServiceView):
    async def answer(self, body: ReportInput):
        snapshot = await report_snapshot(
            user_id=body.user_id, role=body.role, period_days=body.period_days
        )
        return _json({"success": True, "snapshot": snapshot.model_dump(mode="json")})


def _pdf_response(pdf: bytes, report: AgentReport) -> HttpResponse:
    metrics.report_renders.labels("pdf", report.narrative_source).inc()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"infrazen-report-{report.role}-{report.created_at:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


class ReportPdfApi(View):
    """`GET /v1/reports/<uuid>.pdf?exp=&sig=`: the signature is the credential."""

    http_method_names = ["get"]

    async def get(self, request, report_uuid):
        exp, sig = request.GET.get("exp", ""), request.GET.get("sig", "")
        if not pdf_link_valid(str(report_uuid), exp=exp, sig=sig):
            return error_response(PDF_NOT_FOUND, "not_found", 404)
        report = await db_sync_to_async(report_for_signed_link)(report_uuid=report_uuid)
        if report is None:
            return error_response(PDF_NOT_FOUND, "not_found", 404)
        pdf = await sync_to_async(pdf_render, thread_sensitive=False)(html=report.html)
        return _pdf_response(pdf, report)
