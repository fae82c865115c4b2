from __future__ import annotations

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_URL = "/v1/generate/recommendation-text"


@pytest.fixture
def token(settings):
    settings.AGENT_SERVICE_TOKEN = "svc-token"
    return {"Authorization": "Bearer svc-token", "X-Request-ID": "fast-1"}


async def test_the_text_endpoint_is_served_without_the_admin_middleware(token):
    response = await AsyncClient().post(
        TEXT_URL, {"recommendation_id": 987654}, content_type="application/json", headers=token
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["X-Request-ID"] == "fast-1"
    # XFrameOptionsMiddleware sits at the end of the chain: it never saw this request.
    assert "X-Frame-Options" not in response


async def test_other_paths_still_take_the_whole_chain():
    response = await AsyncClient().get("/v1/health")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


async def test_an_unknown_path_under_the_prefix_gets_djangos_404(token):
    response = await AsyncClient().post(TEXT_URL + "-nope", {}, headers=token)

    assert response.status_code == 404
