"""Reads. Views and services ask here, with the joins already chosen."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from . import roles
from .deadlines import BusinessCalendar
from .models import (
    OPEN_STATUSES,
    TRACKED_STATUSES,
    Cause,
    Complaint,
    Establishment,
    NonWorkingDay,
    OutboundMessage,
    ResponseTemplate,
    SettlementOffer,
    StaffProfile,
    TrackerHeartbeat,
)


def business_calendar_get() -> BusinessCalendar:
    """The calendar deadlines are computed with: Peru's national holidays plus every NonWorkingDay row."""
    return BusinessCalendar(NonWorkingDay.objects.values_list("date", flat=True))


def staff_emails_by_establishment(*, role: str, establishment_ids: Iterable[int]) -> dict[int, list[str]]:
    """E-mails of the active staff of `role` who work for each establishment (one query)."""
    wanted = set(establishment_ids)
    rows = (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True, staff_profile__isnull=False)
        .exclude(email="")
        .values_list("email", "staff_profile__all_establishments", "staff_profile__establishments")
    )
    emails: dict[int, list[str]] = {pk: [] for pk in wanted}
    for email, everywhere, establishment_id in rows:
        for pk in wanted if everywhere else ({establishment_id} & wanted):
            if email not in emails[pk]:
                emails[pk].append(email)
    return emails


def complaint_deadline_candidates(*, horizon: date) -> list[dict]:
    """Hojas whose legal clock runs and whose due date is on or before `horizon` (index status, due_date)."""
    return list(
        Complaint.objects.filter(status__in=TRACKED_STATUSES, due_date__lte=horizon)
        .order_by()  # no sort needed (the model's default ordering would add one)
        .values("id", "establishment_id", "due_date", "assignee__email", "assignee__is_active")
    )


def tracker_heartbeat_get(*, name: str) -> TrackerHeartbeat | None:
    return TrackerHeartbeat.objects.filter(name=name).first()


def establishment_list_public() -> QuerySet[Establishment]:
    return Establishment.objects.filter(is_active=True).select_related("provider").order_by("name")


def establishment_get_public(*, slug: str) -> Establishment:
    """The active establishment whose book lives at /libro/<slug>/ (raises Establishment.DoesNotExist)."""
    return establishment_list_public().get(slug=slug)


def complaint_get_by_token(*, token: str) -> Complaint:
    """The hoja behind a tracking link (raises Complaint.DoesNotExist)."""
    return Complaint.objects.select_related("establishment__provider", "response", "survey").get(tracking_token=token)


def complaint_find_by_number(*, number: int, year: int, doc_number: str) -> str | None:
    """Tracking token of the hoja with this number and year filed with this document number, in any
    establishment (the most recent one if two books share the number). One indexed query either way."""
    return (
        Complaint.objects.filter(number=number, year=year, doc_number=doc_number)
        .order_by("-filed_at", "-pk")
        .values_list("tracking_token", flat=True)
        .first()
    )


def outbox_due_ids(*, now, limit: int) -> list[int]:
    """Messages the relay must (re)dispatch: pending and due, or stuck in a send whose lease expired."""
    return list(
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def settlement_offer_latest(*, complaint: Complaint) -> SettlementOffer | None:
    return complaint.settlement_offers.order_by("-created_at", "-pk").first()


# Staff scoping: every list, detail, PDF, export and action goes through these.
ACTING_ROLES = frozenset({roles.AGENT, roles.SUPERVISOR})
STAFF_ROLES = frozenset(roles.ALL_ROLES)


def staff_roles(user) -> set[str]:
    """The staff roles of `user` (read once per user object, i.e. once per request)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if not hasattr(user, "_staff_roles"):
        user._staff_roles = (
            set(STAFF_ROLES)
            if user.is_superuser
            else set(user.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True))
        )
    return user._staff_roles


def staff_establishment_ids(user) -> set[int] | None:
    """The establishments `user` works for; None means all of them. Empty for non-staff. Cached per user
    object like staff_roles."""
    if not staff_roles(user):
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_staff_scope"):
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is None:
            user._staff_scope = set()
        elif profile.all_establishments:
            user._staff_scope = None
        else:
            user._staff_scope = set(profile.establishments.values_list("pk", flat=True))
    return user._staff_scope


def complaint_list_for(user) -> QuerySet[Complaint]:
    """The hojas `user` may see."""
    scope = staff_establishment_ids(user)
    complaints = Complaint.objects.select_related("establishment", "assignee")
    return complaints if scope is None else complaints.filter(establishment_id__in=scope)


def user_can_act_on(user, establishment_id: int) -> bool:
    """Agents and supervisors of the establishment (or of all) may act; council and auditors only read."""
    if not staff_roles(user) & ACTING_ROLES:
        return False
    scope = staff_establishment_ids(user)
    return scope is None or establishment_id in scope


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


# The staff queue ---------------------------------------------------------------------------------------------

STATUS_OPEN = "abiertas"  # the queue's "En trámite" filter value: every open status
NUMBER_RE = re.compile(r"^(?:n[º°o.]?\s*)?0*(\d{1,9})(?:\s*-\s*(\d{4}))?$", re.IGNORECASE)


def week_end(today: date) -> date:
    """The Sunday that ends today's week: "vencen esta semana" means today .. that Sunday."""
    return today + timedelta(days=6 - today.weekday())


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


def establishment_list_for(user) -> list[Establishment]:
    scope = staff_establishment_ids(user)
    establishments = Establishment.objects.order_by("name")
    return list(establishments if scope is None else establishments.filter(pk__in=scope))


def complaint_queue(
    *,
    user,
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
    """The hojas in `user`'s scope that match the filters: open ones first, the most urgent on top (earliest
    due date = fewest business days left), then the rest, newest first."""
    complaints = complaint_list_for(user)
    if status == STATUS_OPEN:
        complaints = complaints.filter(status__in=OPEN_STATUSES)
    elif status:
        complaints = complaints.filter(status=status)
    if establishment_id:
        complaints = complaints.filter(establishment_id=establishment_id)
    if kind:
        complaints = complaints.filter(kind="" if kind == "sin" else kind)
    if mine:
        complaints = complaints.filter(assignee=user)
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


def complaint_queue_summary(*, user, today: date) -> dict:
    """The counters above the queue, in one aggregate query (each one is also a filter link)."""
    return (
        complaint_list_for(user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            week=Count("pk", filter=Q(due_date__range=(today, week_end(today)))),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee=user)),
        )
    )


def cause_choices() -> QuerySet[Cause]:
    """Active causes (leaves of the taxonomy) with their category, in code order."""
    return Cause.objects.filter(is_active=True, parent__isnull=False).select_related("parent").order_by("code")


# The improvement council -----------------------------------------------------------------------------------


def cause_pareto(*, user, start: date, end: date, establishment_id: int | None = None, limit: int = 10) -> dict:
    """Hojas per cause filed between `start` and `end` (Lima dates, inclusive) in `user`'s scope, most frequent
    first, with each cause's share and the cumulative share (one GROUP BY; nothing loops over hojas).
    Unclassified hojas are counted apart, so the council sees how much is still unexplained."""
    complaints = complaint_list_for(user).filter(filed_at__date__range=(start, end))
    if establishment_id:
        complaints = complaints.filter(establishment_id=establishment_id)
    grouped = list(
        complaints.order_by()
        .values("cause_id", "cause__code", "cause__name", "cause__parent__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "cause__code")
    )
    total = sum(row["count"] for row in grouped)
    unclassified = next((row["count"] for row in grouped if row["cause_id"] is None), 0)
    rows, cumulative = [], 0
    for row in [r for r in grouped if r["cause_id"] is not None][:limit]:
        cumulative += row["count"]
        rows.append(
            {
                "code": row["cause__code"],
                "name": row["cause__name"],
                "category": row["cause__parent__name"],
                "count": row["count"],
                "share": 100 * row["count"] / total,
                "cumulative": 100 * cumulative / total,
            }
        )
    return {"rows": rows, "total": total, "unclassified": unclassified}
