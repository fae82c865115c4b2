"""Structured JSON logs carrying the correlation id of the request or chat turn."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from core.correlation import correlation_id_var, new_correlation_id
from ops.middleware import Middleware

_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _iso_time(created: float) -> str:
    """ISO 8601 with milliseconds and the zone: 2026-12-07T10:48:10.123+03:00."""
    return datetime.fromtimestamp(created).astimezone().isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": _iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": correlation_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def _request_correlation_id(request) -> str:
    return request.headers.get("X-Request-ID", "")[:64] or new_correlation_id()


class CorrelationIdMiddleware(Middleware):
    """Takes X-Request-ID from the caller (or makes one) and echoes it on the response."""

    def call(self, request):
        cid = _request_correlation_id(request)
        token = correlation_id_var.set(cid)
        try:
            response = self.get_response(request)
        finally:
            correlation_id_var.reset(token)
        response["X-Request-ID"] = cid
        return response

    async def __acall__(self, request):
        cid = _request_correlation_id(request)
        token = correlation_id_var.set(cid)
        try:
            response = await self.get_response(request)
        finally:
            correlation_id_var.reset(token)
        response["X-Request-ID"] = cid
        return response
