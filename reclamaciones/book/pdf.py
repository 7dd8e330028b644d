"""PDF rendering (render only: no database writes). WeasyPrint is imported lazily: it loads Pango."""

from __future__ import annotations

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

    html = render_to_string(
        "reclamaciones/pdf/hoja.html",
        {
            "complaint": complaint,
            "recipient_label": RECIPIENT_LABELS[recipient],
            "response": Response.objects.filter(complaint=complaint).first(),
            "tracking_url": tracking_url(complaint),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher()).write_pdf()


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
