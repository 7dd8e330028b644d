"""The meeting's agenda and minutes as PDF, rendered by the same WeasyPrint setup as the sheet."""

from __future__ import annotations

from ..book.models import Provider
from ..book.pdf import _pdf
from .models import CouncilMeeting
from .rules import snapshot_display


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


def meeting_agenda_pdf(meeting: CouncilMeeting) -> bytes:
    """The agenda of a council meeting (A4): who attends and the six sections generated from the data."""
    return _pdf("reclamaciones/pdf/council_agenda.html", {**_meeting_context(meeting), "doc_name": "Agenda"})


def meeting_minutes_pdf(meeting: CouncilMeeting) -> bytes:
    """The acta of a council meeting (A4): attendees, a summary of the agenda, the minutes and the decisions."""
    return _pdf("reclamaciones/pdf/council_minutes.html", {**_meeting_context(meeting), "doc_name": "Acta"})
