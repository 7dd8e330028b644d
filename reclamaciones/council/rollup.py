"""The council's rollup: daily counts per establishment and cause (hojas filed, reclamos, quejas), per
(filed day, answered day) (answers, on time) and per survey day and cause (CSAT, NPS parts), written here and
nowhere else, so the dashboard sums a few thousand rows for any period instead of grouping every hoja of it.

Every day is rewritten whole and set-based (DELETE the day's rows, INSERT ... SELECT its GROUP BY), so writing a
day twice gives the same rows: a full rebuild and any refresh are idempotent, and the rollup always equals what
the GROUP BY over the hojas gives for the days it has written.

What a refresh rewrites: the filing days of the hojas filed or changed since the last refresh (every change to
a hoja leaves a ComplaintEvent; a new hoja has its `created_at`), and the answering days of their surveys and of
surveys answered since. It re-reads from REREAD_OVERLAP before the last refresh, so a transaction that
committed after a refresh read but stamped its event before it is still seen; the nightly rebuild bounds
anything else (a hand-edited row) to a day. Refreshes and rebuilds take the one RollupState row FOR UPDATE, so
they never interleave; a reader that finds it taken reads the rollup as the running refresh left it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal, overload

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from ..book.models import Complaint, ComplaintEvent, Kind
from ..deadlines.clock import lima_midnight
from ..handling.models import SurveyAnswer
from .models import DailyAnswerCount, DailyCauseCount, DailySurveyCount, RollupState
from .selectors import ANSWERED_ON_TIME

REREAD_OVERLAP = timedelta(minutes=10)
# A page reads the rollup as it is when it was refreshed less than this ago (the page says when): in a busy
# book every refresh rewrites the days of the last REREAD_OVERLAP's changes, a cost a page should not pay on
# every view. The beat refreshes every 5 minutes anyway.
PAGE_MAX_AGE = timedelta(minutes=1)


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, [first, last]: a month of days becomes one range filter."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _within(field: str, days: Iterable[date] | None) -> Q:
    """Rows whose `field` (an instant) falls on one of `days` (Lima dates); every row when `days` is None.
    Instants by range, so the field's index is used."""
    if days is None:
        return Q()
    condition = Q(pk__in=[])
    for first, last in _day_ranges(days):
        condition |= Q(**{f"{field}__gte": lima_midnight(first), f"{field}__lt": lima_midnight(last + timedelta(1))})
    return condition


def _cause_counts(days: Iterable[date] | None) -> QuerySet:
    return (
        Complaint.objects.order_by()
        .filter(_within("filed_at", days))
        .annotate(day=TruncDate("filed_at"), est=F("establishment_id"), cau=F("cause_id"))
        .values("day", "est", "cau")
        .annotate(
            filed=Count("pk"),
            reclamos=Count("pk", filter=Q(kind=Kind.RECLAMO)),
            quejas=Count("pk", filter=Q(kind=Kind.QUEJA)),
        )
    )


def _answer_counts(days: Iterable[date] | None) -> QuerySet:
    return (
        Complaint.objects.order_by()
        .filter(_within("filed_at", days), response__isnull=False)
        .annotate(
            day=TruncDate("filed_at"), est=F("establishment_id"), answered_day=TruncDate("response__communicated_at")
        )
        .values("day", "est", "answered_day")
        .annotate(answered=Count("pk"), on_time=Count("pk", filter=ANSWERED_ON_TIME))
    )


def _survey_counts(days: Iterable[date] | None) -> QuerySet:
    return (
        SurveyAnswer.objects.order_by()
        .filter(_within("answered_at", days))
        .annotate(day=TruncDate("answered_at"), est=F("complaint__establishment_id"), cau=F("complaint__cause_id"))
        .values("day", "est", "cau")
        .annotate(
            answers=Count("pk"),
            csat_sum=Sum("csat"),
            satisfied=Count("pk", filter=Q(csat__gte=4)),
            solved=Count("pk", filter=Q(solved=True)),
            promoters=Count("pk", filter=Q(nps__gte=9)),
            detractors=Count("pk", filter=Q(nps__lte=6)),
        )
    )


# table model, the grouped SELECT filling it, and which of the SELECT's columns feed which table column
_TABLES = (
    (
        DailyCauseCount,
        _cause_counts,
        {
            "day": "day",
            "establishment_id": "est",
            "cause_id": "cau",
            "filed": "filed",
            "reclamos": "reclamos",
            "quejas": "quejas",
        },
    ),
    (
        DailyAnswerCount,
        _answer_counts,
        {
            "day": "day",
            "establishment_id": "est",
            "answered_day": "answered_day",
            "answered": "answered",
            "on_time": "on_time",
        },
    ),
    (
        DailySurveyCount,
        _survey_counts,
        {
            "day": "day",
            "establishment_id": "est",
            "cause_id": "cau",
            "answers": "answers",
            "csat_sum": "csat_sum",
            "satisfied": "satisfied",
            "solved": "solved",
            "promoters": "promoters",
            "detractors": "detractors",
        },
    ),
)


def _rewrite(model, grouped: QuerySet, columns: dict[str, str], days: list[date] | None) -> int:
    """Replace the rows of `days` (all rows when None) by what `grouped` gives: one DELETE, one INSERT ... SELECT."""
    rows = model.objects.all() if days is None else model.objects.filter(day__in=days)
    rows._raw_delete(rows.db)  # no signals, no cascade: nothing points at these rows
    sql, params = grouped.query.sql_with_params()  # the ORM's SQL, its values passed apart
    qn = connection.ops.quote_name
    insert = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"SELECT {', '.join(qn(a) for a in columns.values())} FROM ({sql}) AS grouped"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, params)
        return cursor.rowcount


def _days_rewrite(*, filed_days: list[date] | None, survey_days: list[date] | None) -> None:
    for model, grouped, columns in _TABLES:
        days = survey_days if model is DailySurveyCount else filed_days
        if days is None or days:
            _rewrite(model, grouped(days), columns, days)


@overload
def _state_locked(*, wait: Literal[True]) -> RollupState: ...


@overload
def _state_locked(*, wait: bool) -> RollupState | None: ...


def _state_locked(*, wait: bool) -> RollupState | None:
    """The state row, locked; None when `wait` is False and another refresh holds it. Migration 0017 writes
    the row; it is created here only if it went missing (a flushed test database)."""
    rows = RollupState.objects.select_for_update(skip_locked=not wait).filter(pk=1)
    state = rows.first()
    if state is None:
        _, created = RollupState.objects.get_or_create(pk=1)
        state = rows.first() if created or wait else None
    return state


def rollup_rebuild(*, now: datetime) -> RollupState:
    """Every day rewritten from the hojas, answers and surveys (idempotent; `manage.py council_rollup_rebuild`
    and the nightly beat). Waits for a running refresh rather than interleaving with it."""
    with transaction.atomic():
        state = _state_locked(wait=True)
        _days_rewrite(filed_days=None, survey_days=None)
        state.refreshed_at = state.rebuilt_at = now
        state.days_refreshed = 0
        state.save()
    return state


def _days_changed(since: datetime) -> tuple[list[date], list[date]]:
    """The filing days of hojas filed or changed since `since`, and the answering days of surveys that may
    count differently: answered since, or of a hoja changed since (its cause may have changed). Each part is
    its own index range (UNION), never an OR that would scan the table."""
    changed = ComplaintEvent.objects.filter(occurred_at__gte=since).values("complaint_id")
    complaints = Complaint.objects.order_by().annotate(day=TruncDate("filed_at")).values_list("day", flat=True)
    surveys = SurveyAnswer.objects.order_by().annotate(day=TruncDate("answered_at")).values_list("day", flat=True)
    filed_days = complaints.filter(created_at__gte=since).union(complaints.filter(pk__in=changed))
    survey_days = surveys.filter(answered_at__gte=since).union(surveys.filter(complaint_id__in=changed))
    return list(filed_days), list(survey_days)


def rollup_refresh(*, now: datetime, wait: bool = True, max_age: timedelta | None = None) -> RollupState | None:
    """Bring the rollup up to `now`: rewrite the days that changed since the last refresh (a first refresh
    rebuilds everything). With `max_age` (a page about to read the figures) a rollup refreshed less than that
    ago is read as it is, after one plain SELECT. With `wait=False` it returns None at once when another
    refresh holds the state row, and the page reads what that one leaves."""
    if max_age is not None:
        state = RollupState.objects.filter(pk=1).first()
        if state is not None and state.refreshed_at is not None and now - state.refreshed_at < max_age:
            return state
    with transaction.atomic():
        state = _state_locked(wait=wait)
        if state is None:
            return None
        if state.refreshed_at is None:
            _days_rewrite(filed_days=None, survey_days=None)
            state.rebuilt_at = now
            state.days_refreshed = 0
        else:
            filed_days, survey_days = _days_changed(state.refreshed_at - REREAD_OVERLAP)
            _days_rewrite(filed_days=filed_days, survey_days=survey_days)
            state.days_refreshed = len(set(filed_days) | set(survey_days))
        state.refreshed_at = now
        state.save()
    return state
