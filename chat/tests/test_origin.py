from __future__ import annotations

import pytest

from chat.auth import origin_allowed


@pytest.fixture(autouse=True)
def _origins(settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://infrazen.ru", "http://localhost:5001"]
    settings.ALLOWED_HOSTS = ["agent.infrazen.ru", ".infrazen.team", "[::1]"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://infrazen.ru",
        "https://infrazen.ru:443",
        "HTTPS://InfraZen.RU",
        "http://localhost:5001",
        "https://agent.infrazen.ru",
        "http://agent.infrazen.ru:8001",
        "https://app.infrazen.team",
        "http://[::1]:8001",
    ],
)
def test_it_allows_the_infrazen_pages_and_the_agents_own_hosts(origin):
    assert origin_allowed(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://infrazen.ru",
        "https://infrazen.ru:8443",
        "http://localhost:5002",
        "https://infrazen.ru.evil.example",
        "https://evilinfrazen.team",
        "null",
        "file://",
        "ws://infrazen.ru",
        "https://user@infrazen.ru",
        "https://infrazen.ru/path",
        "http://localhost:99999",
        "garbage",
    ],
)
def test_it_refuses_other_browser_origins(origin):
    assert not origin_allowed(origin)


@pytest.mark.parametrize("origin", [None, ""])
def test_it_allows_clients_that_send_no_origin(origin):
    assert origin_allowed(origin)


def test_a_wildcard_allowed_host_does_not_open_the_socket_to_every_origin(settings):
    settings.ALLOWED_HOSTS = ["*"]

    assert not origin_allowed("https://evil.example")
    assert origin_allowed("https://infrazen.ru")
