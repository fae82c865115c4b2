"""`POST /v1/generate/recommendation-text`: the contract the InfraZen app's client uses.

200 with both `*_html` fields and no `error` key is success; anything else makes the app
keep the recommendation's own description (contract §4.1). This is an async view, not a DRF
one: the answer waits on a model for seconds, and DRF views would hold one of the sync
worker threads for all that time.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from core.errors import NotFound
from llm.gateway import deadline_in
from ops.errors import error_response
from ops.json_body import BodyRejected, json_body_validate
from ops.service_auth import REFUSED_MESSAGE, service_request_allowed
from ops.views import ServicePostView
from recommendations_ai.services import text_generate_for_service

logger = logging.getLogger(__name__)

# optimization_recommendations.id is a signed INT (contract §1).
RECOMMENDATION_ID_MAX = 2**31 - 1


class TextGenerateInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Strict: `true`, "28" and 28.0 are not ids.
    recommendation_id: StrictInt = Field(gt=0, le=RECOMMENDATION_ID_MAX)


class RecommendationTextGenerateApi(ServicePostView):
    async def post(self, request):
        deadline = deadline_in(settings.TEXT_ENDPOINT_DEADLINE_S)
        if not service_request_allowed(request):
            return error_response(REFUSED_MESSAGE, "unauthorized", 401)
        try:
            body = json_body_validate(request, TextGenerateInput)
        except BodyRejected as rejected:
            logger.warning("text request refused: %s", rejected.code, extra={"path": request.path})
            return rejected.response()
        try:
            result = await text_generate_for_service(
                recommendation_id=body.recommendation_id, deadline=deadline
            )
        except NotFound as exc:
            return error_response(exc.message, "not_found", 404)
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
