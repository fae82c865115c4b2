from __future__ import annotations

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_URL = "/v1/generate/recommendation-text"


@pytest.fixture
def token(settings):
    settings.AGENT_SERVICE_TOKEN = "svc-token"
    return {"Authorization": "Bearer svc-token", "X-Request-ID": "fast-1"}


@pytest.fixture
def chain_requests(monkeypatch):
    """The paths of the requests the session middleware (in the middle of the chain) saw."""
    from django.contrib.sessions.middleware import SessionMiddleware

    seen = []
    process_request = SessionMiddleware.process_request

    def recorded(self, request):
        seen.append(request.path)
        return process_request(self, request)

    monkeypatch.setattr(SessionMiddleware, "process_request", recorded)
    return seen


async def test_the_text_endpoint_is_served_without_the_admin_middleware(token, chain_requests):
    response = await AsyncClient().post(
        TEXT_URL, {"recommendation_id": 987654}, content_type="application/json", headers=token
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["X-Request-ID"] == "fast-1"
    assert chain_requests == []
    # Yet with the chain's security headers (ops/tests/test_security_headers.py).
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


async def test_other_paths_still_take_the_whole_chain(chain_requests):
    response = await AsyncClient().get("/v1/readiness")

    assert response.status_code == 200
    assert chain_requests == ["/v1/readiness"]


async def test_liveness_takes_the_fast_path_with_the_same_headers(chain_requests):
    """A probe waits for nothing but the event loop: no thread, no middleware chain."""
    response = await AsyncClient().get("/v1/health", headers={"X-Request-ID": "probe-1"})

    assert response.status_code == 200
    assert response.json()["status"] == "healthy"
    assert chain_requests == []
    assert response["X-Request-ID"] == "probe-1"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("method", "status"), [("head", 200), ("post", 405), ("delete", 405)])
async def test_liveness_answers_get_and_head_only(method, status):
    response = await getattr(AsyncClient(), method)("/v1/health")

    assert response.status_code == status
    if status == 405:
        assert response["Allow"] == "GET, HEAD"
        assert response.json()["code"] == "method_not_allowed"


async def test_an_unknown_path_under_the_prefix_gets_the_json_404(token, chain_requests):
    response = await AsyncClient().post(TEXT_URL + "-nope", {}, headers=token)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # Not resolved on the fast path: the chain answered it.
    assert chain_requests == [TEXT_URL + "-nope"]


async def asgi_request(path: str, *, body: bytes = b"", headers=()) -> tuple[int, bytes]:
    """One HTTP request through the ASGI application daphne serves."""
    from asgiref.testing import ApplicationCommunicator

    from agentsite.asgi import application

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8001),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(5)
    content = b""
    while True:
        message = await communicator.receive_output(5)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(5)
    return start["status"], content


@pytest.fixture
def request_threads():
    """The thread each request's sync work (Django's request_started signal) ran on."""
    import threading

    from django.core.signals import request_started

    threads = []

    def seen(**kwargs):
        threads.append(threading.get_ident())

    request_started.connect(seen)
    yield threads
    request_started.disconnect(seen)


async def test_service_requests_do_their_database_work_on_the_long_lived_thread(
    token, request_threads, monkeypatch
):
    import threading

    from asgiref.sync import sync_to_async

    from recommendations_ai import services

    selector = services.recommendation_for_service_get
    selected_on = []

    def recorded(**kwargs):
        selected_on.append(threading.get_ident())
        return selector(**kwargs)

    monkeypatch.setattr(services, "recommendation_for_service_get", recorded)
    headers = [(b"authorization", b"Bearer svc-token")]
    for _ in range(2):
        status, _ = await asgi_request(
            TEXT_URL, body=b'{"recommendation_id": 987654}', headers=headers
        )
        assert status == 404

    long_lived = await sync_to_async(threading.get_ident)()
    assert selected_on == [long_lived, long_lived]
    # Nor do they send the request signals (their receivers run on the request's thread).
    assert request_threads == []


async def test_other_requests_still_get_a_thread_each(request_threads):
    # Liveness is on the fast path (test_liveness_takes_the_fast_path_with_the_same_headers).
    import threading

    from asgiref.sync import sync_to_async

    for _ in range(2):
        status, _ = await asgi_request("/v1/readiness")
        assert status in (200, 503)

    long_lived = await sync_to_async(threading.get_ident)()
    assert long_lived not in request_threads
    assert len(request_threads) == 2


async def test_the_remembered_route_follows_the_urlconf(token, settings):
    body = {"recommendation_id": 987654}
    first = await AsyncClient().post(TEXT_URL, body, content_type="application/json", headers=token)
    settings.ROOT_URLCONF = "ops.urls"  # no text endpoint in it
    second = await AsyncClient().post(
        TEXT_URL, body, content_type="application/json", headers=token
    )

    assert first.json()["code"] == "not_found"
    assert second.status_code == 404
    assert second["Content-Type"] != "application/json"
