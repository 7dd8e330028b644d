"""Helpers of the council analytics and action tests: Lima times, weekly filings, causes, rendered e-mails."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from reclamaciones.book.models import Complaint, ResponseChannel, Status
from reclamaciones.handling.models import Cause, Response
from reclamaciones.outbox import render as emails
from reclamaciones.outbox.models import OutboundMessage

from ..factories import cause_get

LIMA = ZoneInfo("America/Lima")
BASE_URL = "https://reclamos.example.pe"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LIMA)


def weekly(start: date, count: int, step_days: int = 7) -> list[date]:
    return [start + timedelta(days=step_days * n) for n in range(count)]


def _file(file_complaint, when: date | datetime, cause: Cause | None = None, **overrides) -> Complaint:
    filed_at = when if isinstance(when, datetime) else at(when)
    complaint = file_complaint(filed_at=filed_at, **overrides)
    if cause is not None:
        Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


def _cause(code: str, name: str) -> Cause:
    cause = cause_get(code)
    Cause.objects.filter(pk=cause.pk).update(name=name)
    cause.refresh_from_db()
    return cause


def _messages(kind: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind=kind).order_by("recipient", "pk"))


def _rendered(message: OutboundMessage) -> tuple[str, str, str]:
    email = emails.message_build(message)
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return email.subject, email.body, html


# Recurring causes -----------------------------------------------------------------------------------------------


def _answer(complaint: Complaint, when: datetime, responder: User) -> None:
    Response.objects.create(
        complaint=complaint,
        text="Atendido.",
        channel=ResponseChannel.EMAIL,
        communicated_at=when,
        responded_by=responder,
    )
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.ANSWERED)
