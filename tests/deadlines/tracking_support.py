"""Deadline tracking (issue 3): the threshold logic, the sweep (reminders and escalations, exactly once),
the daily digest, the heartbeat behind /healthz and the admin warning, and calendar changes.

No wall clock: every service gets an explicit `now` in America/Lima and every hoja an explicit `filed_at`.
Celery is eager and mail goes to locmem (`mailoutbox`); on-commit callbacks only run inside
`django_capture_on_commit_callbacks(execute=True)`, which is what makes the dispatched e-mails leave.

Calendar relied on (the `holidays` package, country "PE"): 2026-10-08 [Thu] Combate de Angamos is the only
holiday in October 2026; 2021-04-01 [Thu] / 2021-04-02 [Fri] Holy Week.
A hoja filed Monday 2026-10-05 is due Tuesday 2026-10-27 (Ley 31435, 15 business days:
10-06, 10-07, 10-09, 10-12..16, 10-19..23, 10-26, 10-27).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.outbox.models import OutboundMessage

from ..factories import staff_user

LIMA = ZoneInfo("America/Lima")
DEFAULT_THRESHOLDS = (5, 2, 1, 0)
FILED_ON = date(2026, 10, 5)  # Monday
DUE_ON = date(2026, 10, 27)  # Tuesday, 15 business days later (10-08 is a holiday)
STALE_WARNING = "El seguimiento de plazos no se ejecuta"
Kind = OutboundMessage.Kind
Event = ComplaintEvent.Type


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LIMA)


staff = staff_user


def staff_messages(**filters):
    return OutboundMessage.objects.exclude(kind=Kind.SHEET_COPY).filter(**filters)


def assign(complaint: Complaint, user) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(assignee=user)


def set_status(complaint: Complaint, status: str) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(status=status)
