"""The one error shape every REST answer of the service uses.

    {"error": "<Russian or English message>", "code": "<machine code>", "detail": "<same message>",
     "fields": {...}}   # fields only for a body that failed validation

`error` is what the InfraZen app's text client looks for, `detail` what its browser upload
client shows (and the reports client reads), so one body serves every caller unchanged.
Services and selectors raise `core.errors` (DRF-free, so the data layer can); DRF views get
the shape from `exception_handler`, plain Django views and the URLconf's handler400/403/404/500
from `error_response`. Raw
exception text and tracebacks never reach a client.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError, TooManyRequests

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Внутренняя ошибка сервиса"
INVALID_MESSAGE = "Некорректный запрос"


def error_body(message: str, code: str, *, fields: dict[str, Any] | None = None) -> dict:
    body: dict[str, Any] = {"error": message, "code": code, "detail": message}
    if fields is not None:
        body["fields"] = fields
    return body


def error_response(
    message: str,
    code: str,
    status_code: int,
    *,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """The error shape as a plain Django response (async views, URLconf handlers)."""
    return JsonResponse(
        error_body(message, code, fields=fields),
        status=status_code,
        headers=headers,
        json_dumps_params={"ensure_ascii": False},
    )


def exception_handler(exc, context):
    if isinstance(exc, TooManyRequests):
        return Response(
            error_body(exc.message, exc.code),
            status=exc.http_status,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    if isinstance(exc, ServiceError):
        return Response(error_body(exc.message, exc.code), status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Unknown failure: log it with its traceback, show the caller nothing of it.
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            error_body(INTERNAL_MESSAGE, "internal_error"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail and len(detail) == 1:
        code = getattr(detail["detail"], "code", None) or "error"
        response.data = error_body(str(detail["detail"]), str(code))
    else:
        response.data = error_body(INVALID_MESSAGE, "invalid", fields=detail)
    return response
