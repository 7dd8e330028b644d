"""Reads. Views and services ask here, with the joins already chosen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..access import Role, Scope, staff_establishment_ids, staff_roles
from ..book.models import OPEN_STATUSES, Complaint, Establishment
from ..deadlines.clock import lima_midnight
from ..deadlines.selectors import business_calendar_get
from ..handling.models import Cause, SurveyAnswer
from .models import (
    ACTION_PENDING_STATUSES,
    ACTION_VERDICT_STATUSES,
    ActionItem,
    ActionStatus,
    CouncilMeeting,
    DailyAnswerCount,
    DailyCauseCount,
    DailySurveyCount,
)
from .rules import (
    BASELINE_WEEKS,
    RECENT_WEEKS,
    REPEAT_WINDOW_DAYS,
    TREND_WEEKS,
    change_pct,
    flag_windows,
    is_recurring,
    nps,
    rate_ratio,
    round_or_none,
    str_or_none,
    target_rate,
    trend_weeks,
    weekly_rate,
    weighted_median,
)
from .rules import answer_timeliness as answer_timeliness_rule


def _council_complaints(scope: Scope, establishment_id: int | None) -> QuerySet[Complaint]:
    """Hojas the council figures count: those in `scope`, optionally one establishment.
    No select_related: these querysets only feed aggregates."""
    complaints = scope.filter(Complaint.objects.order_by(), path="establishment")
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


def _daily(model, *, scope: Scope, start: date, end: date, establishment_id: int | None) -> QuerySet:
    """The rollup's rows (council/rollup.py) of the days `start` .. `end` (Lima dates, inclusive) in `scope`.
    The figures read from them equal the GROUP BY over the hojas as of the rollup's last refresh; pages that
    show them refresh it first (rollup_refresh)."""
    rows = scope.filter(model.objects.order_by(), path="establishment").filter(day__gte=start, day__lte=end)
    if establishment_id:
        rows = rows.filter(establishment_id=establishment_id)
    return rows


def cause_pareto(*, scope: Scope, start: date, end: date, establishment_id: int | None = None, limit: int = 10) -> dict:
    """Hojas per cause filed between `start` and `end` (Lima dates, inclusive) in `scope`, most frequent
    first, with each cause's share and the cumulative share (one GROUP BY over the daily rollup).
    Unclassified hojas are counted apart, so the council sees how much is still unexplained."""
    daily = _daily(DailyCauseCount, scope=scope, start=start, end=end, establishment_id=establishment_id)
    counts = dict(daily.values_list("cause_id").annotate(count=Sum("filed")))
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
    *, scope: Scope, end: date, cause_ids: list[int], establishment_id: int | None = None, weeks: int = TREND_WEEKS
) -> dict:
    """Hojas per week (Monday-Sunday, Lima) for each of `cause_ids` over the `weeks` weeks ending with `end`'s
    week, from the daily rollup. Weeks without hojas read 0."""
    mondays = trend_weeks(end, weeks)
    causes = {c.pk: c for c in Cause.objects.filter(pk__in=cause_ids)}
    counts: dict[tuple[int, date], int] = {}
    if causes:
        daily = _daily(
            DailyCauseCount,
            scope=scope,
            start=mondays[0],
            end=mondays[-1] + timedelta(6),
            establishment_id=establishment_id,
        ).filter(cause_id__in=causes)
        for cause_id, day, n in daily.values_list("cause_id", "day").annotate(n=Sum("filed")):
            key = (cause_id, day - timedelta(day.weekday()))
            counts[key] = counts.get(key, 0) + n
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


def establishment_counts(*, scope: Scope, start: date, end: date, establishment_id: int | None = None) -> list[dict]:
    """Hojas per establishment filed in the period (reclamos, quejas, still open), most first. The counts come
    from the daily rollup; "still open" changes by the minute and is read live from the few open hojas."""
    daily = _daily(DailyCauseCount, scope=scope, start=start, end=end, establishment_id=establishment_id)
    grouped = list(
        daily.values("establishment_id").annotate(count=Sum("filed"), reclamos=Sum("reclamos"), quejas=Sum("quejas"))
    )
    still_open = dict(
        _filed_between(_council_complaints(scope, establishment_id), start, end)
        .filter(status__in=OPEN_STATUSES)
        .values_list("establishment_id")
        .annotate(n=Count("pk"))
    )
    names = dict(
        Establishment.objects.filter(pk__in=[r["establishment_id"] for r in grouped]).values_list("pk", "name")
    )
    rows = [
        {
            **row,
            "open": still_open.get(row["establishment_id"], 0),
            "establishment__name": names[row["establishment_id"]],
        }
        for row in grouped
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["establishment__name"]))


def _as_aware(value) -> datetime:
    """A datetime read with a raw cursor, as the ORM would give it (SQLite returns text; PostgreSQL aware)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def repeat_complainants(
    *,
    scope: Scope,
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
    complaints = _filed_between(_council_complaints(scope, establishment_id), start, end)
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


# deadlines.rules.answered_on_time in SQL: the answer's Lima date (TIME_ZONE) on or before the due date.
ANSWERED_ON_TIME = Q(response__communicated_at__date__lte=F("due_date"))


def unanswered_overdue_count(
    *, scope: Scope, start: date, end: date, today: date, establishment_id: int | None = None
) -> int:
    """Hojas whose due date fell in the period and passed (before `today`) with no answer communicated by the
    period's last day: still open without one, or answered only after the period (a late answer of a later
    period). Hojas closed without an answer (a settlement) are not silences."""
    last_due = min(end, today - timedelta(days=1))
    if last_due < start:
        return 0
    silent = Q(response__isnull=True, status__in=OPEN_STATUSES) | Q(
        response__communicated_at__gte=lima_midnight(end + timedelta(days=1))
    )
    complaints = _council_complaints(scope, establishment_id).filter(due_date__gte=start, due_date__lte=last_due)
    return complaints.filter(silent).count()


def answer_timeliness(
    *, scope: Scope, start: date, end: date, today: date, establishment_id: int | None = None
) -> dict:
    """The answers communicated between two Lima dates (whenever their hoja was filed), judged by the one rule
    (rules.answer_timeliness): how many, how many on time, the on-time rate, the median business days from
    filing to the answer (Código Civil art. 183: the filing day is not counted), and apart the hojas that fell
    due in the period without an answer. The dashboard, the meeting agenda (and its minutes) and the weekly
    digest all read it, so they give the same figures for the same period. Answers are summed from the daily
    rollup's (filed day, answered day) rows; the silences are read live from the hojas."""
    rows = scope.filter(DailyAnswerCount.objects.order_by(), path="establishment").filter(
        answered_day__gte=start,
        answered_day__lte=end,
        day__lte=end,  # filed before answered: bounds the scan
    )
    if establishment_id:
        rows = rows.filter(establishment_id=establishment_id)
    pairs = list(rows.values_list("day", "answered_day").annotate(n=Sum("answered"), t=Sum("on_time")))
    calendar = business_calendar_get()
    figures = answer_timeliness_rule(
        answered=sum(n for _, _, n, _ in pairs),
        on_time=sum(t for _, _, _, t in pairs),
        unanswered_overdue=unanswered_overdue_count(
            scope=scope, start=start, end=end, today=today, establishment_id=establishment_id
        ),
    )
    figures["median_business_days"] = weighted_median(
        zip(
            calendar.business_days_between_many((filed, answered) for filed, answered, _, _ in pairs),
            (n for _, _, n, _ in pairs),
            strict=True,
        )
    )
    return figures


def answer_performance(
    *, scope: Scope, start: date, end: date, today: date, establishment_id: int | None = None
) -> dict:
    """The dashboard's answer figures for the period: the hojas filed in it (`total`), the answers communicated
    in it judged by the one rule (answer_timeliness), and the open hojas past their due date today, whatever
    the period (`overdue_now`)."""
    total = (
        _daily(DailyCauseCount, scope=scope, start=start, end=end, establishment_id=establishment_id).aggregate(
            n=Sum("filed")
        )["n"]
        or 0
    )
    return {
        "total": total,
        **answer_timeliness(scope=scope, start=start, end=end, today=today, establishment_id=establishment_id),
        "overdue_now": complaints_overdue_count(today=today, scope=scope, establishment_id=establishment_id),
    }


def complaints_overdue_count(*, today: date, scope: Scope, establishment_id: int | None = None) -> int:
    """Open hojas past their due date on `today` (whenever filed)."""
    return _council_complaints(scope, establishment_id).filter(status__in=OPEN_STATUSES, due_date__lt=today).count()


def survey_by_cause(*, scope: Scope, start: date, end: date, establishment_id: int | None = None) -> dict:
    """Satisfaction with the outcome (an answer, or a settlement the consumer accepted: both open the survey):
    surveys answered in the period, per cause of their hoja and overall,
    summed from the daily survey rollup. CSAT: average 1-5 and % satisfied (4-5); NPS: % promoters (9-10) -
    % detractors (0-6)."""
    daily = _daily(DailySurveyCount, scope=scope, start=start, end=end, establishment_id=establishment_id)
    parts = ("answers", "csat_sum", "satisfied", "solved", "promoters", "detractors")
    grouped = list(daily.values("cause_id").annotate(**{part: Sum(part) for part in parts}))

    def finish(row: dict) -> dict:
        n = row.pop("answers")
        csat_sum = row.pop("csat_sum")
        return {
            "answers": n,
            **row,
            "csat_avg": csat_sum / n if n else None,
            "satisfied_pct": 100 * row["satisfied"] / n if n else None,
            "solved_pct": 100 * row["solved"] / n if n else None,
            "nps": nps(promoters=row["promoters"], detractors=row["detractors"], answers=n),
        }

    causes = _causes_by_id(row["cause_id"] for row in grouped)
    rows = []
    for row in grouped:
        cause = causes.get(row.pop("cause_id"))
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
    overall = {part: sum(row[part] for row in grouped) for part in parts}
    return {"rows": rows, "overall": finish(overall)}


def survey_low_scores(*, scope: Scope, start: date, end: date, limit: int = 5) -> list[SurveyAnswer]:
    """The latest unhappy answers with a comment (CSAT 1-2) in `scope`, for the council to read in the
    consumer's words."""
    answers = SurveyAnswer.objects.filter(
        answered_at__gte=lima_midnight(start), answered_at__lt=lima_midnight(end + timedelta(1)), csat__lte=2
    )
    return list(
        scope.filter(answers, path="complaint__establishment")
        .exclude(comment="")
        .select_related("complaint__cause", "complaint__establishment")
        .order_by("-answered_at")[:limit]
    )


def cause_flags(
    *,
    today: date,
    scope: Scope,
    establishment_id: int | None = None,
    factor: float | None = None,
    min_count: int | None = None,
) -> list[dict]:
    """Recurring causes as of `today` (rules.is_recurring): per cause, hojas in the last 4 weeks and in the
    12 weeks before, from one GROUP BY of the daily rollup with two filtered sums; flagged ones only, steepest
    rise first."""
    factor = settings.COUNCIL_FLAG_FACTOR if factor is None else factor
    min_count = settings.COUNCIL_FLAG_MIN_COUNT if min_count is None else min_count
    recent, baseline = flag_windows(today)
    daily = _daily(
        DailyCauseCount, scope=scope, start=baseline.start, end=recent.end, establishment_id=establishment_id
    ).filter(cause__isnull=False)
    recent_q = Q(day__gte=recent.start)
    grouped = [
        row
        for row in daily.values("cause_id")
        .annotate(
            recent=Coalesce(Sum("filed", filter=recent_q), 0), baseline=Coalesce(Sum("filed", filter=~recent_q), 0)
        )
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


def cause_count(
    *, scope: Scope, cause_ids: Iterable[int], start: date, end: date, establishment_id: int | None = None
) -> int:
    """Hojas of these causes filed between two Lima dates (inclusive), every establishment or one: the figure
    an action item's baseline and verification are computed from."""
    complaints = _council_complaints(scope, establishment_id).filter(cause_id__in=list(cause_ids))
    return _filed_between(complaints, start, end).count()


def unclassified_count(*, scope: Scope, start: date, end: date, establishment_id: int | None = None) -> int:
    """Hojas filed between two Lima dates (inclusive) still without a cause."""
    complaints = _council_complaints(scope, establishment_id).filter(cause__isnull=True)
    return _filed_between(complaints, start, end).count()


def action_item_list(
    *, statuses: Iterable[str] | None = None, scope: Scope, establishment_id: int | None = None
) -> QuerySet[ActionItem]:
    """Action items in `scope`, optionally of one establishment: an action for every establishment (no
    establishment set) concerns all of them, so it is always included."""
    actions = ActionItem.objects.select_related("owner", "establishment").prefetch_related("causes")
    actions = scope.filter(actions, path="establishment", unbound=True)
    if establishment_id:
        actions = actions.filter(Q(establishment__isnull=True) | Q(establishment_id=establishment_id))
    if statuses is not None:
        actions = actions.filter(status__in=list(statuses))
    return actions.order_by("due_date", "pk")


def action_items_overdue(*, today: date, scope: Scope, establishment_id: int | None = None) -> QuerySet[ActionItem]:
    """Not yet implemented and past their due date (in `scope`, optionally of one establishment)."""
    return action_item_list(statuses=ACTION_PENDING_STATUSES, scope=scope, establishment_id=establishment_id).filter(
        due_date__lt=today
    )


def action_items_due_for_verification(
    *, today: date, scope: Scope, establishment_id: int | None = None
) -> list[ActionItem]:
    """Implemented actions whose verification window has ended by `today` (the beat task measures these).
    Action items are counted in tens, not millions: the window end is compared in Python."""
    return [
        action
        for action in action_item_list(
            statuses=[ActionStatus.IMPLEMENTED], scope=scope, establishment_id=establishment_id
        )
        if action.verification_due_on <= today
    ]


def action_items_in_verification(*, today: date, scope: Scope, establishment_id: int | None = None) -> list[ActionItem]:
    """Implemented actions still inside their verification window on `today` (measured when it ends)."""
    return sorted(
        (
            a
            for a in action_item_list(
                statuses=[ActionStatus.IMPLEMENTED], scope=scope, establishment_id=establishment_id
            )
            if a.verification_due_on > today
        ),
        key=lambda a: (a.verification_due_on, a.pk),
    )


def action_items_verified_between(
    *, start: date, end: date, scope: Scope, establishment_id: int | None = None
) -> QuerySet[ActionItem]:
    return action_item_list(statuses=ACTION_VERDICT_STATUSES, scope=scope, establishment_id=establishment_id).filter(
        verified_at__gte=lima_midnight(start), verified_at__lt=lima_midnight(end + timedelta(1))
    )


# Who may own an action item: people who open /consejo/acciones/ and whose role acts. The council decides and
# follows the actions; supervisors run the teams where most fixes happen. Auditors read everything and act on
# nothing (and must not audit their own work); agents and the compliance desk do not work on the council's
# actions (agents cannot even open /consejo/). Superusers can do anything.
ACTION_OWNER_ROLES = frozenset({Role.COUNCIL, Role.SUPERVISOR})


def _action_owners() -> Q:
    return Q(is_active=True) & (Q(is_superuser=True) | Q(groups__name__in=ACTION_OWNER_ROLES))


def _sees_establishment(establishment_id: int | None) -> Q:
    """People who see `establishment_id` (None: every establishment, so only those who see them all)."""
    sees = Q(is_superuser=True) | Q(staff_profile__all_establishments=True)
    if establishment_id is not None:
        sees |= Q(staff_profile__establishments=establishment_id)
    return sees


def _sees_scope(scope: Scope) -> Q:
    """People who see at least one of `scope`'s establishments."""
    sees = Q(is_superuser=True) | Q(staff_profile__all_establishments=True)
    if scope.establishment_ids is None:
        return sees | Q(staff_profile__isnull=False)
    return sees | Q(staff_profile__establishments__in=scope.establishment_ids)


def _owner_queryset(condition: Q, keep) -> QuerySet:
    if keep is not None:
        condition |= Q(pk=keep.pk)
    people = get_user_model().objects
    return people.filter(pk__in=people.filter(condition).values("pk")).order_by("first_name", "last_name", "username")


def action_owner_choices(keep=None, *, establishment_id=...) -> QuerySet:
    """The people an action may be given to (ACTION_OWNER_ROLES) who see the action's `establishment_id` (None:
    an action for every establishment, which only people who see them all may own), plus `keep` (an action's
    current owner, so editing an old action whose owner no longer qualifies does not force a new owner on its
    other fields). Left out: anyone who can act (a form that chooses the establishment too checks the pair in
    clean())."""
    condition = _action_owners()
    if establishment_id is not ...:
        condition &= _sees_establishment(establishment_id)
    return _owner_queryset(condition, keep)


def action_owner_choices_in_scope(*, scope: Scope, keep=None) -> QuerySet:
    """For a form that chooses the action's establishment among `scope`'s (checking the pair in clean()): the
    people who can act and see one of those establishments, plus `keep`."""
    return _owner_queryset(_action_owners() & _sees_scope(scope), keep)


def action_owner_can_act(owner) -> bool:
    """`owner` may own an action: active and a superuser or in ACTION_OWNER_ROLES (the same rule as the choices)."""
    return bool(owner.is_active and (owner.is_superuser or staff_roles(owner) & ACTION_OWNER_ROLES))


def action_owner_qualifies(owner, establishment_id: int | None) -> bool:
    """`owner` may own an action of `establishment_id`: can act, and sees that establishment (None: sees all),
    so the action they are reminded of opens for them."""
    if not action_owner_can_act(owner):
        return False
    seen = staff_establishment_ids(owner)
    return seen is None or (establishment_id is not None and establishment_id in seen)


def action_owners_who_can_act(owner_ids: Iterable[int]) -> set[int]:
    """Which of `owner_ids` may own an action (one query for a whole list of actions)."""
    return set(get_user_model().objects.filter(_action_owners(), pk__in=list(owner_ids)).values_list("pk", flat=True))


def council_recipients() -> list[str]:
    """E-mails of the active council members."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.COUNCIL)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def council_meeting_list(*, scope: Scope) -> QuerySet[CouncilMeeting]:
    """Meetings in `scope`, latest first, with their attendee and decision counts. A meeting of every
    establishment (none set) is only for those who see them all: its agenda holds every establishment's figures."""
    meetings = scope.filter(CouncilMeeting.objects.select_related("establishment"), path="establishment")
    return meetings.annotate(
        attendees_n=Count("attendees", distinct=True), decisions_n=Count("decisions", distinct=True)
    ).order_by("-held_on", "-pk")


def council_meeting_get(*, pk: int, scope: Scope) -> CouncilMeeting:
    """One meeting in `scope` (CouncilMeeting.DoesNotExist otherwise: another establishment's meeting does not
    exist for a scoped reader)."""
    meetings = CouncilMeeting.objects.select_related("establishment", "closed_by")
    return scope.filter(meetings, path="establishment").get(pk=pk)


def council_meeting_previous(meeting: CouncilMeeting) -> CouncilMeeting | None:
    """The meeting before `meeting` on the same establishments (its agenda reads the data since that one)."""
    return (
        CouncilMeeting.objects.filter(held_on__lt=meeting.held_on, establishment_id=meeting.establishment_id)
        .exclude(pk=meeting.pk)
        .order_by("-held_on")
        .first()
    )


# Who runs the council's meetings (schedules them, records attendance and minutes, closes them): the council and
# supervisors (superusers hold every role). Auditors and the compliance desk read them.
MEETING_RUNNERS = frozenset({Role.COUNCIL, Role.SUPERVISOR})


def meetings_writable(*, scope: Scope) -> bool:
    person = scope.user
    return bool(person is not None and person.is_active and scope.roles & MEETING_RUNNERS)


def meeting_attendee_choices(*, establishment_id: int | None) -> QuerySet:
    """Who can be on the council for a meeting of `establishment_id` (None: every establishment): active people
    who read the council (COUNCIL_READERS, superusers) and see that establishment, so the agenda e-mailed to them
    holds nothing they may not read."""
    from ..access import COUNCIL_READERS

    sees = Q(staff_profile__all_establishments=True)
    if establishment_id is not None:
        sees |= Q(staff_profile__establishments=establishment_id)
    condition = Q(is_active=True) & (Q(is_superuser=True) | (Q(groups__name__in=COUNCIL_READERS) & sees))
    people = get_user_model().objects
    return people.filter(pk__in=people.filter(condition).values("pk")).order_by("first_name", "last_name", "username")


def council_people(*, scope: Scope) -> QuerySet:
    """Who a meeting of `scope`'s establishments may invite (the form's choices; the service checks each meeting's
    establishment with meeting_attendee_choices): active council readers and superusers who see one of them."""
    from ..access import COUNCIL_READERS

    sees = Q(staff_profile__all_establishments=True)
    if scope.establishment_ids is None:
        sees |= Q(staff_profile__isnull=False)
    else:
        sees |= Q(staff_profile__establishments__in=scope.establishment_ids)
    condition = Q(is_active=True) & (Q(is_superuser=True) | (Q(groups__name__in=COUNCIL_READERS) & sees))
    people = get_user_model().objects
    return people.filter(pk__in=people.filter(condition).values("pk")).order_by("first_name", "last_name", "username")


def action_items_open_rows(*, scope: Scope, as_of: date) -> list[dict]:
    """The agenda's standing item: every action in `scope` not yet judged (propuesta, en curso, implementada),
    with its last progress note (one subquery) and whether it is overdue on `as_of`. Plain JSON."""
    from django.db.models import OuterRef, Subquery

    from .models import ActionItemEvent

    last = ActionItemEvent.objects.filter(action=OuterRef("pk"), type=ActionItemEvent.Type.PROGRESS).order_by(
        "-occurred_at", "-pk"
    )
    actions = (
        scope.filter(ActionItem.objects.select_related("owner", "establishment"), path="establishment", unbound=True)
        .filter(status__in=[*ACTION_PENDING_STATUSES, ActionStatus.IMPLEMENTED])
        .annotate(last_note=Subquery(last.values("data__note")[:1]), last_at=Subquery(last.values("occurred_at")[:1]))
        .order_by("due_date", "pk")
    )
    return [
        {
            "id": a.pk,
            "title": a.title,
            "owner": a.owner.get_full_name() or a.owner.get_username(),
            "status": a.get_status_display(),
            "status_code": a.status,
            "due_date": a.due_date.isoformat(),
            "overdue": a.status in ACTION_PENDING_STATUSES and a.due_date < as_of,
            "establishment": a.establishment.name if a.establishment else None,
            "last_progress": a.last_note or "",
            "last_progress_on": timezone.localdate(a.last_at).isoformat() if a.last_at else None,
        }
        for a in actions
    ]


def council_snapshot(*, scope: Scope, today: date, since: date, as_of: date | None = None) -> dict:
    """What the council should look at, as plain JSON (stored as a meeting's agenda, rendered in the digest) for
    the period `since` .. `today` (Lima dates, inclusive): recurring-cause flags as of `today` (marked new when
    not flagged the day before `since`), top-10 causes with the change against the same number of days before,
    actions verified in the period, survey highlights and the answers communicated in it; plus what stands on
    `as_of` (default `today`): overdue actions, actions due for verification, hojas overdue now.
    Every figure comes from the selectors' SQL aggregates: the query count does not grow with the data."""
    as_of = as_of or today
    days = (today - since).days + 1
    before_end = since - timedelta(days=1)
    before_start = before_end - timedelta(days=days - 1)
    flags_now = cause_flags(scope=scope, today=today)
    flagged_before = {f["cause_id"] for f in cause_flags(scope=scope, today=before_end)}
    pareto = cause_pareto(scope=scope, start=since, end=today)
    previous = {
        row["code"]: row["count"]
        for row in cause_pareto(scope=scope, start=before_start, end=before_end, limit=1000)["rows"]
    }
    surveys = survey_by_cause(scope=scope, start=since, end=today)
    performance = answer_timeliness(scope=scope, start=since, end=today, today=as_of)

    def action_row(action: ActionItem) -> dict:
        return {
            "id": action.pk,
            "title": action.title,
            "owner": action.owner.get_full_name() or action.owner.get_username(),
            "status": action.get_status_display(),
            "status_code": action.status,
            "due_date": action.due_date.isoformat(),
            "days_overdue": max((as_of - action.due_date).days, 0),
            "causes": [c.code for c in action.causes.all()],
            "cause_names": [c.name for c in action.causes.all()],
            "establishment": action.establishment.name if action.establishment else None,
            "target_reduction_pct": action.target_reduction_pct,
            "baseline_rate": str(action.baseline_rate) if action.baseline_rate is not None else None,
            "target_rate": (
                str(target_rate(action.baseline_rate, action.target_reduction_pct))
                if action.baseline_rate is not None
                else None
            ),
            "measured_rate": str(action.measured_rate) if action.measured_rate is not None else None,
            "verification_due_on": action.verification_due_on.isoformat() if action.verification_due_on else None,
            # the weeks the verification counts, shown as such ("se mide desde" the measuring day misled)
            "window_start": window.start.isoformat() if (window := action.verification_window) else None,
            "window_end": window.end.isoformat() if window else None,
        }

    recent, _ = flag_windows(today)
    return {
        "today": today.isoformat(),
        "since": since.isoformat(),
        "as_of": as_of.isoformat(),
        "compared_with": [before_start.isoformat(), before_end.isoformat()],
        "flags": [
            {
                "code": f["code"],
                "name": f["name"],
                "owner": f["owner"],
                "recent": f["recent"],
                "baseline": f["baseline"],
                "recent_rate": str(f["recent_rate"]),
                "baseline_rate": str(f["baseline_rate"]),
                "ratio": str(f["ratio"]) if f["ratio"] is not None else None,
                "new": f["cause_id"] not in flagged_before,
            }
            for f in flags_now
        ],
        "top_causes": [
            {
                "code": row["code"],
                "name": row["name"],
                "count": row["count"],
                "share": round(row["share"], 1),
                "before": previous.get(row["code"], 0),
                "change_pct": str_or_none(change_pct(previous.get(row["code"], 0), row["count"])),
            }
            for row in pareto["rows"]
        ],
        "total": pareto["total"],
        "unclassified": pareto["unclassified"],
        "overdue_actions": [action_row(a) for a in action_items_overdue(today=as_of, scope=scope)],
        "verification_due": [action_row(a) for a in action_items_due_for_verification(today=as_of, scope=scope)],
        "in_verification": [action_row(a) for a in action_items_in_verification(today=as_of, scope=scope)],
        "verified": [action_row(a) for a in action_items_verified_between(start=since, end=today, scope=scope)],
        "survey": {
            "answers": surveys["overall"]["answers"],
            "csat_avg": round_or_none(surveys["overall"]["csat_avg"], 2),
            "satisfied_pct": round_or_none(surveys["overall"]["satisfied_pct"], 1),
            "nps": surveys["overall"]["nps"],
            "worst_causes": [
                {
                    "code": r["complaint__cause__code"],
                    "name": r["complaint__cause__name"],
                    "nps": r["nps"],
                    "answers": r["answers"],
                }
                for r in sorted(
                    (r for r in surveys["rows"] if r["complaint__cause__code"] and r["nps"] is not None),
                    key=lambda r: (r["nps"], -r["answers"]),
                )[:3]
            ],
            "comments": [
                {
                    "csat": s.csat,
                    "nps": s.nps,
                    "comment": s.comment,
                    "cause": s.complaint.cause.code if s.complaint.cause else None,
                }
                for s in survey_low_scores(scope=scope, start=since, end=today)
            ],
        },
        "performance": {  # the one rule (answer_timeliness): answers communicated in the period
            "answered": performance["answered"],
            "on_time": performance["on_time"],
            "late": performance["late"],
            "on_time_rate": round_or_none(performance["on_time_rate"], 1),
            "median_business_days": performance["median_business_days"],
            "unanswered_overdue": performance["unanswered_overdue"],
            "overdue_now": complaints_overdue_count(today=as_of, scope=scope),
        },
        "recent_window_start": recent.start.isoformat(),
    }


# -- One action's page (/consejo/acciones/<pk>/) -------------------------------------------------------------


def action_item_get(*, pk: int, scope: Scope) -> ActionItem:
    """One action item in `scope` (an action for every establishment is everyone's); ActionItem.DoesNotExist
    otherwise, so another establishment's action does not exist for a scoped reader."""
    actions = ActionItem.objects.select_related("owner", "establishment", "meeting", "created_by")
    return scope.filter(actions, path="establishment", unbound=True).prefetch_related("causes").get(pk=pk)


def action_writable(*, action: ActionItem, scope: Scope) -> bool:
    """Who records progress, moves the status and writes the analysis and steps of `action`: the council
    (superusers hold every role) and the action's owner while the owner can act (ACTION_OWNER_ROLES). Auditors,
    the compliance desk and supervisors who do not own it read only."""
    user = scope.user
    if user is None or not user.is_active:
        return False
    if Role.COUNCIL in scope.roles:
        return True
    return user.pk == action.owner_id and action_owner_can_act(user)


def action_events(action: ActionItem) -> list:
    """The action's history, oldest first, with who did each thing."""
    return list(action.events.select_related("actor").order_by("occurred_at", "pk"))


def action_weekly_counts(*, action: ActionItem, scope: Scope, mondays: list[date]) -> list[int]:
    """Hojas per week (Monday-Sunday, Lima) of the action's causes in its establishment (or all of them), for
    each of `mondays`, from the daily rollup: the same hojas its baseline and its verification count."""
    if not mondays:
        return []
    cause_ids = [c.pk for c in action.causes.all()]
    daily = _daily(
        DailyCauseCount,
        scope=scope,
        start=mondays[0],
        end=mondays[-1] + timedelta(6),
        establishment_id=action.establishment_id,
    ).filter(cause_id__in=cause_ids)
    per_week: dict[date, int] = {}
    for day, n in daily.values_list("day").annotate(n=Sum("filed")):
        monday = day - timedelta(day.weekday())
        per_week[monday] = per_week.get(monday, 0) + n
    return [per_week.get(monday, 0) for monday in mondays]


def action_items_on_same_causes(*, action: ActionItem, scope: Scope) -> list[dict]:
    """Other actions in `scope`, not yet judged (propuesta, en curso, implementada), working on one of `action`'s
    causes where their hojas overlap (the same establishment, or either for all): two actions on one cause blur
    which of them moved the figure. Each with the causes they share."""
    cause_ids = {c.pk for c in action.causes.all()}
    others = (
        action_item_list(statuses=[*ACTION_PENDING_STATUSES, ActionStatus.IMPLEMENTED], scope=scope)
        .filter(causes__in=cause_ids)
        .exclude(pk=action.pk)
        .distinct()
    )
    if action.establishment_id is not None:
        others = others.filter(Q(establishment__isnull=True) | Q(establishment_id=action.establishment_id))
    return [
        {"action": other, "causes": [c for c in other.causes.all() if c.pk in cause_ids]}
        for other in others.order_by("due_date", "pk")
    ]
