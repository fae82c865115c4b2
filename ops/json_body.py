"""A JSON request body read and validated without a path to a 5xx.

Every way a body can be wrong becomes a `BodyRejected` carrying the service's error shape:
too big (Django's DATA_UPLOAD_MAX_MEMORY_SIZE), not UTF-8, not JSON, nested past the parser's
recursion limit (`RecursionError` is not a ValueError), or not what the model accepts.
"""

from __future__ import annotations

import json
from typing import TypeVar

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from pydantic import BaseModel, ValidationError

from ops.errors import INVALID_MESSAGE, error_response

Model = TypeVar("Model", bound=BaseModel)

TOO_BIG_MESSAGE = "Тело запроса слишком большое"


class BodyRejected(Exception):
    def __init__(self, *, code: str, status: int, message: str, fields: dict | None = None):
        super().__init__(code)
        self.code = code
        self.status = status
        self.message = message
        self.fields = fields

    def response(self) -> JsonResponse:
        return error_response(self.message, self.code, self.status, fields=self.fields)


def _invalid(fields: dict[str, str]) -> BodyRejected:
    return BodyRejected(code="invalid", status=400, message=INVALID_MESSAGE, fields=fields)


def json_body_read(request) -> object:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyRejected(code="too_large", status=413, message=TOO_BIG_MESSAGE) from None
    try:
        return json.loads(raw or b"null")
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8 and bad JSON; RecursionError a body like [[[[...]]]].
        raise _invalid({"body": "must be a JSON object"}) from None


def json_body_validate(request, model: type[Model]) -> Model:
    body = json_body_read(request)
    if not isinstance(body, dict):
        raise _invalid({"body": "must be a JSON object"})
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _invalid(
            {".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors()}
        ) from None
