"""PDF rendering (render only: no database writes). WeasyPrint is imported lazily: it loads Pango."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

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
            "tracking_url": tracking_url(complaint),
        },
    )
    # base_url is a local folder: nothing is ever fetched over HTTP.
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static")).write_pdf()


def tracking_url(complaint: Complaint) -> str:
    return settings.PORTAL_BASE_URL + reverse("reclamaciones:track", args=[complaint.tracking_token])
