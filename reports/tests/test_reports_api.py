"""InfraZen's Reports page, unchanged: its client's call through the real ASGI application."""

from __future__ import annotations

import json
import re

import pytest

from ops.tests.asgi_http import asgi_request_async, traceback_free
from reports.models import AgentReport
from reports.roles import ROLE_KEYS
from reports.tests.client import STOCK_CLIENT, html_tags, post, render
from reports.tests.conftest import HOSTILE_NAME

pytestmark = pytest.mark.django_db(transaction=True)

RENDER = "/v1/reports/render"
DATA = "/v1/reports/data"


@pytest.mark.parametrize("role", ROLE_KEYS)
async def test_the_stock_client_call_gets_a_snapshot_and_html_for_every_role(tenant, role):
    response = await post(RENDER, {"user_id": tenant.pk, "role": role, "context": {}})
    assert response.status == 200, response.body[:300]
    body = response.json()
    assert body["success"] is True and "error" not in body
    assert body["html"].startswith("<!DOCTYPE html>")
    assert body["snapshot"]["role"] == role
    stored = await AgentReport.objects.aget(uuid=body["report_id"])
    assert stored.user_id == tenant.pk and stored.narrative_source == "template"
    assert stored.html == body["html"]


async def test_data_answers_the_snapshot_alone(tenant):
    response = await post(DATA, {"user_id": tenant.pk, "role": "cfo", "context": None})
    body = response.json()
    assert response.status == 200 and body["success"] is True
    assert set(body) == {"success", "snapshot"}
    assert body["snapshot"]["facts"]["cost.monthly"]["value"] == 512.0 * 30
    assert not await AgentReport.objects.aexists()


async def test_time_range_days_sets_the_period(tenant):
    body = (
        await post(DATA, {"user_id": tenant.pk, "role": "cto", "context": {"time_range_days": 7}})
    ).json()
    assert body["snapshot"]["period_days"] == 7 and len(body["snapshot"]["trend"]) == 7


async def test_an_unknown_user_is_a_404_the_client_stores_nothing_for(tenant):
    response = await post(RENDER, {"user_id": 999_999, "role": "cfo", "context": {}})
    assert response.status == 404
    assert response.json()["detail"] and "html" not in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": 1, "role": "ceo"},
        {"user_id": "1", "role": "cfo"},
        {"user_id": True, "role": "cfo"},
        {"user_id": 2**40, "role": "cfo"},
        {"role": "cfo"},
        {"user_id": 1, "role": "cfo", "context": {"time_range_days": 0}},
        {"user_id": 1, "role": "cfo", "context": "x"},
        [1, 2],
        b"{not json",
        b"[" * 5000 + b"]" * 5000,
    ],
)
async def test_a_bad_body_gets_400_with_the_fields_never_a_5xx(tenant, body):
    response = await post(RENDER, body)
    assert response.status == 400, response.body[:200]
    assert response.json()["code"] == "invalid" and traceback_free(response.body)


async def test_an_unknown_role_is_told_the_valid_roles(tenant):
    response = await post(RENDER, {"user_id": tenant.pk, "role": "ceo"})
    assert "cfo, cto, product, finops" in response.json()["fields"]["role"]


async def test_without_the_token_other_callers_are_refused(tenant):
    body = {"user_id": tenant.pk, "role": "cfo", "context": {}}
    assert (await post(RENDER, body, client=("192.0.2.7", 4000))).status == 401
    proxied = await post(RENDER, body, headers={"x-forwarded-for": "203.0.113.9"})
    assert proxied.status == 401
    with_token = await post(
        RENDER, body, client=("192.0.2.7", 4000), headers={"authorization": "Bearer svc-token"}
    )
    assert with_token.status == 200


async def test_get_is_refused_in_the_error_shape(tenant):
    response = await asgi_request_async("GET", RENDER, client=STOCK_CLIENT)
    assert response.status == 405 and response.json()["code"] == "method_not_allowed"


async def test_bobs_report_holds_nothing_of_alices(tenant, bob):
    body = (await post(RENDER, {"user_id": bob.pk, "role": "finops", "context": {}})).json()
    for alices in ("office", "old-vm", "onerror", "yandex-alice", "SECRET-"):
        assert alices not in body["html"] and alices not in json.dumps(body["snapshot"])


async def test_a_hostile_resource_name_is_text_in_the_html(tenant):
    html = (await post(RENDER, {"user_id": tenant.pk, "role": "finops", "context": {}})).json()[
        "html"
    ]
    assert HOSTILE_NAME not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in html
    assert "<script" not in html.lower()
    tags = html_tags(html)
    assert not {"script", "img", "link", "iframe", "object", "embed"} & {t for t, _ in tags}
    # Nothing is loaded from anywhere and nothing runs: no src, no handler, no url().
    attributes = {name for _, attrs in tags for name, _ in attrs}
    assert not {"src", "srcset"} & attributes
    assert not [name for name in attributes if name.startswith("on")]
    assert not re.search(r"url\((?!#)", html) and 'xlink:href="http' not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


async def test_every_shown_figure_links_to_its_source(tenant):
    body = (await post(RENDER, {"user_id": tenant.pk, "role": "cfo", "context": {}})).json()
    html, facts = body["html"], body["snapshot"]["facts"]
    links = set(re.findall(r'href="#src-([^"]+)"', html))
    anchors = set(re.findall(r'id="src-([^"]+)"', html))
    assert links and links <= anchors
    figures = {link for link in links if not link.startswith("note-")}
    quoted = {q["id"] for quotes in body["snapshot"]["quotes"].values() for q in quotes}
    assert quoted and anchors == figures | quoted
    assert figures <= set(facts)
    assert '<section id="sources">' in html
    # Each KPI is shown with its unit and period.
    assert re.search(r'href="#src-cost.monthly">15,360 ₽/мес<', html)
    assert re.search(r'href="#src-cost.daily">512 ₽/день<', html)


async def test_a_large_tenants_page_fits_the_column_infrazen_stores_it_in(tenant):
    """generated_reports.content_html is a MySQL TEXT (65,535 bytes): a longer page would
    fail the app's insert. Tables list fewer rows instead, and say how many more."""
    from asgiref.sync import sync_to_async

    from conftest import make_recommendation, make_resource
    from infrazen.models import CloudProvider, GeneratedReport

    @sync_to_async
    def grow() -> None:
        yandex = CloudProvider.objects.get(user=tenant, provider_type="yandex")
        for index in range(150):
            resource = make_resource(yandex, f"длинное-имя-неиспользуемого-ресурса-{index:03d}")
            make_recommendation(
                resource, recommendation_type="cleanup_stopped", estimated_monthly_savings=100.0
            )

    await grow()
    body = await render(tenant.pk, "finops")
    html = body["html"]
    assert len(html.encode()) <= 64_000
    assert "И ещё" in html
    # Every total still covers every recommendation.
    assert body["snapshot"]["facts"]["savings.count"]["value"] == 154
    # Stored as the Flask app stores it (on MariaDB: the real TEXT column).
    stored = await GeneratedReport.objects.acreate(
        user=tenant,
        title="Отчёт (FinOps Lead)",
        role="finops",
        status="ready",
        content_html=html,
        context_json={"role_label": "FinOps Lead", "snapshot": body["snapshot"]},
    )
    again = await GeneratedReport.objects.aget(pk=stored.pk)
    assert again.content_html == html


async def test_the_page_says_when_it_was_made_in_moscow_time(tenant):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    body = await render(tenant.pk, "cto")
    made = datetime.fromisoformat(body["snapshot"]["generated_at"])
    shown = made.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M")
    assert f"Сформирован: {shown} МСК" in body["html"]
