"""Alarms instead of silence when something the law requires has failed: a legally required e-mail given up
after its whole retry schedule, or a hoja that fails its integrity verification. They reach people three ways:
an e-mail to the supervisors (through the outbox), /healthz ("degraded") and a banner on the admin's pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from ..access import Role
from ..deadlines.selectors import tracker_heartbeat_get
from .keys import delivery_failed_alarm_key, integrity_alarm_key
from .models import OutboundMessage
from .selectors import outbox_failed_count, staff_emails_by_establishment, superuser_emails

INTEGRITY = "book-integrity"  # the heartbeat of the daily verification

INTEGRITY_STALE_AFTER = timedelta(hours=48)  # two missed daily runs

INTEGRITY_ALARM_ITEMS = 200  # failing hojas listed in the alarm e-mails (verify_book lists them all)

ALARM_KINDS = frozenset({OutboundMessage.Kind.DELIVERY_FAILED, OutboundMessage.Kind.INTEGRITY_ALARM})


def alarm_recipients(*, establishment_ids: set[int], role: str = Role.SUPERVISOR) -> dict[str, set[int]]:
    """Who is alarmed, each with the establishments concerned they answer for: the staff of `role` (the
    supervisors, or the compliance role for its own reminders) of each establishment; the administrators for an
    establishment without anyone of that role, or when no establishment is concerned (a council e-mail)."""
    recipients: dict[str, set[int]] = defaultdict(set)
    by_establishment = staff_emails_by_establishment(role=role, establishment_ids=establishment_ids)
    unattended = {pk for pk, emails in by_establishment.items() if not emails}
    for pk, emails in by_establishment.items():
        for email in emails:
            recipients[email].add(pk)
    if unattended or not establishment_ids:
        for email in superuser_emails():
            recipients[email] |= unattended
    return dict(recipients)


def delivery_failed_alarm(*, message: OutboundMessage, error: str, now: datetime) -> int:
    """Queue an alarm about a message given up (inside the transaction that gives it up). Returns how many."""
    from .services import outbox_enqueue

    if message.kind in ALARM_KINDS:
        return 0  # an alarm about an undelivered alarm would only repeat itself; healthz and the banner still show it
    complaint = message.complaint if message.complaint_id else None
    establishment_ids = {complaint.establishment_id} if complaint is not None else set()
    context = {
        "message": message.pk,
        "kind": message.kind,
        "recipient": message.recipient,
        "attempts": message.attempts,
        "first_queued_at": message.created_at.isoformat(),
        "error": error,
    }
    recipients = alarm_recipients(establishment_ids=establishment_ids)
    for email in recipients:
        outbox_enqueue(
            kind=OutboundMessage.Kind.DELIVERY_FAILED,
            recipient=email,
            complaint=complaint,
            idempotency_key=delivery_failed_alarm_key(message_id=message.pk, recipient=email),
            context=context,
        )
    return len(recipients)


def integrity_alarm(*, broken: list[dict], total: int, today: date) -> int:
    """Queue today's integrity alarm: one e-mail per recipient listing the failing hojas they answer for (of
    the first ones found; `total` counts them all). Keyed by day: while the book stays broken, once a day.
    Returns the number of recipients."""
    from .services import outbox_enqueue

    recipients = alarm_recipients(establishment_ids={item["establishment_id"] for item in broken})
    for email, establishment_ids in recipients.items():
        items = [item for item in broken if item["establishment_id"] in establishment_ids]
        outbox_enqueue(
            kind=OutboundMessage.Kind.INTEGRITY_ALARM,
            recipient=email,
            idempotency_key=integrity_alarm_key(today=today, recipient=email),
            context={"date": today.isoformat(), "items": items, "total": total},
        )
    return len(recipients)


def alarm_status(*, now: datetime | None = None) -> dict:
    """The alarms in force, for /healthz and the banners."""
    now = now or timezone.now()
    failed = outbox_failed_count()
    heartbeat = tracker_heartbeat_get(name=INTEGRITY)
    if heartbeat is None:
        integrity = {"status": "never_ran", "last_run_at": None, "broken": 0}
    else:
        broken = heartbeat.data.get("broken_count", 0)
        stale = now - heartbeat.last_run_at > INTEGRITY_STALE_AFTER
        integrity = {
            "status": "broken" if broken else ("stale" if stale else "ok"),
            "last_run_at": heartbeat.last_run_at,
            "broken": broken,
            "checked": heartbeat.data.get("checked", 0),
        }
    return {
        "outbox": {"status": "failed" if failed else "ok", "failed": failed},
        "integrity": integrity,
        "degraded": bool(failed) or integrity["status"] in {"broken", "stale"},
    }
