"""Settlement offers (Reglamento art. 6-A.2.b) and the one-time extension of pre-2022 hojas (DS 006-2014 art. 6).

Every service call gets an explicit `now` (America/Lima); hojas are filed with an explicit `filed_at`. Only the
consumer page tests use the real clock, because the view does.

Every expected date was counted by hand on a calendar, with the national holidays the `holidays` package
(country "PE") reports. Business days are Monday-Friday minus those holidays; a period excludes its first day.

October 2026 (holiday: Thu 08 Combate de Angamos):

    Mo Tu We Th Fr Sa Su
              1  2  3  4
     5  6  7 [8] 9 10 11
    12 13 14 15 16 17 18
    19 20 21 22 23 24 25
    26 27 28 29 30 31 [1 Nov, Sunday]
     2  3 (November)

A reclamo filed Thu 2026-10-01 is due on business day 15: 02, 05, 06, 07, 09, 12, 13, 14, 15, 16, 19, 20, 21, 22,
23 -> Fri 2026-10-23.

March-April 2021 (holidays: Thu 01-04 Jueves Santo, Fri 02-04 Viernes Santo): a hoja filed Mon 2021-03-01 under
DS 006-2014 is due 30 calendar days later, Wed 2021-03-31 (a business day).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.handling.models import SettlementOffer
from reclamaciones.handling.settlement import (
    settlement_offer_send,
)

from ..factories import cause_get

LIMA = ZoneInfo("America/Lima")
OFFER_TEXT = "Te cambiamos la laptop por una nueva <Toshiba>.\nLa recoges en tienda desde el lunes."
MSG_CHOOSE = "Elige si aceptas o rechazas la propuesta."


def lima(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LIMA)


FILED = lima(2026, 10, 1)  # Thu
DUE = date(2026, 10, 23)  # business day 15 (08/10 is a holiday)


# ----------------------------------------------------------------------------------------------------
# helpers and fixtures
# ----------------------------------------------------------------------------------------------------


def _offer(complaint: Complaint, at: datetime, *, text: str = OFFER_TEXT, actor=None) -> SettlementOffer:
    scope = Scope.everything() if actor is None else Scope.of(actor)
    if not Complaint.objects.filter(pk=complaint.pk, cause__isnull=False).exists():
        # An offer needs the cause (its acceptance closes the hoja); set directly, as it is staff-side state
        # whose own service leaves an event the settlement tests do not expect.
        Complaint.objects.filter(pk=complaint.pk).update(cause=cause_get())
        complaint.cause_id = cause_get().pk
    return settlement_offer_send(complaint_id=complaint.pk, text=text, now=at, scope=scope)


def _state(complaint: Complaint) -> dict:
    """Everything an action may change on a hoja: refused actions must leave all of it as it was."""
    complaint.refresh_from_db()
    return {
        "status": complaint.status,
        "due_date": complaint.due_date,
        "suspended": complaint.suspended_business_days,
        "extension_days": complaint.extension_days,
        "offers": sorted(
            complaint.settlement_offers.values_list("pk", "status", "resolved_at", "suspended_business_days")
        ),
        "events": sorted(complaint.events.values_list("pk", flat=True)),
        "messages": sorted(complaint.messages.values_list("pk", flat=True)),
    }


def _set_status(complaint: Complaint, status: str) -> None:
    # No answering service exists yet; status is staff-side state, not filed content.
    Complaint.objects.filter(pk=complaint.pk).update(status=status)


def _events(complaint: Complaint, type_: str) -> list[ComplaintEvent]:
    return list(complaint.events.filter(type=type_))
