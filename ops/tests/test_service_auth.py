from __future__ import annotations

import pytest
from django.test import RequestFactory

from ops.service_auth import service_request_allowed

rf = RequestFactory()


@pytest.fixture(autouse=True)
def _token(settings):
    settings.AGENT_SERVICE_TOKEN = "s3cret-token"
    settings.AGENT_ANONYMOUS_NETWORKS = []


def request(remote_addr="10.1.2.3", **headers):
    return rf.post("/v1/generate/recommendation-text", REMOTE_ADDR=remote_addr, **headers)


def test_it_accepts_the_configured_bearer_token():
    assert service_request_allowed(request(HTTP_AUTHORIZATION="Bearer s3cret-token"))


def test_it_refuses_a_wrong_or_missing_token():
    assert not service_request_allowed(request(HTTP_AUTHORIZATION="Bearer nope"))
    assert not service_request_allowed(request(HTTP_AUTHORIZATION="Basic s3cret-token"))
    assert not service_request_allowed(request())


def test_it_refuses_every_token_when_none_is_configured(settings):
    settings.AGENT_SERVICE_TOKEN = ""
    assert not service_request_allowed(request(HTTP_AUTHORIZATION="Bearer "))
    assert not service_request_allowed(request(HTTP_AUTHORIZATION="Bearer anything"))


def test_anonymous_calls_are_accepted_only_from_listed_networks(settings):
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32", "10.0.0.0/8"]
    assert service_request_allowed(request("127.0.0.1"))
    assert service_request_allowed(request("10.9.9.9"))
    assert not service_request_allowed(request("192.168.1.5"))


def test_a_proxied_request_is_never_trusted_anonymously(settings):
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    assert not service_request_allowed(request("127.0.0.1", HTTP_X_FORWARDED_FOR="8.8.8.8"))
    assert not service_request_allowed(request("127.0.0.1", HTTP_X_REAL_IP="8.8.8.8"))
    assert not service_request_allowed(request("127.0.0.1", HTTP_FORWARDED="for=8.8.8.8"))


def test_a_wrong_token_is_refused_even_from_a_trusted_network(settings):
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    assert not service_request_allowed(request("127.0.0.1", HTTP_AUTHORIZATION="Bearer bad"))


def test_a_refusal_is_logged_without_the_token(caplog):
    service_request_allowed(request(HTTP_AUTHORIZATION="Bearer wrong-token"))
    refused = [r for r in caplog.records if r.getMessage() == "service request refused"]
    assert len(refused) == 1
    assert "wrong-token" not in str(refused[0].__dict__)
