"""The report endpoints in the OpenAPI document (ops.openapi)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ops.openapi import Answer, Endpoint, error
from reports.apis import ReportInput
from reports.snapshot import ReportSnapshot

PDF = Answer("The report as an A4 PDF", content_type="application/pdf", schema={})


class ReportRenderOutput(BaseModel):
    success: Literal[True]
    snapshot: ReportSnapshot
    html: str
    report_id: str
    narrative_source: Literal["llm", "template"]


class ReportDataOutput(BaseModel):
    success: Literal[True]
    snapshot: ReportSnapshot


_REFUSALS = {
    400: error("The body is not a report request (user_id, role, context)"),
    401: error("No service token, and not from an allowed network"),
    404: error("No such active user"),
    405: error("Only POST"),
}

ENDPOINTS = [
    Endpoint(
        path="/v1/reports/render",
        method="post",
        summary="A role's report on current data, every figure cited; stored, with a PDF link",
        tag="reports",
        body=ReportInput,
        security=("service",),
        answers={
            200: (Answer("The page and its facts", ReportRenderOutput), PDF),
            **_REFUSALS,
        },
    ),
    Endpoint(
        path="/v1/reports/data",
        method="post",
        summary="The facts of a role's report (the cited snapshot) without rendering it",
        tag="reports",
        body=ReportInput,
        security=("service",),
        answers={200: Answer("The snapshot", ReportDataOutput), **_REFUSALS},
    ),
    Endpoint(
        path="/v1/reports/{report_uuid}.pdf",
        method="get",
        summary="A stored report as PDF, through the signed link its page holds",
        tag="reports",
        parameters=(
            {
                "name": "report_uuid",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid"},
            },
            {"name": "exp", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "sig", "in": "query", "required": True, "schema": {"type": "string"}},
        ),
        answers={200: PDF, 404: error("A wrong or expired signature, or no such report")},
    ),
]
