"""Service errors and the one place they become HTTP responses.

Services raise these small classes; the DRF exception handler below turns them (and DRF's
own errors) into `{"error": ...}` bodies. Raw exception text never reaches a client.
"""

from __future__ import annotations

import logging

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    http_status = status.HTTP_400_BAD_REQUEST
    code = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """A missing row, or one the acting user may not see: the two look the same."""

    http_status = status.HTTP_404_NOT_FOUND
    code = "not_found"


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response({"error": exc.message, "code": exc.code}, status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Unknown failure: log it with its traceback, show the caller nothing of it.
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            {"error": "Внутренняя ошибка сервиса", "code": "internal_error"},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail and len(detail) == 1:
        response.data = {"error": str(detail["detail"]), "code": "error"}
    else:
        response.data = {"error": "Некорректный запрос", "code": "invalid", "fields": detail}
    return response
