"""The PDF: rendered on the server, the same figures as the page, Cyrillic, a signed link."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from ops.tests.asgi_http import asgi_request_async
from reports.links import pdf_link, pdf_link_valid
from reports.tests.client import post, render

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_text(pdf: bytes) -> str:
    # poppler's pdftotext, as a reader would extract it (make test installs poppler-utils).
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


async def test_format_pdf_answers_the_report_as_a_pdf_with_the_same_figures(tenant):
    body = {"user_id": tenant.pk, "role": "cfo", "context": {}, "format": "pdf"}
    response = await post("/v1/reports/render", body)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
    text = pdf_text(response.body)
    assert "Финансовый отчёт об облачных расходах" in text
    for shown in ("15,360 ₽/мес", "512 ₽/день", "184,320 ₽/год"):
        assert shown in text
    assert "Источники" in text and re.search(r"Стр\. 1 из \d+", text)


async def test_the_html_links_a_signed_pdf_that_works_until_it_expires(tenant, settings):
    settings.AGENT_PUBLIC_URL = "https://infrazen.example/agent"
    html = (await render(tenant.pk, "finops"))["html"]
    link = re.search(r'<a href="([^"]+)">Скачать PDF</a>', html).group(1).replace("&amp;", "&")
    assert link.startswith("https://infrazen.example/agent/v1/reports/")
    path = urlsplit(link).path.removeprefix("/agent") + "?" + urlsplit(link).query
    response = await asgi_request_async("GET", path)
    assert response.status == 200 and response.body.startswith(b"%PDF-")
    assert "Отчёт FinOps" in pdf_text(response.body)


async def test_a_forged_altered_or_expired_link_is_refused(tenant):
    report_id = (await render(tenant.pk))["report_id"]
    query = parse_qs(urlsplit(pdf_link(report_id)).query)
    exp, sig = query["exp"][0], query["sig"][0]
    forged = [
        f"exp={exp}&sig={'0' * 64}",
        f"exp={int(exp) + 1}&sig={sig}",
        f"exp={exp}",
        "",
        f"exp=%D9%A1%D9%A2&sig={sig}",
    ]
    for bad in forged:
        response = await asgi_request_async("GET", f"/v1/reports/{report_id}.pdf?{bad}")
        assert response.status == 404, bad
        assert response.json()["code"] == "not_found"
    other = "00000000-0000-4000-8000-000000000000"
    response = await asgi_request_async("GET", f"/v1/reports/{other}.pdf?exp={exp}&sig={sig}")
    assert response.status == 404


def test_an_expired_signature_is_invalid(settings):
    settings.REPORT_LINK_TTL_S = 60
    query = parse_qs(urlsplit(pdf_link("abc", now=1_000_000)).query)
    exp, sig = query["exp"][0], query["sig"][0]
    assert pdf_link_valid("abc", exp=exp, sig=sig, now=1_000_059)
    assert not pdf_link_valid("abc", exp=exp, sig=sig, now=1_000_061)
    assert not pdf_link_valid("abd", exp=exp, sig=sig, now=1_000_000)


def test_the_report_command_writes_html_and_pdf(tenant, tmp_path, capsys):
    call_command(
        "report",
        "--user",
        str(tenant.pk),
        "--role",
        "cto",
        "--html",
        str(tmp_path / "r.html"),
        "--pdf",
        str(tmp_path / "r.pdf"),
    )
    assert "narrative from template" in capsys.readouterr().out
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert "Технический отчёт" in pdf_text((tmp_path / "r.pdf").read_bytes())


def test_drawing_a_pdf_leaves_the_upload_check_refusing_truncated_images():
    import io

    from PIL import Image

    from chat.images import ImageRejected, image_reencode
    from reports.pdf import pdf_render

    pdf_render(html="<!DOCTYPE html><p>ok</p>")
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (10, 20, 30)).save(buffer, "PNG")
    with pytest.raises(ImageRejected):
        image_reencode(raw=buffer.getvalue()[:60])
