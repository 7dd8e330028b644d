"""The compliance role's reminders, through the outbox like every e-mail: hojas of SIREC books near 30 calendar
days without a report (Directive 004-2014 §VIII)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..access import Role, Scope
from ..outbox.alarms import alarm_recipients
from ..outbox.keys import sirec_reminder_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .selectors import sirec_pending


def sirec_reminder_queue(*, scope: Scope, now: datetime | None = None) -> int:
    """One e-mail a day per compliance user (administrators for a book without one) listing their books with
    hojas unreported RECLAMACIONES_SIREC_REMIND_AFTER_DAYS or more days after filing. Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    books = {p.establishment.pk: p for p in sirec_pending(scope=scope, now=now) if p.due_soon}
    if not books:
        return 0
    recipients = alarm_recipients(establishment_ids=set(books), role=Role.COMPLIANCE)
    with transaction.atomic():
        for email, establishment_ids in recipients.items():
            mine = [books[pk] for pk in sorted(establishment_ids, key=lambda pk: books[pk].establishment.name)]
            outbox_enqueue(
                kind=OutboundMessage.Kind.SIREC_REMINDER,
                recipient=email,
                idempotency_key=sirec_reminder_key(today=today, recipient=email),
                context={
                    "date": today.isoformat(),
                    "remind_after": settings.RECLAMACIONES_SIREC_REMIND_AFTER_DAYS,
                    "due_soon": sum(p.due_soon for p in mine),
                    "items": [
                        {
                            "establishment": p.establishment.name,
                            "sirec_code": p.establishment.sirec_code,
                            "due_soon": p.due_soon,
                            "late": p.late,
                            "oldest": f"{timezone.localtime(p.oldest):%d/%m/%Y}" if p.oldest else "",
                        }
                        for p in mine
                    ],
                },
            )
    return len(recipients)
