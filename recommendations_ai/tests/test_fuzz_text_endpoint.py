"""Generated requests to the text endpoint (Hypothesis): whatever the body, headers or method,
the answer is the documented JSON shape, never a 5xx or a traceback, and the worker goes on
answering `/v1/health`."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.tests.asgi_http import asgi_request, traceback_free

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=30,
)
bodies = st.one_of(
    st.builds(lambda v: json.dumps({"recommendation_id": v}).encode(), json_values),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.binary(max_size=300),
    st.integers(min_value=1, max_value=30_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=30_000).map(lambda n: b"[" * n),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "",
    ]
)


@pytest.fixture(autouse=True)
def _token(settings):
    settings.AGENT_SERVICE_TOKEN = "svc-token"


def check(response, allowed: set[int]) -> None:
    assert response.status in allowed, response.body[:300]
    assert response.status < 500
    assert traceback_free(response.body)
    if response.status != 200:
        body = response.json()
        assert set(body) >= {"error", "code", "detail"}


@FUZZ
@given(body=bodies, content_type=content_types)
def test_any_body_gets_the_documented_shape(body, content_type):
    headers = {"authorization": "Bearer svc-token", "content-type": content_type}
    check(asgi_request("POST", URL, body=body, headers=headers), {200, 400, 404, 413})


@FUZZ
@given(
    method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "FOO"]),
    authorization=st.one_of(st.just(""), st.text(st.characters(max_codepoint=255), max_size=60)),
)
def test_any_method_or_authorization_gets_the_documented_shape(method, authorization):
    headers = {"authorization": authorization} if authorization else {}
    response = asgi_request(method, URL, body=b'{"recommendation_id": 1}', headers=headers)
    check(response, {401, 405})
    if response.status == 405:
        assert response.headers["allow"] == "POST"


def test_the_worker_answers_health_after_the_fuzzing():
    assert asgi_request("GET", "/v1/health").status == 200
