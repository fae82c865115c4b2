"""The report's HTML as an A4 PDF (WeasyPrint: Pango for text, the page's own print CSS).

Nothing is fetched while rendering: the HTML is self-contained, and the URL fetcher refuses
every URL, so a report can never make the server reach out to another host.
"""

from __future__ import annotations


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"report PDFs load nothing: {url[:80]}")


def pdf_render(*, html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, and only PDF requests need it.
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch, base_url=None).write_pdf()
