"""Reads. Views and services ask here, with the joins already chosen."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from . import roles
from .deadlines import BusinessCalendar
from .improvement import (
    BASELINE_WEEKS,
    RECENT_WEEKS,
    REPEAT_WINDOW_DAYS,
    TREND_WEEKS,
    flag_windows,
    is_recurring,
    nps,
    rate_ratio,
    trend_weeks,
    weekly_rate,
    weighted_median,
)
from .models import (
    ACTION_PENDING_STATUSES,
    ACTION_VERDICT_STATUSES,
    OPEN_STATUSES,
    TRACKED_STATUSES,
    ActionItem,
    ActionStatus,
    Cause,
    Complaint,
    CouncilMeeting,
    Establishment,
    Kind,
    NonWorkingDay,
    OutboundMessage,
    ResponseTemplate,
    SettlementOffer,
    StaffProfile,
    SurveyAnswer,
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


def superuser_emails() -> list[str]:
    """E-mails of the active administrators (the last resort of an alarm nobody else would receive)."""
    return list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def outbox_failed_count() -> int:
    """Messages given up after their whole retry schedule (index status, next_attempt_at)."""
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count()


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
    """Messages the relay must (re)dispatch: pending, due and not waiting in the queue already, or stuck in a
    send whose lease expired (services.outbox explains the leases)."""
    return list(
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def complaint_seal_get(*, establishment_id: int, year: int, number: int) -> str | None:
    """The integrity seal of one hoja of a book (None when that number does not exist)."""
    return (
        Complaint.objects.filter(establishment_id=establishment_id, year=year, number=number)
        .values_list("seal", flat=True)
        .first()
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


def staff_user_choices() -> QuerySet:
    """Active people who can own an action item or attend a council meeting: staff or holders of a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(groups__name__in=roles.ALL_ROLES))
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


# The improvement council -----------------------------------------------------------------------------------


def lima_midnight(day: date) -> datetime:
    """The aware instant a Lima date starts: periods filter `filed_at` by range so its index is used."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _council_complaints(user, establishment_id: int | None) -> QuerySet[Complaint]:
    """Hojas the council figures count: `user`'s scope (None: every establishment), optionally one establishment.
    No select_related: these querysets only feed aggregates."""
    complaints = Complaint.objects.order_by()
    if user is not None:
        scope = staff_establishment_ids(user)
        if scope is not None:
            complaints = complaints.filter(establishment_id__in=scope)
    if establishment_id:
        complaints = complaints.filter(establishment_id=establishment_id)
    return complaints


def _filed_between(complaints: QuerySet[Complaint], start: date, end: date, prefix: str = "") -> QuerySet:
    return complaints.filter(
        **{f"{prefix}filed_at__gte": lima_midnight(start), f"{prefix}filed_at__lt": lima_midnight(end + timedelta(1))}
    )


def _causes_by_id(ids: Iterable[int | None]) -> dict[int, Cause]:
    """The causes behind grouped counts, with category and owner: the big GROUP BYs group by the narrow
    cause_id alone (an index-only scan) and the labels of a few dozen causes come from here."""
    return {
        c.pk: c
        for c in Cause.objects.filter(pk__in=[i for i in ids if i is not None]).select_related("parent", "owner")
    }


def cause_pareto(*, user, start: date, end: date, establishment_id: int | None = None, limit: int = 10) -> dict:
    """Hojas per cause filed between `start` and `end` (Lima dates, inclusive) in `user`'s scope, most frequent
    first, with each cause's share and the cumulative share (one GROUP BY; nothing loops over hojas).
    Unclassified hojas are counted apart, so the council sees how much is still unexplained."""
    complaints = _filed_between(_council_complaints(user, establishment_id), start, end)
    counts = dict(complaints.values_list("cause_id").annotate(count=Count("pk")))
    total = sum(counts.values())
    unclassified = counts.pop(None, 0)
    causes = _causes_by_id(counts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], causes[item[0]].code))[:limit]
    rows, cumulative = [], 0
    for cause_id, count in ranked:
        cumulative += count
        cause = causes[cause_id]
        rows.append(
            {
                "cause_id": cause_id,
                "code": cause.code,
                "name": cause.name,
                "category": cause.parent.name if cause.parent else "",
                "count": count,
                "share": 100 * count / total,
                "cumulative": 100 * cumulative / total,
            }
        )
    return {"rows": rows, "total": total, "unclassified": unclassified}


def cause_weekly_trend(
    *, user, end: date, cause_ids: list[int], establishment_id: int | None = None, weeks: int = TREND_WEEKS
) -> dict:
    """Hojas per week (Monday-Sunday, Lima) for each of `cause_ids` over the `weeks` weeks ending with `end`'s
    week: one GROUP BY cause, week. Weeks without hojas read 0."""
    mondays = trend_weeks(end, weeks)
    causes = {c.pk: c for c in Cause.objects.filter(pk__in=cause_ids)}
    counts: dict[tuple[int, date], int] = {}
    if causes:
        complaints = _filed_between(
            _council_complaints(user, establishment_id).filter(cause_id__in=causes),
            mondays[0],
            mondays[-1] + timedelta(6),
        )
        for row in complaints.annotate(week=TruncWeek("filed_at")).values("cause_id", "week").annotate(n=Count("pk")):
            week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
            counts[(row["cause_id"], week)] = row["n"]
    series = [
        {
            "code": causes[pk].code,
            "name": causes[pk].name,
            "counts": [counts.get((pk, monday), 0) for monday in mondays],
        }
        for pk in cause_ids
        if pk in causes
    ]
    return {"weeks": mondays, "series": series}


def establishment_counts(*, user, start: date, end: date, establishment_id: int | None = None) -> list[dict]:
    """Hojas per establishment filed in the period (reclamos, quejas, still open), most first."""
    complaints = _filed_between(_council_complaints(user, establishment_id), start, end)
    grouped = list(
        complaints.values("establishment_id").annotate(
            count=Count("pk"),
            reclamos=Count("pk", filter=Q(kind=Kind.RECLAMO)),
            quejas=Count("pk", filter=Q(kind=Kind.QUEJA)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        )
    )
    names = dict(
        Establishment.objects.filter(pk__in=[r["establishment_id"] for r in grouped]).values_list("pk", "name")
    )
    rows = [{**row, "establishment__name": names[row["establishment_id"]]} for row in grouped]
    return sorted(rows, key=lambda row: (-row["count"], row["establishment__name"]))


def _as_aware(value) -> datetime:
    """A datetime read with a raw cursor, as the ORM would give it (SQLite returns text; PostgreSQL aware)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def repeat_complainants(
    *,
    user,
    end: date,
    establishment_id: int | None = None,
    days: int = REPEAT_WINDOW_DAYS,
    min_count: int = 2,
    limit: int = 20,
) -> dict:
    """Consumers (same document type and number) with `min_count`+ hojas filed in the `days` days ending on `end`:
    who keeps coming back, with how many hojas, where and when last. One GROUP BY ... HAVING over the covering
    index gives the ranking and, through window functions over its groups, the totals; the names and the
    distinct establishments and causes are then read for the `limit` consumers shown only."""
    start = end - timedelta(days=days - 1)
    complaints = _filed_between(_council_complaints(user, establishment_id), start, end)
    grouped = (
        complaints.values("doc_type", "doc_number")
        .annotate(count=Count("pk"), last_filed=Max("filed_at"))
        .filter(count__gte=min_count)
        .order_by()
    )
    # The totals ride on the ranking as window functions over the groups (Django's ORM cannot put a window
    # over an aggregate), so the period's hojas are grouped once.
    sql, params = grouped.query.sql_with_params()  # the ORM's SQL, its values passed apart
    ranking = (
        "SELECT doc_type, doc_number, count, last_filed, COUNT(*) OVER () AS consumers, SUM(count) OVER () AS hojas "  # noqa: S608
        f"FROM ({sql}) grouped ORDER BY count DESC, last_filed DESC, doc_number LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(ranking, [*params, limit])
        fields = ("doc_type", "doc_number", "count", "last_filed", "consumers", "hojas")
        ranked = [dict(zip(fields, values, strict=True)) for values in cursor.fetchall()]
    for row in ranked:
        row["last_filed"] = _as_aware(row["last_filed"])
    details = {}
    if ranked:
        shown = Q()
        for row in ranked:
            shown |= Q(doc_type=row["doc_type"], doc_number=row["doc_number"])
        details = {
            (d["doc_type"], d["doc_number"]): d
            for d in complaints.filter(shown)
            .values("doc_type", "doc_number")
            .annotate(
                name=Max("consumer_name"),
                establishments=Count("establishment_id", distinct=True),
                causes=Count("cause_id", distinct=True),
            )
        }
    rows = [
        {
            "doc_type": row["doc_type"],
            "doc_number": row["doc_number"],
            "count": row["count"],
            "last_filed": row["last_filed"],
            **{k: details[(row["doc_type"], row["doc_number"])][k] for k in ("name", "establishments", "causes")},
        }
        for row in ranked
    ]
    # SUM() is a numeric on PostgreSQL
    totals = (
        {"consumers": ranked[0]["consumers"], "hojas": int(ranked[0]["hojas"])}
        if ranked
        else {"consumers": 0, "hojas": 0}
    )
    total = complaints.count()
    return {
        "start": start,
        "end": end,
        "rows": rows,
        "consumers": totals["consumers"],
        "hojas": totals["hojas"],
        "total": total,
        "share": 100 * totals["hojas"] / total if total else None,
    }


def _answer_days_median(answered: QuerySet[Complaint]) -> float | None:
    """Median business days from filing to the communicated answer of `answered` (Código Civil art. 183: the
    filing day is not counted), from (filed day, answered day) groups: at most a few thousand pairs for any
    period, turned into business days with the calendar the deadlines use."""
    pairs = (
        answered.annotate(filed_day=TruncDate("filed_at"), answered_day=TruncDate("response__communicated_at"))
        .values("filed_day", "answered_day")
        .annotate(n=Count("pk"))
    )
    calendar = business_calendar_get()
    pairs = list(pairs)
    days = calendar.business_days_between_many((row["filed_day"], row["answered_day"]) for row in pairs)
    return weighted_median(zip(days, (row["n"] for row in pairs), strict=True))


ANSWERED_ON_TIME = Q(response__communicated_at__date__lte=F("due_date"))


def answer_performance(*, user, start: date, end: date, today: date, establishment_id: int | None = None) -> dict:
    """How fast staff answer the hojas filed in the period:
    - answered: hojas with their answer communicated; on time when communicated by the due date;
    - late: answered after the due date, plus unanswered hojas still open past it (they can no longer be on time);
    - on-time rate: on time / (answered + open past due), so an unanswered hoja never flatters the figure;
    - median business days from filing to the answer;
    - overdue now: open hojas of the scope past their due date today, whatever the period.
    One pass over the period's hojas: GROUP BY (filed day, answered day, on time, open past due), at most a
    few thousand groups for any period; the counts and the median are summed from those groups."""
    complaints = _filed_between(_council_complaints(user, establishment_id), start, end)
    # An answer never precedes its hoja: joining only the answers given since the period began is the same
    # join, and lets PostgreSQL read just those from response_communicated_idx instead of every answer.
    answer = FilteredRelation("response", condition=Q(response__communicated_at__gte=lima_midnight(start)))
    groups = (
        complaints.annotate(answer=answer)
        .annotate(
            filed_day=TruncDate("filed_at"),
            answered_day=TruncDate("answer__communicated_at"),
            on_time=ExpressionWrapper(Q(answer__communicated_at__date__lte=F("due_date")), output_field=BooleanField()),
            past_due=ExpressionWrapper(
                Q(status__in=OPEN_STATUSES, due_date__lt=today, answer__complaint__isnull=True),
                output_field=BooleanField(),
            ),
        )
        .values("filed_day", "answered_day", "on_time", "past_due")
        .annotate(n=Count("pk"))
    )
    figures = {"total": 0, "answered": 0, "on_time": 0, "open_past_due": 0}
    days_to_answer: dict[tuple[date, date], int] = {}
    for group in groups:
        figures["total"] += group["n"]
        if group["answered_day"] is not None:
            figures["answered"] += group["n"]
            pair = (group["filed_day"], group["answered_day"])
            days_to_answer[pair] = days_to_answer.get(pair, 0) + group["n"]
        figures["on_time"] += group["n"] if group["on_time"] else 0
        figures["open_past_due"] += group["n"] if group["past_due"] else 0
    calendar = business_calendar_get()
    measured = figures["answered"] + figures["open_past_due"]
    return {
        **figures,
        "late": measured - figures["on_time"],
        "on_time_rate": 100 * figures["on_time"] / measured if measured else None,
        "median_business_days": weighted_median(
            zip(calendar.business_days_between_many(days_to_answer), days_to_answer.values(), strict=True)
        ),
        "overdue_now": complaints_overdue_count(today=today, user=user, establishment_id=establishment_id),
    }


def answers_communicated(*, start: date, end: date, user=None, establishment_id: int | None = None) -> dict:
    """The answers communicated between two Lima dates (whenever their hoja was filed): how many, how many by
    the due date, and the median business days they took. What a weekly digest or a meeting reports: hojas
    filed in a short period are rarely due yet, so their on-time rate says little."""
    complaints = _council_complaints(user, establishment_id).filter(
        response__communicated_at__gte=lima_midnight(start),
        response__communicated_at__lt=lima_midnight(end + timedelta(1)),
    )
    figures = complaints.aggregate(answered=Count("pk"), on_time=Count("pk", filter=ANSWERED_ON_TIME))
    return {
        **figures,
        "late": figures["answered"] - figures["on_time"],
        "on_time_rate": 100 * figures["on_time"] / figures["answered"] if figures["answered"] else None,
        "median_business_days": _answer_days_median(complaints),
    }


def complaints_overdue_count(*, today: date, user=None, establishment_id: int | None = None) -> int:
    """Open hojas past their due date on `today` (whenever filed)."""
    return _council_complaints(user, establishment_id).filter(status__in=OPEN_STATUSES, due_date__lt=today).count()


def survey_by_cause(*, user, start: date, end: date, establishment_id: int | None = None) -> dict:
    """Satisfaction with the answers given: surveys answered in the period, per cause of their hoja (one GROUP
    BY) and overall. CSAT: average 1-5 and % satisfied (4-5); NPS: % promoters (9-10) - % detractors (0-6)."""
    surveys = SurveyAnswer.objects.filter(
        answered_at__gte=lima_midnight(start), answered_at__lt=lima_midnight(end + timedelta(1))
    ).order_by()
    scope = staff_establishment_ids(user) if user is not None else None
    if scope is not None:
        surveys = surveys.filter(complaint__establishment_id__in=scope)
    if establishment_id:
        surveys = surveys.filter(complaint__establishment_id=establishment_id)
    measures = {
        "answers": Count("pk"),
        "csat_avg": Avg("csat"),
        "satisfied": Count("pk", filter=Q(csat__gte=4)),
        "solved": Count("pk", filter=Q(solved=True)),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
    }

    def finish(row: dict) -> dict:
        n = row["answers"]
        return {
            **row,
            "satisfied_pct": 100 * row["satisfied"] / n if n else None,
            "solved_pct": 100 * row["solved"] / n if n else None,
            "nps": nps(promoters=row["promoters"], detractors=row["detractors"], answers=n),
        }

    # A correlated lookup of each survey's cause: PostgreSQL otherwise joins by scanning every hoja's index
    # entry to meet a few thousand surveys.
    cause_of = Subquery(Complaint.objects.filter(pk=OuterRef("complaint_id")).values("cause_id")[:1])
    grouped = list(surveys.annotate(survey_cause=cause_of).values("survey_cause").annotate(**measures))
    causes = _causes_by_id(row["survey_cause"] for row in grouped)
    rows = []
    for row in grouped:
        cause = causes.get(row.pop("survey_cause"))
        rows.append(
            finish(
                {
                    "complaint__cause__code": cause.code if cause else None,
                    "complaint__cause__name": cause.name if cause else None,
                    **row,
                }
            )
        )
    rows.sort(key=lambda row: (-row["answers"], row["complaint__cause__code"] or "~"))
    overall = {
        "answers": sum(row["answers"] for row in rows),
        **{key: sum(row[key] for row in rows) for key in ("satisfied", "solved", "promoters", "detractors")},
    }
    overall["csat_avg"] = (
        sum(row["csat_avg"] * row["answers"] for row in rows) / overall["answers"] if overall["answers"] else None
    )
    return {"rows": rows, "overall": finish(overall)}


def survey_low_scores(*, start: date, end: date, limit: int = 5) -> list[SurveyAnswer]:
    """The latest unhappy answers with a comment (CSAT 1-2), for the council to read in the consumer's words."""
    return list(
        SurveyAnswer.objects.filter(
            answered_at__gte=lima_midnight(start), answered_at__lt=lima_midnight(end + timedelta(1)), csat__lte=2
        )
        .exclude(comment="")
        .select_related("complaint__cause", "complaint__establishment")
        .order_by("-answered_at")[:limit]
    )


def cause_flags(
    *,
    today: date,
    user=None,
    establishment_id: int | None = None,
    factor: float | None = None,
    min_count: int | None = None,
) -> list[dict]:
    """Recurring causes as of `today` (improvement.is_recurring): per cause, hojas in the last 4 weeks and in the
    12 weeks before, from one GROUP BY with two filtered counts; flagged ones only, steepest rise first."""
    factor = settings.COUNCIL_FLAG_FACTOR if factor is None else factor
    min_count = settings.COUNCIL_FLAG_MIN_COUNT if min_count is None else min_count
    recent, baseline = flag_windows(today)
    complaints = _filed_between(_council_complaints(user, establishment_id), baseline.start, recent.end).filter(
        cause__isnull=False
    )
    recent_q = Q(filed_at__gte=lima_midnight(recent.start))
    grouped = [
        row
        for row in complaints.values("cause_id")
        .annotate(recent=Count("pk", filter=recent_q), baseline=Count("pk", filter=~recent_q))
        .filter(recent__gte=min_count)
        if is_recurring(recent=row["recent"], baseline=row["baseline"], factor=factor, min_count=min_count)
    ]
    causes = _causes_by_id(row["cause_id"] for row in grouped)
    flags = [
        {
            "cause_id": row["cause_id"],
            "code": causes[row["cause_id"]].code,
            "name": causes[row["cause_id"]].name,
            "owner": causes[row["cause_id"]].owner.get_full_name() if causes[row["cause_id"]].owner else "",
            "recent": row["recent"],
            "baseline": row["baseline"],
            "recent_rate": weekly_rate(row["recent"], RECENT_WEEKS),
            "baseline_rate": weekly_rate(row["baseline"], BASELINE_WEEKS),
            "ratio": rate_ratio(recent=row["recent"], baseline=row["baseline"]),
        }
        for row in grouped
    ]
    return sorted(flags, key=lambda f: (f["ratio"] is not None, -(f["ratio"] or 0), -f["recent"], f["code"]))


def cause_count(*, cause_ids: Iterable[int], start: date, end: date, establishment_id: int | None = None) -> int:
    """Hojas of these causes filed between two Lima dates (inclusive), every establishment or one: the figure
    an action item's baseline and verification are computed from."""
    complaints = _council_complaints(None, establishment_id).filter(cause_id__in=list(cause_ids))
    return _filed_between(complaints, start, end).count()


def unclassified_count(*, start: date, end: date, establishment_id: int | None = None) -> int:
    """Hojas filed between two Lima dates (inclusive) still without a cause."""
    complaints = _council_complaints(None, establishment_id).filter(cause__isnull=True)
    return _filed_between(complaints, start, end).count()


# Action items and meetings ------------------------------------------------------------------------------------


def action_item_list(
    *, statuses: Iterable[str] | None = None, user=None, establishment_id: int | None = None
) -> QuerySet[ActionItem]:
    """Action items, optionally limited to what `user` works on and to one establishment: an action for every
    establishment (no establishment set) concerns all of them, so it is always included."""
    actions = ActionItem.objects.select_related("owner", "establishment").prefetch_related("causes")
    scope = staff_establishment_ids(user) if user is not None else None
    if scope is not None:
        actions = actions.filter(Q(establishment__isnull=True) | Q(establishment_id__in=scope))
    if establishment_id:
        actions = actions.filter(Q(establishment__isnull=True) | Q(establishment_id=establishment_id))
    if statuses is not None:
        actions = actions.filter(status__in=list(statuses))
    return actions.order_by("due_date", "pk")


def action_items_overdue(*, today: date, **scope) -> QuerySet[ActionItem]:
    """Not yet implemented and past their due date (`scope`: user / establishment_id of action_item_list)."""
    return action_item_list(statuses=ACTION_PENDING_STATUSES, **scope).filter(due_date__lt=today)


def action_items_due_for_verification(*, today: date, **scope) -> list[ActionItem]:
    """Implemented actions whose verification window has ended by `today` (the beat task measures these).
    Action items are counted in tens, not millions: the window end is compared in Python."""
    return [
        action
        for action in action_item_list(statuses=[ActionStatus.IMPLEMENTED], **scope)
        if action.verification_due_on <= today
    ]


def action_items_in_verification(*, today: date, **scope) -> list[ActionItem]:
    """Implemented actions still inside their verification window on `today` (measured when it ends)."""
    return sorted(
        (a for a in action_item_list(statuses=[ActionStatus.IMPLEMENTED], **scope) if a.verification_due_on > today),
        key=lambda a: (a.verification_due_on, a.pk),
    )


def action_items_verified_between(*, start: date, end: date, **scope) -> QuerySet[ActionItem]:
    return action_item_list(statuses=ACTION_VERDICT_STATUSES, **scope).filter(
        verified_at__gte=lima_midnight(start), verified_at__lt=lima_midnight(end + timedelta(1))
    )


def council_recipients() -> list[str]:
    """E-mails of the active council members."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.COUNCIL)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def council_meeting_list() -> QuerySet[CouncilMeeting]:
    """Meetings, latest first, with their attendee and decision counts."""
    return CouncilMeeting.objects.annotate(
        attendees_n=Count("attendees", distinct=True), decisions_n=Count("decisions", distinct=True)
    ).order_by("-held_on", "-pk")


def council_meeting_previous(meeting: CouncilMeeting) -> CouncilMeeting | None:
    return (
        CouncilMeeting.objects.filter(held_on__lt=meeting.held_on).exclude(pk=meeting.pk).order_by("-held_on").first()
    )
