"""Structured JSON logs carrying the correlation id of the request or chat turn."""

from __future__ import annotations

import json
import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from core.correlation import correlation_id_var, new_correlation_id

_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
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


class CorrelationIdMiddleware:
    """Takes X-Request-ID from the caller (or makes one) and echoes it on the response.

    Sync and async capable: a sync-only middleware would make Django run every async view
    behind a thread hop (sync_to_async around the middleware, async_to_sync back in).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
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
