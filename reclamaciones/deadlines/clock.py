"""A hoja's legal clock as every screen, e-mail and job reads and moves it.

`days_left` is the one count of days left that the staff queue and detail, the exports, the consumer's
tracking page, the reminders and the sweep show: business days to the due date (0 on the due date, negative
once it has passed), and None once the clock no longer runs. `due_date_move` is the one way a due date
changes after filing: a settlement offer's suspended days (art. 6-A), the one-time extension of a pre-2022
hoja, or a non-working day added to the calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.utils import timezone

from ..book.models import OPEN_STATUSES
from .rules import BusinessCalendar, business_days_left, effective_due_date

if TYPE_CHECKING:
    from ..book.models import Complaint


def lima_midnight(day: date) -> datetime:
    """The aware instant a Lima date starts: days are filtered as ranges of instants, so indexes are used."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class DaysLeft:
    """`days_left` for many hojas on one day: the count is kept per due date, so a page or an export of many
    hojas walks the calendar once per distinct due date."""

    def __init__(self, *, today: date, calendar: BusinessCalendar) -> None:
        self.today, self.calendar = today, calendar
        self._by_due: dict[date, int] = {}

    def __call__(self, complaint: Complaint) -> int | None:
        if complaint.status not in OPEN_STATUSES:
            return None
        return self.until(complaint.due_date)

    def until(self, due: date) -> int:
        """Business days left to `due` (for rows already known to be open, as the sweep's candidates)."""
        if due not in self._by_due:
            self._by_due[due] = business_days_left(self.today, due, self.calendar)
        return self._by_due[due]


def days_left(complaint: Complaint, *, today: date, calendar: BusinessCalendar) -> int | None:
    """Business days left to answer `complaint`; None once it is answered, settled or closed."""
    return DaysLeft(today=today, calendar=calendar)(complaint)


def due_date_move(
    complaint: Complaint,
    *,
    calendar: BusinessCalendar,
    suspended_business_days: int | None = None,
    extension_days: int | None = None,
) -> tuple[date, date]:
    """Set what legally moves `complaint`'s due date (when given) and recompute it from the filing date.
    Returns (old, new) for the event the caller records; the caller saves the row."""
    if suspended_business_days is not None:
        complaint.suspended_business_days = suspended_business_days
    if extension_days is not None:
        complaint.extension_days = extension_days
    old = complaint.due_date
    complaint.due_date = effective_due_date(
        timezone.localdate(complaint.filed_at),
        calendar,
        suspended_business_days=complaint.suspended_business_days,
        extension_days=complaint.extension_days,
    )
    return old, complaint.due_date
