"""`POST /v1/generate/recommendation-text`: the contract the InfraZen app's client uses.

200 with both `*_html` fields and no `error` key is success; anything else makes the app
keep the recommendation's own description (facts §3.2). This is an async view, not a DRF
one: the answer waits on a model for seconds, and DRF views would hold one of the sync
worker threads for all that time.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import JsonResponse
from django.views import View
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm.gateway import deadline_in
from ops.errors import NotFound
from ops.service_auth import REFUSED_MESSAGE, service_request_allowed
from recommendations_ai.services import text_generate_for_service


class TextGenerateInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recommendation_id: int = Field(gt=0)


def _error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


class RecommendationTextGenerateApi(View):
    http_method_names = ["post"]

    async def post(self, request):
        deadline = deadline_in(settings.TEXT_ENDPOINT_DEADLINE_S)
        if not service_request_allowed(request):
            return _error(REFUSED_MESSAGE, 401, code="unauthorized")
        try:
            body = TextGenerateInput.model_validate(json.loads(request.body or b"null"))
        except (ValueError, ValidationError) as exc:
            fields = (
                {".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors()}
                if isinstance(exc, ValidationError)
                else {"body": "must be a JSON object"}
            )
            return _error("Некорректный запрос", 400, code="invalid", fields=fields)
        try:
            result = await text_generate_for_service(
                recommendation_id=body.recommendation_id, deadline=deadline
            )
        except NotFound as exc:
            return _error(exc.message, 404, code="not_found")
        return JsonResponse(
            {
                "recommendation_id": result.recommendation_id,
                "short_description_html": result.short_html,
                "detailed_description_html": result.detailed_html,
                "model": result.model,
                "tokens": result.tokens,
                "source": result.source,
                "cost": float(result.cost_usd),
            },
            json_dumps_params={"ensure_ascii": False},
        )
