"""Which deadline notices a hoja is owed. PURE: no ORM, no clock (the sweep passes days left in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REMINDER = "reminder"

OVERDUE = "overdue"


@dataclass(frozen=True)
class Notice:
    kind: str  # REMINDER or OVERDUE
    days_left: int
    threshold: int | None  # the reminder threshold reached (business days left), None when overdue


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
