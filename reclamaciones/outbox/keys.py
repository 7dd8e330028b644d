"""Every idempotency key of the outbox, in one place. PURE.

A message's key names what it is about (the hoja, the offer, the day, the recipient), so writing the same
message twice (a retried request, a second beat, a re-run sweep) finds the existing row instead of sending a
copy. Changing a key's shape sends every message of that kind again: keep them stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date


def sheet_copy_key(*, complaint_id: int, recipient: str) -> str:
    return f"sheet_copy:{complaint_id}:{recipient.lower()}"


def response_key(*, complaint_id: int) -> str:
    return f"response:{complaint_id}"


def settlement_offer_key(*, offer_id: int) -> str:
    return f"settlement_offer:{offer_id}"


def settlement_accepted_key(*, offer_id: int) -> str:
    return f"settlement_accepted:{offer_id}"


def remedy_done_key(*, record_id: int) -> str:
    """One notice per follow-through record (a correction is a new record, told anew)."""
    return f"remedy_done:{record_id}"


def reclassified_key(*, event_id: int) -> str:
    """One notice per reclassification (a hoja may be reclassified back and forth, each time with a reason)."""
    return f"reclassified:{event_id}"


def extension_notice_key(*, complaint_id: int) -> str:
    return f"extension_notice:{complaint_id}"


def sirec_reminder_key(*, today: date, recipient: str) -> str:
    return f"sirec_reminder:{today.isoformat()}:{recipient.lower()}"


def reminder_key(*, complaint_id: int, threshold: int | None, recipient: str) -> str:
    """A deadline reminder goes once per (hoja, threshold, recipient)."""
    return f"reminder:{complaint_id}:{threshold}:{recipient.lower()}"


def overdue_key(*, recipient: str, today: date, complaint_ids: Iterable[int]) -> str:
    """Overdue hojas are escalated in one e-mail per person and day listing them; the key names the day and
    the hojas, so hojas that turn up overdue later that day get their own message, and a re-run gets none."""
    digest = hashlib.sha256(",".join(map(str, sorted(complaint_ids))).encode()).hexdigest()[:16]
    return f"overdue:{today.isoformat()}:{recipient.lower()}:{digest}"


def daily_digest_key(*, today: date, recipient: str) -> str:
    return f"digest:{today.isoformat()}:{recipient.lower()}"


def action_reminder_key(*, action_id: int, due_date: date, step: str) -> str:
    """Once per action, due date and reminder step: moving the due date starts its reminders again."""
    return f"action:{action_id}:due:{due_date.isoformat()}:{step}"


def action_verdict_key(*, action_id: int, recipient: str) -> str:
    return f"action:{action_id}:verdict:{recipient.lower()}"


def council_digest_key(*, today: date, recipient: str) -> str:
    """One digest per ISO week and council member."""
    year, week, _ = today.isocalendar()
    return f"council-digest:{year}-W{week:02d}:{recipient.lower()}"


def delivery_failed_alarm_key(*, message_id: int, recipient: str) -> str:
    return f"alarm:delivery:{message_id}:{recipient.lower()}"


def integrity_alarm_key(*, today: date, recipient: str) -> str:
    return f"alarm:integrity:{today.isoformat()}:{recipient.lower()}"


def indecopi_reminder_key(*, request_id: int, threshold: int | None, today: date, recipient: str) -> str:
    """Before an INDECOPI request's last day, once per (request, threshold, recipient); once it is past
    (`threshold` None), once a day."""
    step = f"{threshold}" if threshold is not None else f"overdue:{today.isoformat()}"
    return f"indecopi_reminder:{request_id}:{step}:{recipient.lower()}"


def council_report_key(*, month: date, recipient: str) -> str:
    """One management report per month (its first day) and council member."""
    return f"council-report:{month:%Y-%m}:{recipient.lower()}"


def approval_request_key(*, request_id: int, recipient: str) -> str:
    """Once per approval request and supervisor: a retried request never e-mails them twice."""
    return f"approval_request:{request_id}:{recipient.lower()}"


def meeting_agenda_key(*, meeting_id: int, today: date, recipient: str) -> str:
    """A council meeting's agenda goes to each attendee once per day it is sent (the meeting day's refresh)."""
    return f"meeting:{meeting_id}:agenda:{today.isoformat()}:{recipient.lower()}"


def meeting_minutes_key(*, meeting_id: int, recipient: str) -> str:
    """The closed minutes go to each attendee once."""
    return f"meeting:{meeting_id}:minutes:{recipient.lower()}"
