"""GET /metrics: Prometheus text for a scraper on METRICS_NETWORKS or holding METRICS_TOKEN,
the same 404 as an unknown path for anyone else; labels hold route templates, never ids."""

import re

import pytest

NOT_FOUND = {"error": "Не найдено", "code": "not_found", "detail": "Не найдено"}


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0] if "{" in line else ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _scrape(client, **extra) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db
def test_a_scrape_from_this_machine_counts_the_requests_by_route_method_and_status(client):
    labels = {"route": "/v1/health", "method": "GET", "status": "200"}
    before = _value(_scrape(client), "infrazen_agent_http_requests_total", **labels)

    for _ in range(3):
        assert client.get("/v1/health").status_code == 200
    text = _scrape(client)

    assert _value(text, "infrazen_agent_http_requests_total", **labels) == before + 3
    assert (
        _value(text, "infrazen_agent_http_request_duration_seconds_count", route="/v1/health") >= 3
    )


@pytest.mark.django_db
def test_labels_hold_the_route_template_never_the_id_in_the_path(client):
    client.get("/v1/chat/image/7f1c0b5e-secret-id")
    client.get("/no/such/path/12345")
    text = _scrape(client)

    assert "7f1c0b5e" not in text and "12345" not in text
    assert (
        _value(text, "infrazen_agent_http_requests_total", route="/v1/chat/image/<str:image_id>")
        >= 1
    )
    assert _value(text, "infrazen_agent_http_requests_total", route="unmatched") >= 1


@pytest.mark.django_db
def test_every_metric_family_the_alerts_use_is_exported(client):
    text = _scrape(client)

    for family in (
        "infrazen_agent_http_requests",
        "infrazen_agent_websockets_open",
        "infrazen_agent_chat_answers",
        "infrazen_agent_chat_first_delta_seconds",
        "infrazen_agent_tool_calls",
        "infrazen_agent_model_requests",
        "infrazen_agent_model_tokens",
        "infrazen_agent_model_cost_rub",
        "infrazen_agent_text_generations",
        "infrazen_agent_quota_refusals",
        "infrazen_agent_upload_rejections",
        "infrazen_agent_report_renders",
        "infrazen_agent_workers_live",
        "infrazen_agent_spend_today_rub",
        "infrazen_agent_daily_cap_rub",
    ):
        assert re.search(rf"^# TYPE {family}(_total)? ", text, re.MULTILINE), family


@pytest.mark.django_db
def test_another_address_gets_the_unknown_path_404(client):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.django_db
def test_through_a_proxy_the_loopback_address_is_not_trusted(client):
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_metrics_token_opens_it_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    remote = {"REMOTE_ADDR": "10.1.2.3"}

    _scrape(client, HTTP_AUTHORIZATION="Bearer scrape-secret", **remote)
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **remote)
    no_token_configured = {"HTTP_AUTHORIZATION": "Bearer "}

    assert wrong.status_code == 404
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", **no_token_configured, **remote).status_code == 404
