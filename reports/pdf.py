"""The report's HTML as an A4 PDF (WeasyPrint: Pango for text, the page's own print CSS).

Nothing is fetched while rendering: the HTML is self-contained, and the URL fetcher refuses
every URL, so a report can never make the server reach out to another host.
"""

from __future__ import annotations


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"report PDFs load nothing: {url[:80]}")


def _weasyprint_html():
    # Imported here: WeasyPrint loads Pango at import, and only PDF requests need it.
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint's import sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let
    # the chat's upload check accept truncated images in any worker that once drew a PDF.
    # Reports embed no raster image, so the flag is put back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML


def pdf_render(*, html: str) -> bytes:
    html_class = _weasyprint_html()
    return html_class(string=html, url_fetcher=_no_fetch, base_url=None).write_pdf()
