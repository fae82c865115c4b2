"""The service's own endpoints in the OpenAPI document (ops.openapi)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from ops.openapi import Answer, Endpoint, error


class Service(BaseModel):
    service: str
    version: str
    status: Literal["operational"]


class Health(BaseModel):
    status: Literal["healthy"]
    service: str
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    # Only for the service token or a staff session: they name hosts and models.
    checks: list[dict[str, Any]] | None = None


ENDPOINTS = [
    Endpoint(
        path="/",
        method="get",
        summary="Which service this is",
        tag="service",
        answers={200: Answer("Name and version", Service)},
    ),
    Endpoint(
        path="/v1/health",
        method="get",
        summary="Liveness: the process answers (never queued behind work)",
        tag="service",
        answers={200: Answer("Alive", Health)},
    ),
    Endpoint(
        path="/v1/readiness",
        method="get",
        summary="Readiness: database, channel layer, model configuration",
        tag="service",
        security=("service",),
        answers={
            200: Answer("Ready", Readiness),
            503: Answer("Not ready (or shutting down)", Readiness),
        },
    ),
    Endpoint(
        path="/metrics",
        method="get",
        summary="Prometheus metrics of every worker",
        tag="service",
        security=("metrics",),
        answers={
            200: Answer(
                "Prometheus text format", content_type="text/plain", schema={"type": "string"}
            ),
            404: error("Not on METRICS_NETWORKS and no METRICS_TOKEN"),
        },
    ),
]
