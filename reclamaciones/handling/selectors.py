"""Reads of the back office: the queue (filters, search, sort), the queue's summary, who may be assigned,
the answer templates and the latest settlement offer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from ..access import ACTING_ROLES, ALL_ROLES, Scope
from ..book.models import OPEN_STATUSES, Complaint, Establishment
from ..deadlines.selectors import week_end
from .models import Cause, ResponseTemplate, SettlementOffer

STATUS_OPEN = "abiertas"  # the queue's "En trámite" filter value: every open status

NUMBER_RE = re.compile(r"^(?:n[º°o.]?\s*)?0*(\d{1,9})(?:\s*-\s*(\d{4}))?$", re.IGNORECASE)


def settlement_offer_latest(*, complaint: Complaint) -> SettlementOffer | None:
    return complaint.settlement_offers.order_by("-created_at", "-pk").first()


def complaint_list(*, scope: Scope) -> QuerySet[Complaint]:
    """The hojas `scope` may see."""
    return scope.filter(Complaint.objects.select_related("establishment", "assignee"), path="establishment")


def assignable_staff(*, establishment_id: int) -> QuerySet:
    """Active agents and supervisors who work for the establishment."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ACTING_ROLES)
        .filter(Q(staff_profile__all_establishments=True) | Q(staff_profile__establishments=establishment_id))
        .distinct()
        .order_by("first_name", "username")
    )


def related_or_none(instance, name: str):
    """The row behind a reverse one-to-one accessor (complaint.response, complaint.survey), or None."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def response_templates_for(complaint: Complaint) -> list[ResponseTemplate]:
    """Active answer templates that fit the hoja's kind (templates without a kind fit both)."""
    templates = ResponseTemplate.objects.filter(is_active=True)
    if complaint.kind:
        templates = templates.filter(Q(kind="") | Q(kind=complaint.kind))
    return list(templates.order_by("name"))


def search_q(query: str) -> Q:
    """By sheet number ("000000012-2026", "12"), by document number, or by the consumer's name."""
    match = NUMBER_RE.match(query)
    condition = Q(doc_number__iexact=query) | Q(consumer_name__icontains=query)
    if match:
        number = Q(number=int(match.group(1)))
        if match.group(2):
            number &= Q(year=int(match.group(2)))
        condition |= number
    return condition


def establishment_list(*, scope: Scope) -> list[Establishment]:
    return list(scope.filter(Establishment.objects.order_by("name"), path="pk"))


def complaint_queue(
    *,
    scope: Scope,
    today: date,
    status: str = "",
    establishment_id: int | None = None,
    kind: str = "",
    mine: bool = False,
    unassigned: bool = False,
    overdue: bool = False,
    this_week: bool = False,
    query: str = "",
) -> QuerySet[Complaint]:
    """The hojas in `scope` that match the filters ("mine": assigned to the scope's user): open ones first, the
    most urgent on top (earliest due date = fewest business days left), then the rest, newest first."""
    complaints = complaint_list(scope=scope)
    if status == STATUS_OPEN:
        complaints = complaints.filter(status__in=OPEN_STATUSES)
    elif status:
        complaints = complaints.filter(status=status)
    if establishment_id:
        complaints = complaints.filter(establishment_id=establishment_id)
    if kind:
        complaints = complaints.filter(kind="" if kind == "sin" else kind)
    if mine:
        complaints = complaints.filter(assignee=scope.user)
    if unassigned:
        complaints = complaints.filter(assignee__isnull=True)
    if overdue:
        complaints = complaints.filter(status__in=OPEN_STATUSES, due_date__lt=today)
    if this_week:
        complaints = complaints.filter(status__in=OPEN_STATUSES, due_date__range=(today, week_end(today)))
    if query:
        complaints = complaints.filter(search_q(query))
    is_open = Q(status__in=OPEN_STATUSES)
    return complaints.annotate(
        closed_rank=Case(When(is_open, then=Value(0)), default=Value(1), output_field=IntegerField()),
        open_due=Case(When(is_open, then=F("due_date"))),
    ).order_by("closed_rank", F("open_due").asc(nulls_last=True), "-filed_at", "-pk")


def complaint_queue_summary(*, scope: Scope, today: date) -> dict:
    """The counters above the queue, in one aggregate query (each one is also a filter link)."""
    return (
        complaint_list(scope=scope)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            week=Count("pk", filter=Q(due_date__range=(today, week_end(today)))),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee=scope.user)),
        )
    )


def staff_user_choices() -> QuerySet:
    """Active people who can own an action item or attend a council meeting: staff or holders of a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(groups__name__in=ALL_ROLES))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def cause_choices(keep: Iterable[Cause] = ()) -> QuerySet[Cause]:
    """Active causes (leaves of the taxonomy) with their category, in code order, plus any in `keep`: an old
    action item keeps its causes even after one is retired."""
    return (
        Cause.objects.filter(parent__isnull=False)
        .filter(Q(is_active=True) | Q(pk__in=[c.pk for c in keep]))
        .select_related("parent")
        .order_by("code")
    )
