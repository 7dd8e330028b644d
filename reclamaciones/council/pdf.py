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
    from .meetings import AGENDA_ITEMS

    providers = Provider.objects.order_by("legal_name")
    attendees = list(meeting.attendees.order_by("first_name", "last_name", "username"))
    attendance = meeting.attendance or {}
    notes = meeting.item_notes or {}
    return {
        "meeting": meeting,
        "provider_name": " · ".join(p.display_name for p in providers) or "Libro de Reclamaciones",
        "attendees": attendees,
        "present": [p for p in attendees if attendance.get(str(p.pk)) is True],
        "absent": [p for p in attendees if attendance.get(str(p.pk)) is False],
        "item_notes": [(label, notes[key]) for key, label in AGENDA_ITEMS if notes.get(key)],
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


def management_report_pdf(report: dict) -> bytes:
    """The management report (A4): KPIs per establishment and in total, causes, satisfaction and actions.
    `report` is council.report's JSON with its dates as dates (report_display)."""
    providers = Provider.objects.order_by("legal_name")
    today = f"{report['today']:%d/%m/%Y}"
    actions = report["actions"]
    context = {
        "report": report,
        "provider_name": " · ".join(p.display_name for p in providers) or "Libro de Reclamaciones",
        "kpi_rows": [
            *((e["name"], e, False) for e in report["establishments"]),
            ("Total", report["total"], True),
        ],
        # the Pareto of the whole scope, then each establishment's (when there are several)
        "cause_blocks": [
            ("Causas más frecuentes (Pareto)", report["total"]),
            *((e["name"], e) for e in report["establishments"] if len(report["establishments"]) > 1),
        ],
        "action_groups": [
            ("Veredictos del periodo", actions["verdicts"], "Ninguna acción se verificó en el periodo.", True),
            (
                "Implementadas en el periodo",
                actions["implemented"],
                "Ninguna acción se implementó en el periodo.",
                False,
            ),
            (f"En verificación al {today}", actions["in_verification"], "Ninguna acción está en verificación.", False),
            (f"Pendientes de implementar al {today}", actions["open"], "Ninguna acción pendiente.", False),
        ],
    }
    return _pdf("reclamaciones/pdf/council_report.html", context)
