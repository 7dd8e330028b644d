"""PDF rendering (render only: no database writes). WeasyPrint is imported lazily: it loads Pango."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .improvement import snapshot_display
from .models import Complaint, CouncilMeeting, Provider, Response

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


# Improvement council meetings ---------------------------------------------------------------------------------


def meeting_pdf_filename(meeting: CouncilMeeting, document: str) -> str:
    """agenda-consejo-2026-12-07.pdf / acta-consejo-2026-12-07.pdf"""
    return f"{document}-consejo-{meeting.held_on.isoformat()}.pdf"


def _meeting_context(meeting: CouncilMeeting) -> dict:
    providers = Provider.objects.order_by("legal_name")
    return {
        "meeting": meeting,
        "provider_name": " · ".join(p.display_name for p in providers) or "Libro de Reclamaciones",
        "attendees": list(meeting.attendees.order_by("first_name", "last_name", "username")),
        "decisions": list(
            meeting.decisions.select_related("owner", "establishment").prefetch_related("causes").order_by("pk")
        ),
        "agenda": snapshot_display(meeting.agenda),
    }


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=_no_fetcher()).write_pdf()


def meeting_agenda_pdf(meeting: CouncilMeeting) -> bytes:
    """The agenda of a council meeting (A4): who attends and the six sections generated from the data."""
    return _pdf("reclamaciones/pdf/council_agenda.html", {**_meeting_context(meeting), "doc_name": "Agenda"})


def meeting_minutes_pdf(meeting: CouncilMeeting) -> bytes:
    """The acta of a council meeting (A4): attendees, a summary of the agenda, the minutes and the decisions."""
    return _pdf("reclamaciones/pdf/council_minutes.html", {**_meeting_context(meeting), "doc_name": "Acta"})
