"""Which deadline notices a hoja is owed. PURE: no ORM, no clock (the sweep passes days left in)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

REMINDER = "reminder"

OVERDUE = "overdue"


@dataclass(frozen=True)
class Notice:
    kind: str  # REMINDER or OVERDUE
    days_left: int
    threshold: int | None  # the reminder threshold reached (business days left), None when overdue

    def idempotency_key(self, complaint_id: int, recipient: str) -> str:
        """A reminder goes once per (hoja, threshold, recipient)."""
        return f"reminder:{complaint_id}:{self.threshold}:{recipient.lower()}"


def overdue_key(recipient: str, today: date, complaint_ids: Iterable[int]) -> str:
    """Overdue hojas are escalated in one e-mail per person and day listing them; the key names the day and
    the hojas, so hojas that turn up overdue later that day get their own message, and a re-run gets none."""
    digest = hashlib.sha256(",".join(map(str, sorted(complaint_ids))).encode()).hexdigest()[:16]
    return f"overdue:{today.isoformat()}:{recipient.lower()}:{digest}"


def notice_for(days_left: int, thresholds: Sequence[int]) -> Notice | None:
    """The notice owed at `days_left` business days before the due date.

    Reminders: the smallest configured threshold already reached (days_left <= threshold), so a hoja that
    jumps past several thresholds at once (a calendar change, a late first sweep) gets one reminder, not a
    burst. Overdue (days_left < 0): an escalation, owed again each day it stays overdue.
    """
    if days_left < 0:
        return Notice(OVERDUE, days_left, None)
    reached = [t for t in thresholds if days_left <= t]
    if not reached:
        return None
    return Notice(REMINDER, days_left, min(reached))
