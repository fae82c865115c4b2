"""Report renders are counted by format and narrative source (core.metrics)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from reports.tests.client import post, render

pytestmark = pytest.mark.django_db(transaction=True)


def _renders(fmt: str, source: str) -> float:
    labels = {"format": fmt, "source": source}
    return REGISTRY.get_sample_value("infrazen_agent_report_renders_total", labels) or 0.0


async def test_html_and_pdf_renders_are_counted_with_their_narrative_source(tenant):
    html, pdf = _renders("html", "template"), _renders("pdf", "template")

    await render(tenant.pk)
    body = {"user_id": tenant.pk, "role": "cfo", "context": {}, "format": "pdf"}
    assert (await post("/v1/reports/render", body)).status == 200

    # The PDF's report is rendered (and counted) as HTML first.
    assert _renders("html", "template") == html + 2
    assert _renders("pdf", "template") == pdf + 1
