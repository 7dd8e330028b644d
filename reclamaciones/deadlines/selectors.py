"""Reads of the deadline tracker: the business calendar (national holidays plus the non-working days staff
added), the sweep's candidates and the trackers' heartbeats."""

from __future__ import annotations

from datetime import date, timedelta

from ..access import Scope
from ..book.models import OPEN_STATUSES, TRACKED_STATUSES, Complaint
from .models import NonWorkingDay, TrackerHeartbeat
from .rules import BusinessCalendar


def business_calendar_get() -> BusinessCalendar:
    """The calendar deadlines are computed with: Peru's national holidays plus every NonWorkingDay row."""
    return BusinessCalendar(NonWorkingDay.objects.values_list("date", flat=True))


def complaint_deadline_candidates(*, scope: Scope, horizon: date) -> list[dict]:
    """Hojas in `scope` whose legal clock runs and whose due date is on or before `horizon` (index status, due_date)."""
    candidates = Complaint.objects.filter(status__in=TRACKED_STATUSES, due_date__lte=horizon)
    return list(
        scope.filter(candidates, path="establishment")
        .order_by()  # no sort needed (the model's default ordering would add one)
        .values("id", "establishment_id", "due_date", "assignee__email", "assignee__is_active")
    )


def tracker_heartbeat_get(*, name: str) -> TrackerHeartbeat | None:
    return TrackerHeartbeat.objects.filter(name=name).first()


def week_end(today: date) -> date:
    """The Sunday that ends today's week: "vencen esta semana" means today .. that Sunday."""
    return today + timedelta(days=6 - today.weekday())


def open_complaint_rows(*, scope: Scope) -> list[tuple[int, int, str | None, bool | None]]:
    """(id, establishment_id, assignee e-mail, assignee active) of every open hoja in `scope`: the daily digest's
    input."""
    rows = Complaint.objects.filter(status__in=OPEN_STATUSES)
    return list(
        scope.filter(rows, path="establishment").values_list(
            "id", "establishment_id", "assignee__email", "assignee__is_active"
        )
    )
