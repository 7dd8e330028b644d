"""The supervisor's team view (/gestion/equipo/): open, overdue and soon-due hojas per person and per
establishment, what each person answered in the last 30 days and how much of it on time, and its one write:
moving a person's open hojas to someone else (each move is the same `complaint_assign` an agent makes on the
hoja, with its lock, its check that the new person works there, and its event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from ..access import ACTING_ROLES, Scope
from ..book.models import OPEN_STATUSES, Complaint, Establishment
from ..deadlines.clock import lima_midnight
from ..deadlines.rules import BusinessCalendar
from .models import Response
from .selectors import establishment_list
from .services import WorkflowError, complaint_assign

SOON_BUSINESS_DAYS = 2  # the queue's amber: at most 2 business days left
ANSWERED_WINDOW_DAYS = 30

MSG_SAME_PERSON = "Elige a otra persona: las hojas ya son suyas."
MSG_SUPERVISORS_ONLY = "Solo supervisión puede reasignar hojas en bloque."
MSG_NOTHING_TO_MOVE = "Esa persona no tiene hojas abiertas en tus establecimientos."


@dataclass(frozen=True)
class PersonLoad:
    user: object | None  # None: the hojas nobody has taken yet
    open: int
    overdue: int
    soon: int
    answered: int  # in the last ANSWERED_WINDOW_DAYS days
    answered_on_time: int

    @property
    def on_time_pct(self) -> int | None:
        return round(100 * self.answered_on_time / self.answered) if self.answered else None


@dataclass(frozen=True)
class EstablishmentLoad:
    establishment: Establishment
    open: int
    unassigned: int
    overdue: int
    soon: int
    oldest_due: date | None
    remedy_pending: int = 0  # answered or settled, the remedy not yet recorded as carried out (followup)


@dataclass(frozen=True)
class TeamWorkload:
    people: list[PersonLoad]
    establishments: list[EstablishmentLoad]
    since: date  # the answered window's first day


def team_workload(*, scope: Scope, today: date, calendar: BusinessCalendar) -> TeamWorkload:
    """Four aggregate queries whatever the size of the book: open hojas by assignee and by establishment (the
    open-status index), remedies still to record by establishment (their partial index), answers of the last 30
    days by who sent them (the communicated_at index)."""
    soon_until = calendar.add_business_days(today, SOON_BUSINESS_DAYS)
    open_hojas = scope.filter(Complaint.objects.filter(status__in=OPEN_STATUSES), path="establishment")
    counts = {
        "open": Count("pk"),
        "overdue": Count("pk", filter=Q(due_date__lt=today)),
        "soon": Count("pk", filter=Q(due_date__range=(today, soon_until))),
    }
    by_person = {row["assignee"]: row for row in open_hojas.values("assignee").annotate(**counts).order_by()}
    by_establishment = {
        row["establishment"]: row
        for row in open_hojas.values("establishment")
        .annotate(**counts, unassigned=Count("pk", filter=Q(assignee__isnull=True)), oldest_due=Min("due_date"))
        .order_by()
    }
    # Follow-through still to record (handling.followup): few rows, read through their partial index.
    remedy_pending = dict(
        scope.filter(Complaint.objects.filter(remedy_pending=True), path="establishment")
        .values("establishment")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("establishment", "n")
    )
    since = today - timedelta(days=ANSWERED_WINDOW_DAYS - 1)
    answers = scope.filter(
        Response.objects.filter(communicated_at__gte=lima_midnight(since)), path="complaint__establishment"
    )
    by_answerer = {
        row["responded_by"]: row
        for row in answers.values("responded_by")
        .annotate(
            answered=Count("pk"),
            # deadlines.rules.answered_on_time in SQL: the Lima date (TIME_ZONE) on or before the due date
            on_time=Count("pk", filter=Q(communicated_at__date__lte=F("complaint__due_date"))),
        )
        .order_by()
    }
    establishments = establishment_list(scope=scope)
    people_ids = {pk for pk in by_person if pk is not None} | {pk for pk in by_answerer if pk is not None}
    team = (
        get_user_model()
        .objects.filter(Q(pk__in=people_ids) | Q(is_active=True, groups__name__in=ACTING_ROLES))
        .filter(
            Q(pk__in=people_ids)
            | Q(staff_profile__all_establishments=True)
            | Q(staff_profile__establishments__in=[e.pk for e in establishments])
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    people = [_person(user, by_person.get(user.pk), by_answerer.get(user.pk)) for user in team]
    people.sort(key=lambda p: (-p.overdue, -p.open))
    if None in by_person:
        people.insert(0, _person(None, by_person[None], None))
    return TeamWorkload(
        people=people,
        establishments=[
            EstablishmentLoad(
                establishment=e,
                open=by_establishment.get(e.pk, {}).get("open", 0),
                unassigned=by_establishment.get(e.pk, {}).get("unassigned", 0),
                overdue=by_establishment.get(e.pk, {}).get("overdue", 0),
                soon=by_establishment.get(e.pk, {}).get("soon", 0),
                oldest_due=by_establishment.get(e.pk, {}).get("oldest_due"),
                remedy_pending=remedy_pending.get(e.pk, 0),
            )
            for e in establishments
        ],
        since=since,
    )


def _person(user, open_row: dict | None, answered_row: dict | None) -> PersonLoad:
    open_row, answered_row = open_row or {}, answered_row or {}
    return PersonLoad(
        user=user,
        open=open_row.get("open", 0),
        overdue=open_row.get("overdue", 0),
        soon=open_row.get("soon", 0),
        answered=answered_row.get("answered", 0),
        answered_on_time=answered_row.get("on_time", 0),
    )


@dataclass(frozen=True)
class Reassignment:
    moved: int
    refused: list[tuple[str, str]]  # (hoja Nº, why): the new person does not work for that establishment


def complaints_reassign(
    *, from_user, to_user, scope: Scope, only_overdue: bool = False, now: datetime | None = None
) -> Reassignment:
    """Move `from_user`'s open hojas in `scope` (or only the overdue ones) to `to_user` (None: back to their
    establishments' queue). Each hoja moves through complaint_assign; one that `to_user` cannot take (not their
    establishment) stays and is listed. All or nothing per hoja; the others still move."""
    now = now or timezone.now()
    if not scope.supervises:
        raise WorkflowError(MSG_SUPERVISORS_ONLY)
    if to_user is not None and from_user is not None and to_user.pk == from_user.pk:
        raise WorkflowError(MSG_SAME_PERSON)
    hojas = scope.filter(Complaint.objects.filter(status__in=OPEN_STATUSES), path="establishment")
    hojas = hojas.filter(assignee=from_user) if from_user is not None else hojas.filter(assignee__isnull=True)
    if only_overdue:
        hojas = hojas.filter(due_date__lt=timezone.localdate(now))
    moved, refused = 0, []
    for pk, number, year in hojas.order_by("due_date", "pk").values_list("pk", "number", "year"):
        try:
            with transaction.atomic():
                complaint_assign(complaint_id=pk, assignee=to_user, scope=scope, now=now)
        except WorkflowError as exc:
            refused.append((f"{number:09d}-{year}", str(exc)))
        else:
            moved += 1
    if not moved and not refused:
        raise WorkflowError(MSG_NOTHING_TO_MOVE)
    return Reassignment(moved=moved, refused=refused)
