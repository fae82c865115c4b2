from __future__ import annotations

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from recommendations_ai.apis import RecommendationTextGenerateApi

urlpatterns = [
    # Server-to-server, authenticated by the service token: no browser session, no CSRF.
    path(
        "v1/generate/recommendation-text",
        csrf_exempt(RecommendationTextGenerateApi.as_view()),
    ),
]
