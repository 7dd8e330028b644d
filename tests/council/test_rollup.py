"""The council's rollup (council/rollup.py): the dashboard's figures read from it equal the figures of the
direct GROUP BY over the hojas, on a generated book (the benchmark's generator at a small size), after a full
rebuild and after refreshes that follow real changes; rebuilding is idempotent."""

# ruff: noqa: S608 -- the oracle's SQL joins constant fragments written here; every value is a parameter

from __future__ import annotations

import contextlib
import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench import council as bench_council
from reclamaciones.access import ALL_ROLES, Role, Scope
from reclamaciones.book.models import Kind
from reclamaciones.council.models import DailyAnswerCount, DailyCauseCount, DailySurveyCount, RollupState
from reclamaciones.council.rollup import _day_ranges, rollup_rebuild, rollup_refresh
from reclamaciones.council.rules import is_recurring, weighted_median
from reclamaciones.council.selectors import (
    answer_performance,
    cause_flags,
    cause_pareto,
    cause_weekly_trend,
    establishment_counts,
    survey_by_cause,
)
from reclamaciones.deadlines.clock import lima_midnight
from reclamaciones.deadlines.selectors import business_calendar_get
from reclamaciones.handling.models import Cause
from reclamaciones.handling.services import complaint_classify, complaint_reclassify, survey_answer

from ..factories import cause_get, hoja_answered, staff_user

pytestmark = pytest.mark.django_db

OPEN = ("received", "in_progress", "settlement_offered")


# -- the direct SQL: what the figures must equal, written apart from the product's code -------------------------


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _where(start: date, end: date, establishments: list[int] | None, alias: str = "c") -> tuple[str, list]:
    sql = f"{alias}.filed_at >= %s AND {alias}.filed_at < %s"
    params: list = [lima_midnight(start), lima_midnight(end + timedelta(1))]
    if establishments is not None:
        sql += f" AND {alias}.establishment_id = ANY(%s)"
        params.append(establishments)
    return sql, params


def direct_figures(start: date, end: date, today: date, establishments: list[int] | None) -> dict:
    where, params = _where(start, end, establishments)
    by_cause = dict(
        _rows(f"SELECT c.cause_id, count(*) FROM reclamaciones_complaint c WHERE {where} GROUP BY 1", params)
    )
    per_establishment = {
        row[0]: row[1:]
        for row in _rows(
            "SELECT c.establishment_id, count(*), count(*) FILTER (WHERE c.kind = %s), "
            "count(*) FILTER (WHERE c.kind = %s), count(*) FILTER (WHERE c.status = ANY(%s)) "
            f"FROM reclamaciones_complaint c WHERE {where} GROUP BY 1",
            [Kind.RECLAMO, Kind.QUEJA, list(OPEN), *params],
        )
    }
    (total,) = _rows(f"SELECT count(*) FROM reclamaciones_complaint c WHERE {where}", params)[0]
    # Issue 13: one definition of "respondida a tiempo" everywhere: the answers COMMUNICATED in the period
    # (whenever filed), on time by their Lima date; hojas that fell due in the period without an answer by its
    # end are counted apart (they used to be counted as late answers among the hojas FILED in the period).
    answered_where = "r.communicated_at >= %s AND r.communicated_at < %s"
    answered_params: list = [lima_midnight(start), lima_midnight(end + timedelta(1))]
    if establishments is not None:
        answered_where += " AND c.establishment_id = ANY(%s)"
        answered_params.append(establishments)
    (answered, on_time) = _rows(
        "SELECT count(*), "
        "count(*) FILTER (WHERE (r.communicated_at AT TIME ZONE 'America/Lima')::date <= c.due_date) "
        "FROM reclamaciones_complaint c JOIN reclamaciones_response r ON r.complaint_id = c.id "
        f"WHERE {answered_where}",
        answered_params,
    )[0]
    due_where = "c.due_date >= %s AND c.due_date <= %s"
    due_params: list = [start, min(end, today - timedelta(1))]
    if establishments is not None:
        due_where += " AND c.establishment_id = ANY(%s)"
        due_params.append(establishments)
    (unanswered_overdue,) = _rows(
        "SELECT count(*) FROM reclamaciones_complaint c LEFT JOIN reclamaciones_response r ON r.complaint_id = c.id "
        f"WHERE {due_where} AND ((r.id IS NULL AND c.status = ANY(%s)) OR r.communicated_at >= %s)",
        [*due_params, list(OPEN), lima_midnight(end + timedelta(1))],
    )[0]
    pairs = _rows(
        "SELECT (c.filed_at AT TIME ZONE 'America/Lima')::date, "
        "(r.communicated_at AT TIME ZONE 'America/Lima')::date, "
        "count(*) FROM reclamaciones_complaint c JOIN reclamaciones_response r ON r.complaint_id = c.id "
        f"WHERE {answered_where} GROUP BY 1, 2",
        answered_params,
    )
    days = business_calendar_get().business_days_between_many((f, a) for f, a, _ in pairs)
    survey_where = "s.answered_at >= %s AND s.answered_at < %s"
    survey_params: list = [lima_midnight(start), lima_midnight(end + timedelta(1))]
    if establishments is not None:
        survey_where += " AND c.establishment_id = ANY(%s)"
        survey_params.append(establishments)
    surveys = {
        row[0]: row[1:]
        for row in _rows(
            "SELECT c.cause_id, count(*), avg(s.csat)::float, count(*) FILTER (WHERE s.csat >= 4), "
            "count(*) FILTER (WHERE s.solved), count(*) FILTER (WHERE s.nps >= 9), "
            "count(*) FILTER (WHERE s.nps <= 6) FROM reclamaciones_surveyanswer s "
            f"JOIN reclamaciones_complaint c ON c.id = s.complaint_id WHERE {survey_where} GROUP BY 1",
            survey_params,
        )
    }
    return {
        "by_cause": by_cause,
        "per_establishment": per_establishment,
        "performance": (total, answered, on_time, unanswered_overdue),
        "median": weighted_median(zip(days, (n for _, _, n in pairs), strict=True)),
        "surveys": surveys,
    }


def direct_weekly(end: date, cause_ids: list[int], mondays: list[date], establishments: list[int] | None) -> dict:
    where, params = _where(mondays[0], mondays[-1] + timedelta(6), establishments)
    return {
        (cause_id, week): n
        for cause_id, week, n in _rows(
            "SELECT c.cause_id, date_trunc('week', c.filed_at AT TIME ZONE 'America/Lima')::date, count(*) "
            f"FROM reclamaciones_complaint c WHERE {where} AND c.cause_id = ANY(%s) GROUP BY 1, 2",
            [*params, cause_ids],
        )
    }


def direct_flag_counts(recent_start: date, start: date, end: date, establishments: list[int] | None) -> dict:
    where, params = _where(start, end, establishments)
    return {
        cause_id: (recent, baseline)
        for cause_id, recent, baseline in _rows(
            "SELECT c.cause_id, count(*) FILTER (WHERE c.filed_at >= %s), count(*) FILTER (WHERE c.filed_at < %s) "
            f"FROM reclamaciones_complaint c WHERE {where} AND c.cause_id IS NOT NULL GROUP BY 1",
            [lima_midnight(recent_start), lima_midnight(recent_start), *params],
        )
    }


def assert_rollup_equals_direct(*, scope: Scope, start: date, end: date, today: date, establishment_id=None):
    """Every figure the dashboard reads from the rollup, against the direct SQL over the hojas."""
    establishments = None if scope.establishment_ids is None else sorted(scope.establishment_ids)
    if establishment_id:
        establishments = [establishment_id]
    direct = direct_figures(start, end, today, establishments)
    filters = {"scope": scope, "establishment_id": establishment_id}

    pareto = cause_pareto(start=start, end=end, limit=1000, **filters)
    assert pareto["total"] == sum(direct["by_cause"].values())
    assert pareto["unclassified"] == direct["by_cause"].get(None, 0)
    assert {row["cause_id"]: row["count"] for row in pareto["rows"]} == {
        k: v for k, v in direct["by_cause"].items() if k is not None
    }

    per_establishment = establishment_counts(start=start, end=end, **filters)
    assert {
        row["establishment_id"]: (row["count"], row["reclamos"], row["quejas"], row["open"])
        for row in per_establishment
    } == direct["per_establishment"]

    performance = answer_performance(start=start, end=end, today=today, **filters)
    total, answered, on_time, unanswered_overdue = direct["performance"]
    assert (performance["total"], performance["answered"], performance["on_time"]) == (total, answered, on_time)
    assert performance["unanswered_overdue"] == unanswered_overdue
    assert performance["median_business_days"] == direct["median"]

    surveys = survey_by_cause(start=start, end=end, **filters)
    assert sum(row["answers"] for row in surveys["rows"]) == sum(v[0] for v in direct["surveys"].values())
    for row in surveys["rows"]:
        cause_id = cause_get(row["complaint__cause__code"]).pk if row["complaint__cause__code"] else None
        answers, csat_avg, satisfied, solved, promoters, detractors = direct["surveys"][cause_id]
        assert (row["answers"], row["satisfied"], row["solved"]) == (answers, satisfied, solved)
        assert (row["promoters"], row["detractors"]) == (promoters, detractors)
        assert row["csat_avg"] == pytest.approx(csat_avg)

    causes = [row["cause_id"] for row in pareto["rows"][:6]]
    trend = cause_weekly_trend(end=end, cause_ids=causes, **filters)
    weekly = direct_weekly(end, causes, trend["weeks"], establishments)
    for cause_id, series in zip(causes, trend["series"], strict=True):
        assert series["counts"] == [weekly.get((cause_id, monday), 0) for monday in trend["weeks"]]

    flags = cause_flags(today=end, min_count=3, factor=1.2, **filters)
    from reclamaciones.council.rules import flag_windows

    recent, baseline = flag_windows(end)
    counts = direct_flag_counts(recent.start, baseline.start, recent.end, establishments)
    expected = {
        cause_id
        for cause_id, (r, b) in counts.items()
        if r >= 3 and is_recurring(recent=r, baseline=b, factor=1.2, min_count=3)
    }
    assert {f["cause_id"] for f in flags} == expected
    assert all((f["recent"], f["baseline"]) == counts[f["cause_id"]] for f in flags)
    return pareto


@pytest.fixture
def generated_book(monkeypatch):
    """The council benchmark's book (two years, 10 establishments, Pareto causes, rising causes, answers, late
    answers, surveys, repeat consumers, open hojas past due) at 4,000 hojas, inside the test's transaction."""
    monkeypatch.setattr(bench_council, "SIZE", 4000)
    # what migrations seed (the roles' groups, 0005's taxonomy) is gone when a transactional test flushed the
    # database before this one
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    if Cause.objects.filter(code__in=bench_council.TOP_CAUSES).count() < len(bench_council.TOP_CAUSES):
        importlib.import_module("reclamaciones.migrations.0005_seed_causes").seed(django_apps, None)
    real_execute = bench_council.execute
    # VACUUM and the bulk-load index rebuild cannot run in the test's transaction: ANALYZE alone, indexes kept
    monkeypatch.setattr(bench_council, "indexes_built_after", lambda tables: contextlib.nullcontext())
    monkeypatch.setattr(bench_council, "execute", lambda sql, *a: real_execute(sql.removeprefix("VACUUM "), *a))
    now = timezone.now()
    seeded = bench_council.seed(now)
    assert seeded["hojas"] == 4000
    assert (seeded["answered"] > 2000, seeded["surveys"] > 200) == (True, True)
    return {"today": timezone.localdate(now), **seeded}


def test_the_rollups_figures_equal_the_direct_sql_on_a_generated_book(generated_book):
    rollup_rebuild(now=timezone.now())
    today = generated_book["today"]
    everything = Scope.everything()
    for days in (7, 90, 365, 730, 800):
        pareto = assert_rollup_equals_direct(
            scope=everything, start=today - timedelta(days - 1), end=today, today=today
        )
        assert pareto["total"] > 0
    # a past period, one establishment, and a scoped reader
    assert_rollup_equals_direct(
        scope=everything,
        start=today - timedelta(400),
        end=today - timedelta(200),
        today=today,
        establishment_id=generated_book["establishment"],
    )
    establishments = list(
        DailyCauseCount.objects.values_list("establishment_id", flat=True).distinct().order_by("establishment_id")
    )[:3]
    reader = staff_user("supervisora", Role.SUPERVISOR, establishments=establishments)
    assert_rollup_equals_direct(scope=Scope.of(reader), start=today - timedelta(364), end=today, today=today)


def _tables() -> dict:
    return {
        model.__name__: sorted(
            model.objects.values_list(*[f.attname for f in model._meta.concrete_fields if f.attname != "id"]),
            key=str,  # cause_id may be None
        )
        for model in (DailyCauseCount, DailyAnswerCount, DailySurveyCount)
    }


def test_rebuilding_twice_gives_the_same_rows_and_the_command_says_what_it_did(generated_book, capsys):
    rollup_rebuild(now=timezone.now())
    first = _tables()
    call_command("council_rollup_rebuild")

    assert _tables() == first
    assert sum(filed for *_, filed, _r, _q in first["DailyCauseCount"]) == 4000
    assert "Cifras del consejo reconstruidas" in capsys.readouterr().out


def test_a_refresh_brings_in_filings_classifications_reclassifications_answers_and_surveys(file_complaint):
    """Changes made through the services after a refresh: the next refresh rewrites their days, and the result
    equals a full rebuild."""
    agent = staff_user("rosa", Role.AGENT, all_establishments=True)
    old = [file_complaint() for _ in range(3)]
    assert rollup_refresh(now=timezone.now()).rebuilt_at is not None  # the first refresh rebuilds
    state = RollupState.objects.get()
    assert (state.days_refreshed, DailyCauseCount.objects.get().filed) == (0, 3)

    new = file_complaint(kind=Kind.QUEJA)
    complaint_classify(complaint_id=old[0].pk, cause=cause_get("TST-02"), scope=Scope.of(agent))
    complaint_reclassify(complaint_id=old[1].pk, kind=Kind.QUEJA, reason="Es una queja.", scope=Scope.of(agent))
    answered = hoja_answered(old[2], by=agent)
    survey_answer(complaint=answered, solved=True, csat=5, nps=10)
    refreshed = rollup_refresh(now=timezone.now())

    assert refreshed.days_refreshed == 1  # every change happened today, to hojas filed today
    after_refresh = _tables()
    rollup_rebuild(now=timezone.now())
    assert _tables() == after_refresh
    today = timezone.localdate()
    pareto = cause_pareto(scope=Scope.everything(), start=today, end=today)
    assert (pareto["total"], pareto["unclassified"]) == (4, 3)
    assert [(r["code"], r["count"]) for r in pareto["rows"]] == [("TST-02", 1)]
    [row] = establishment_counts(scope=Scope.everything(), start=today, end=today)
    assert (row["count"], row["quejas"], row["open"]) == (4, 2, 3)
    assert survey_by_cause(scope=Scope.everything(), start=today, end=today)["overall"]["answers"] == 1
    assert new.pk


def test_a_refresh_rereads_only_from_a_little_before_the_last_one(file_complaint):
    file_complaint()
    rollup_refresh(now=timezone.now())
    assert rollup_refresh(now=timezone.now() + timedelta(hours=1)).days_refreshed == 1  # within the overlap
    before = _tables()

    state = rollup_refresh(now=timezone.now() + timedelta(hours=2))

    assert state.days_refreshed == 0  # the hoja's filing is older than the last refresh minus the overlap
    assert _tables() == before


def test_a_page_reads_a_rollup_refreshed_within_max_age_as_it_is(file_complaint):
    file_complaint()
    now = timezone.now()
    rollup_refresh(now=now)
    file_complaint()

    fresh = rollup_refresh(now=now + timedelta(seconds=59), max_age=timedelta(minutes=1))
    assert (fresh.refreshed_at, DailyCauseCount.objects.get().filed) == (now, 1)  # not rewritten yet

    stale = rollup_refresh(now=now + timedelta(seconds=61), max_age=timedelta(minutes=1))
    assert (stale.days_refreshed, DailyCauseCount.objects.get().filed) == (1, 2)


def test_consecutive_days_are_read_as_one_range():
    days = [date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 9), date(2026, 1, 2)]
    assert _day_ranges(days) == [(date(2026, 1, 1), date(2026, 1, 3)), (date(2026, 1, 9), date(2026, 1, 9))]
