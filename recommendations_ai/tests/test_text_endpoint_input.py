"""Every malformed request to the text endpoint gets a clear JSON error, never a 5xx, through
the real ASGI app (the fast path the InfraZen app's calls take)."""

from __future__ import annotations

import json

import pytest

from ops.tests.asgi_http import asgi_request, traceback_free

URL = "/v1/generate/recommendation-text"
AUTH = {"authorization": "Bearer svc-token", "content-type": "application/json"}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _token(settings):
    settings.AGENT_SERVICE_TOKEN = "svc-token"


def post(body: bytes, headers: dict[str, str] | None = None):
    return asgi_request("POST", URL, body=body, headers=headers or AUTH)


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["error"] and body["detail"] == body["error"]
    assert traceback_free(response.body)


@pytest.mark.parametrize(
    "value",
    [True, False, "28", 28.0, 1e3, 2**31, 2**63, 10**30, -(2**63), 0, None, [], {}],
    ids=repr,
)
def test_ids_are_strict_integers_in_range(value):
    assert_error_shape(post(json.dumps({"recommendation_id": value}).encode()), 400, "invalid")


def test_a_body_nested_past_the_recursion_limit_gets_400():
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_error_shape(post(deep), 400, "invalid")
    deep_object = b'{"recommendation_id": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001
    assert_error_shape(post(deep_object), 400, "invalid")


def test_a_body_over_the_size_limit_gets_413_in_the_same_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"recommendation_id": 1, "pad": "x" * 4096}).encode()
    assert_error_shape(post(body), 413, "too_large")


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00",
        b"{",
        b"nul",
        b"1",
        b'"x"',
        b"[1, 2]",
        '{"recommendation_id": 1\u2028'.encode(),
    ],
    ids=repr,
)
def test_bodies_that_are_not_a_json_object_get_400(raw):
    assert_error_shape(post(raw), 400, "invalid")


def test_an_unknown_id_gets_404_in_the_same_shape():
    assert_error_shape(post(b'{"recommendation_id": 2147483647}'), 404, "not_found")


def test_without_the_token_it_gets_401_in_the_same_shape():
    response = post(b'{"recommendation_id": 1}', headers={"content-type": "application/json"})
    assert_error_shape(response, 401, "unauthorized")


def test_the_worker_still_answers_health_after_the_bad_requests():
    post(b"[" * 100_000)
    assert asgi_request("GET", "/v1/health").status == 200
