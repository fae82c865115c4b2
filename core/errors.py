"""The errors services and selectors raise; ops.errors turns them into the REST error shape.

Plain exceptions with an HTTP status as a number, so the data layer raises them without
depending on DRF or the HTTP layer.
"""

from __future__ import annotations


class ServiceError(Exception):
    http_status = 400
    code = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooManyRequests(ServiceError):
    """A limit refused the request: try again in `retry_after_s` (the Retry-After header)."""

    http_status = 429
    code = "too_many_requests"
    retry_after_s = 60


class NotFound(ServiceError):
    """A missing row, or one the acting user may not see: the two look the same."""

    http_status = 404
    code = "not_found"
