"""PDF rendering (render only: no database writes). WeasyPrint is imported lazily: it loads Pango."""

from __future__ import annotations

import threading

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..handling.models import Response
from .models import Complaint

RECIPIENT_LABELS = {"consumidor": "Consumidor", "proveedor": "Proveedor", "indecopi": "INDECOPI"}


def complaint_sheet_filename(complaint: Complaint) -> str:
    return f"hoja-de-reclamacion-{complaint.display_number}.pdf"


def complaint_sheet_pdf(complaint: Complaint, *, recipient: str = "consumidor") -> bytes:
    """The hoja in the Anexo I layout (DS 101-2022-PCM), for the given destinatario."""
    from weasyprint import HTML

    font_config, stylesheet = _sheet_style()
    html = render_to_string(
        "reclamaciones/pdf/hoja.html",
        {
            "complaint": complaint,
            "recipient_label": RECIPIENT_LABELS[recipient],
            "response": Response.objects.filter(complaint=complaint).first(),
            "tracking_url": tracking_url(complaint),
        },
    )
    document = HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


_local = threading.local()


def _sheet_style():
    """(font configuration, parsed stylesheet) of the sheet, built once per thread: setting up the fonts and
    parsing the CSS took a sixth of every render. Per thread because WeasyPrint's objects are not meant to be
    shared between threads (the web process renders downloads in several)."""
    if not hasattr(_local, "sheet_style"):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        css = CSS(string=render_to_string("reclamaciones/pdf/hoja.css"), font_config=font_config)
        _local.sheet_style = (font_config, css)
    return _local.sheet_style


def _no_fetcher():
    """The sheet is self-contained (inline CSS, system fonts): a template must never make the worker fetch."""
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"PDF rendering does not fetch resources ({url})")

    return NoFetch()


def tracking_url(complaint: Complaint) -> str:
    return settings.PORTAL_BASE_URL + reverse("reclamaciones:track", args=[complaint.tracking_token])


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher()).write_pdf()
