"""The console on demo data: each page renders the signed-in user's own data and nobody
else's; data strings render as text; off unless CONSOLE_ENABLED; staff only in production."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import InfraZenUser, OptimizationRecommendation
from reports.models import AgentReport

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(settings):
    settings.CONSOLE_ENABLED = True
    settings.AI_TEXT_MODE = "template"
    demo_seed()
    return {
        "alice": InfraZenUser.objects.get(email=ALICE_EMAIL),
        "bob": InfraZenUser.objects.get(email=BOB_EMAIL),
    }


def _signed_in(client, email: str, *, staff: bool = False):
    account = User.objects.create_user(email, email=email, password="pw-for-tests", is_staff=staff)
    client.force_login(account)
    return client


def test_off_by_default_the_root_is_the_json_it_was(client, settings):
    settings.CONSOLE_ENABLED = False
    assert client.get("/").json()["service"] == "infrazen-agent"
    _signed_in(client, "ops@example.com", staff=True)
    assert client.get("/console/").status_code == 404


def test_the_root_leads_to_the_sign_in_then_to_ones_own_recommendations(client, seeded):
    assert client.get("/").url == "/console/"
    assert client.get("/console/").url.startswith("/console/login/")

    page = _signed_in(client, ALICE_EMAIL).get("/console/").content.decode()

    alice_recs = OptimizationRecommendation.objects.filter(resource__provider__user=seeded["alice"])
    bob_recs = OptimizationRecommendation.objects.filter(resource__provider__user=seeded["bob"])
    pending = alice_recs.filter(status="pending")
    assert page.count('class="card"') == pending.count() > 0
    assert "Обсудить с FinOps" in page and "₽/мес" in page
    assert not any(f'data-recommendation-id="{rec.pk}"' in page for rec in bob_recs)


def test_the_analytics_page_marks_the_planted_anomalies(client, seeded):
    from tools import get_anomalies

    found = get_anomalies.run(user=seeded["alice"], args=get_anomalies.Args(time_range_days=90))

    page = _signed_in(client, ALICE_EMAIL).get("/console/analytics/").content.decode()

    assert found.anomalies, "the demo plants anomalies"
    assert page.count('<g class="anomaly">') == len(found.anomalies)
    assert page.count('class="anomaly-row"') == len(found.anomalies)
    assert "₽/день" in page and "<polyline" in page


def test_a_report_is_made_listed_and_kept_from_other_users(client, seeded):
    alice = _signed_in(client, ALICE_EMAIL)

    made = alice.post("/console/reports/", {"role": "cfo"})
    report = AgentReport.objects.get(user_id=seeded["alice"].pk)
    listing = alice.get("/console/reports/").content.decode()
    shown = alice.get(f"/console/reports/{report.uuid}/")
    html = alice.get(f"/console/reports/{report.uuid}/", {"format": "html"})

    assert made.url == f"/console/reports/{report.uuid}/"
    assert str(report.uuid) in listing and shown.status_code == 200
    assert html.status_code == 200 and "<script" not in html.content.decode()
    alice.logout()
    bob = _signed_in(client, BOB_EMAIL)
    assert bob.get(f"/console/reports/{report.uuid}/").status_code == 404


def test_data_strings_render_as_text(client, seeded):
    rec = OptimizationRecommendation.objects.filter(
        resource__provider__user=seeded["alice"], status="pending"
    ).first()
    rec.title = "<img src=x onerror=alert(1)>"
    rec.ai_short_description = "<script>alert(2)</script><strong>1 200 ₽/мес</strong>"
    rec.save(update_fields=["title", "ai_short_description"])

    page = _signed_in(client, ALICE_EMAIL).get("/console/").content.decode()

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)" not in page and "<strong>1 200 ₽/мес</strong>" in page


def test_in_production_only_staff_and_staff_may_pick_a_user(client, seeded, settings):
    settings.AGENT_ENV = "prod"
    assert _signed_in(client, ALICE_EMAIL).get("/console/").status_code == 404
    client.logout()

    staff = _signed_in(client, "ops@example.com", staff=True)
    page = staff.get("/console/", {"user": seeded["bob"].pk})

    assert page.status_code == 200 and seeded["bob"].email in page.content.decode()


def test_the_chart_geometry_is_not_localised(client, seeded):
    # The Russian locale writes 720,0: an SVG attribute the browser refuses.
    page = _signed_in(client, ALICE_EMAIL).get("/console/analytics/").content.decode()

    assert 'viewBox="0 0 720.0 220.0"' in page
    points = page.split('<polyline points="')[1].split('"')[0]
    assert "," in points and all(p.count(",") == 1 for p in points.split())


def test_the_pages_with_a_chat_carry_the_drawer_and_the_widget(client, seeded):
    alice = _signed_in(client, ALICE_EMAIL)

    for path in ("/console/", "/console/analytics/"):
        page = alice.get(path)
        html = page.content.decode()
        assert 'id="chat-drawer"' in html and "agent-chat/agent-chat.js" in html, path
        assert 'data-token-url="/console/chat/token/"' in html
        assert "style-src-attr 'unsafe-inline'" in page["Content-Security-Policy"]
    reports = alice.get("/console/reports/")
    assert 'id="chat-drawer"' not in reports.content.decode()
    assert "unsafe-inline" not in reports["Content-Security-Policy"]
