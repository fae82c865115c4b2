"""The OpenAPI document of every REST endpoint, served by drf-spectacular (/v1/schema, /v1/docs).

Most endpoints are async Django views with pydantic bodies (the fast path the InfraZen app
calls), which drf-spectacular cannot see. So each app describes its endpoints in its own
`api_schema.py` (`ENDPOINTS`: path, method, the pydantic models in and out, who may call),
found the way the admin finds `admin.py`, and `document_paths` (a drf-spectacular
postprocessing hook) writes them into the document with their models as components.
ops/tests/test_openapi.py checks that every route is described and validates real answers
against the document.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from pydantic import BaseModel, ConfigDict
from rest_framework.permissions import BasePermission

REF = "#/components/schemas/{model}"

SECURITY_SCHEMES = {
    "service": {
        "type": "http",
        "scheme": "bearer",
        "description": "AGENT_SERVICE_TOKEN; or none from AGENT_ANONYMOUS_NETWORKS, not proxied",
    },
    "chat_token": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The chat token InfraZen mints (HS256, claims user_id and scenario)",
    },
    "metrics": {
        "type": "http",
        "scheme": "bearer",
        "description": "METRICS_TOKEN; or none from METRICS_NETWORKS, not proxied",
    },
}


class DocsAccess(BasePermission):
    """The schema and docs: anyone in development, staff signed in to the admin in prod."""

    def has_permission(self, request, view) -> bool:
        if settings.AGENT_ENV != "prod":
            return True
        return bool(request.user and request.user.is_staff)


class ErrorBody(BaseModel):
    """Every refusal and failure: `error` for the InfraZen app, `detail` for its pages."""

    model_config = ConfigDict(extra="allow")

    error: str
    code: str
    detail: str
    fields: dict[str, Any] | None = None


@dataclass(frozen=True)
class Answer:
    """One response: a pydantic model (JSON), or another content type with a plain schema."""

    description: str
    model: type[BaseModel] | None = None
    content_type: str = "application/json"
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Endpoint:
    path: str  # OpenAPI form: /v1/chat/image/{image_id}
    method: str
    summary: str
    tag: str
    answers: dict[int, Answer | tuple[Answer, ...]]
    body: type[BaseModel] | None = None
    body_content_type: str = "application/json"
    body_schema: dict[str, Any] | None = None
    security: tuple[str, ...] = ()
    anonymous_allowed: bool = True
    parameters: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def error(description: str) -> Answer:
    return Answer(description, ErrorBody)


def endpoints() -> list[Endpoint]:
    """Every app's `api_schema.ENDPOINTS`, in app order."""
    found: list[Endpoint] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.api_schema")
        except ModuleNotFoundError as missing:
            if missing.name != f"{config.name}.api_schema":
                raise
            continue
        found.extend(module.ENDPOINTS)
    return found


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode="serialization")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _content(
    content_type: str,
    model: type[BaseModel] | None,
    schema: dict[str, Any] | None,
    components: dict[str, Any],
) -> dict[str, Any]:
    if model is not None:
        return {content_type: {"schema": _schema(model, components)}}
    return {content_type: {"schema": schema or {}}}


def _response(answers: Answer | tuple[Answer, ...], components: dict[str, Any]) -> dict:
    """One status's response; several answers are its content types (JSON or a PDF)."""
    answers = answers if isinstance(answers, tuple) else (answers,)
    content: dict[str, Any] = {}
    for answer in answers:
        content |= _content(answer.content_type, answer.model, answer.schema, components)
    return {"description": " / ".join(a.description for a in answers), "content": content}


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.method
        + endpoint.path.replace("/", "_").replace("{", "").replace("}", ""),
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": {
            str(status): _response(answers, components)
            for status, answers in sorted(endpoint.answers.items())
        },
    }
    if endpoint.parameters:
        operation["parameters"] = list(endpoint.parameters)
    if endpoint.body is not None or endpoint.body_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _content(
                endpoint.body_content_type, endpoint.body, endpoint.body_schema, components
            ),
        }
    if endpoint.security:
        operation["security"] = [{name: []} for name in endpoint.security] + (
            [{}] if endpoint.anonymous_allowed else []
        )
    return operation


def no_discovered_endpoints(endpoints, **kwargs) -> list:
    """drf-spectacular preprocessing hook: no guessing from the DRF views (most endpoints are
    not DRF views); `document_paths` writes every endpoint from the apps' descriptions."""
    return []


def document_paths(result: dict[str, Any], generator=None, request=None, public=None) -> dict:
    """drf-spectacular postprocessing hook: the described endpoints are the document."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints():
        paths.setdefault(endpoint.path, {})[endpoint.method] = _operation(endpoint, components)
    result["paths"] = paths
    result["components"] = {
        "schemas": dict(sorted(components.items())),
        "securitySchemes": SECURITY_SCHEMES,
    }
    return result
