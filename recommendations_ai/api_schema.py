"""The recommendation-text endpoint in the OpenAPI document (ops.openapi)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ops.openapi import Answer, Endpoint, error
from recommendations_ai.apis import TextGenerateInput


class TextGenerateOutput(BaseModel):
    recommendation_id: int
    short_description_html: str
    detailed_description_html: str
    model: str
    tokens: int
    source: Literal["llm", "template", "cache"]
    cost: float


ENDPOINTS = [
    Endpoint(
        path="/v1/generate/recommendation-text",
        method="post",
        summary="The short and detailed Russian HTML of one recommendation (model or template)",
        tag="recommendation texts",
        body=TextGenerateInput,
        security=("service",),
        answers={
            200: Answer("Both texts, stored on the recommendation", TextGenerateOutput),
            400: error("The body is not a JSON object with an integer recommendation_id"),
            401: error("No service token, and not from an allowed network"),
            404: error("No such recommendation (or not one the service may show)"),
            405: error("Only POST"),
        },
    )
]
