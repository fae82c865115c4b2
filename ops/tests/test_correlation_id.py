from __future__ import annotations

from asgiref.sync import iscoroutinefunction
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory

from core.correlation import correlation_id_var
from ops.logging import CorrelationIdMiddleware


def test_it_echoes_the_callers_request_id():
    response = Client().get("/v1/health", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"


def test_it_makes_a_request_id_when_the_caller_sends_none():
    assert len(Client().get("/v1/health")["X-Request-ID"]) == 16


async def test_it_echoes_the_request_id_through_the_async_handler():
    response = await AsyncClient().get("/v1/health", headers={"X-Request-ID": "async-1"})
    assert response["X-Request-ID"] == "async-1"


def test_it_stays_async_in_front_of_an_async_view_so_django_adds_no_thread_hop():
    async def view(request):
        return HttpResponse()

    assert iscoroutinefunction(CorrelationIdMiddleware(view))
    assert not iscoroutinefunction(CorrelationIdMiddleware(lambda request: HttpResponse()))


async def test_the_view_sees_the_request_id_and_it_is_reset_afterwards():
    seen = []

    async def view(request):
        seen.append(correlation_id_var.get())
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="cid-7")
    response = await CorrelationIdMiddleware(view)(request)
    assert seen == ["cid-7"] and response["X-Request-ID"] == "cid-7"
    assert correlation_id_var.get() == "-"
