"""The OpenAPI document: valid OpenAPI 3.1, every route described, and real answers of every
endpoint (successes and refusals) valid against it (openapi-core)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIResponse
from openapi_core.testing import MockRequest
from openapi_spec_validator import validate

from chat.flask_tokens import chat_token_mint_for_tests
from demo_data.personas import ALICE_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import InfraZenUser, OptimizationRecommendation

UNDOCUMENTED = ("admin/", "v1/schema", "v1/docs", "console/")  # pages, not REST


@pytest.fixture
def document(client) -> dict:
    response = client.get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def checked(client, document, settings):
    """A GET/POST through the test client whose answer must match the document."""
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    openapi = OpenAPI.from_dict(document)

    def call(method: str, path: str, status: int, **kwargs):
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == status, response.content[:300]
        # The request by its URL: openapi-core's Django adapter drops a route's ".pdf" suffix.
        sent = response.wsgi_request
        request = MockRequest("http://testserver", method, sent.path, args=dict(sent.GET))
        openapi.validate_response(request, DjangoOpenAPIResponse(response))
        return response

    return call


def _routes(patterns, prefix: str = "") -> list[str]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append(prefix + str(entry.pattern))
    return found


@pytest.mark.django_db
def test_the_document_is_valid_openapi_3_1(document):
    validate(document)

    assert document["openapi"].startswith("3.1")


@pytest.mark.django_db
def test_every_route_of_the_urlconf_is_described(document):
    described = {path.lstrip("/") for path in document["paths"]}
    routes = {
        route.replace("<str:", "{").replace("<uuid:", "{").replace(">", "}")
        for route in _routes(get_resolver().url_patterns)
        if not route.startswith(UNDOCUMENTED)
    }

    assert routes == described


@pytest.mark.django_db
def test_the_service_endpoints_answer_as_documented(checked):
    checked("get", "/", 200)
    checked("get", "/v1/health", 200)
    checked("get", "/v1/readiness", 200)
    checked("get", "/metrics", 200)
    checked("get", "/metrics", 404, REMOTE_ADDR="10.1.2.3")
    checked("get", "/v1/chat/connections", 200)


@pytest.mark.django_db
def test_the_text_endpoint_answers_as_documented(checked, settings):
    settings.AI_TEXT_MODE = "template"
    demo_seed()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    rec = OptimizationRecommendation.objects.filter(resource__provider__user=alice).first()
    path = "/v1/generate/recommendation-text"
    body = {"content_type": "application/json"}

    checked("post", path, 200, data={"recommendation_id": rec.pk}, **body)
    checked("post", path, 400, data={"recommendation_id": "28"}, **body)
    checked("post", path, 404, data={"recommendation_id": 2**31 - 1}, **body)
    checked("post", path, 401, data={"recommendation_id": rec.pk}, REMOTE_ADDR="10.1.2.3", **body)


@pytest.mark.django_db
def test_the_report_endpoints_answer_as_documented(checked):
    demo_seed()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    body = {"content_type": "application/json"}
    request = {"user_id": alice.pk, "role": "cfo", "context": {}}

    checked("post", "/v1/reports/data", 200, data=request, **body)
    checked("post", "/v1/reports/render", 200, data=request, **body)
    checked("post", "/v1/reports/render", 400, data={**request, "role": "ceo"}, **body)
    checked("post", "/v1/reports/data", 404, data={**request, "user_id": 999_999}, **body)
    checked(
        "get",
        "/v1/reports/00000000-0000-4000-8000-000000000000.pdf",
        404,
        data={"exp": "1", "sig": "x"},
    )


@pytest.mark.django_db
def test_the_chat_rest_endpoints_answer_as_documented(checked):
    demo_seed()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {"content_type": "application/json"}

    checked("post", "/v1/chat/start", 201, data={}, **body, **bearer)
    checked("post", "/v1/chat/start", 200, data={}, **body, **bearer)
    checked("post", "/v1/chat/start", 401, data={}, **body)
    checked("post", "/v1/chat/upload", 422, data={}, **bearer)
    checked("get", "/v1/chat/image/00000000-0000-4000-8000-000000000000", 200, **bearer)
    checked("get", "/v1/chat/image/not-an-id", 400, **bearer)


@pytest.mark.django_db
def test_the_docs_page_loads_nothing_from_another_origin(client):
    page = client.get("/v1/docs")
    script = client.get("/v1/docs", {"script": ""})

    assert page.status_code == 200 and script.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "<script>" not in html  # the init script is a file of its own (CSP: no inline)
    assert not [url for url in _urls(html + script.content.decode()) if "testserver" not in url]


def _urls(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


@pytest.mark.django_db
def test_in_production_the_docs_and_schema_are_for_staff_only(client, settings, django_user_model):
    settings.AGENT_ENV = "prod"
    assert client.get("/v1/schema").status_code == 403
    assert client.get("/v1/docs").status_code == 403

    staff = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(staff)

    assert client.get("/v1/schema").status_code == 200
    assert client.get("/v1/docs").status_code == 200
