"""The council's figures: rising causes, answer performance, repeat complainants, surveys by cause."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.rollup import rollup_rebuild
from reclamaciones.council.selectors import (
    answer_performance,
    answer_timeliness,
    cause_flags,
    repeat_complainants,
    survey_by_cause,
    survey_low_scores,
)
from reclamaciones.handling.models import SurveyAnswer

from ..factories import EstablishmentFactory, staff_user
from .actions_support import _answer, _cause, _file, at, weekly

pytestmark = pytest.mark.django_db


FLAG_DAY = date(2026, 11, 29)  # recent window 02/11 .. 29/11, baseline 10/08 .. 01/11


@pytest.fixture
def rising_and_steady(file_complaint):
    rising, steady = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    # 3 in the baseline (the last one at 23:30 Lima on 01/11 is already 02/11 in UTC), 1 the day before it
    for when in [date(2026, 8, 9), date(2026, 8, 20), date(2026, 9, 15), at(date(2026, 11, 1), 23, 30)]:
        _file(file_complaint, when, rising)
    # 4 in the last 4 weeks (the first ten minutes after Lima's midnight, the last on the window's final night)
    for when in [at(date(2026, 11, 2), 0, 10), date(2026, 11, 10), date(2026, 11, 18), at(FLAG_DAY, 23, 0)]:
        _file(file_complaint, when, rising)
    # steady: one a week all along
    for day in weekly(date(2026, 8, 10), 12) + weekly(date(2026, 11, 3), 4):
        _file(file_complaint, day, steady)
    rollup_rebuild(now=timezone.now())
    return rising, steady


def test_cause_flags_flag_a_rising_cause_and_not_a_steady_one(rising_and_steady, settings):
    rising, steady = rising_and_steady
    assert (
        cause_flags(today=FLAG_DAY, scope=Scope.everything()) == []
    )  # the default minimum is 5 hojas in the 4 weeks; it has 4

    settings.COUNCIL_FLAG_MIN_COUNT = 3
    [flag] = cause_flags(today=FLAG_DAY, scope=Scope.everything())

    assert (flag["cause_id"], flag["code"], flag["name"]) == (rising.pk, "TST-01", "Demora en la entrega")
    assert (flag["recent"], flag["baseline"]) == (4, 3)  # Lima dates: 23:30 on 01/11 stays in the baseline
    assert (flag["recent_rate"], flag["baseline_rate"], flag["ratio"]) == (
        Decimal("1.00"),
        Decimal("0.25"),
        Decimal("4.00"),
    )
    assert steady.pk not in [f["cause_id"] for f in cause_flags(today=FLAG_DAY, min_count=1, scope=Scope.everything())]


def test_cause_flags_honour_the_factor_setting_and_explicit_arguments(rising_and_steady, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    settings.COUNCIL_FLAG_FACTOR = 4  # four times exactly is not "exceeds"

    assert cause_flags(today=FLAG_DAY, scope=Scope.everything()) == []
    assert [f["code"] for f in cause_flags(today=FLAG_DAY, factor=3.9, scope=Scope.everything())] == ["TST-01"]
    assert cause_flags(today=FLAG_DAY, factor=1.5, min_count=5, scope=Scope.everything()) == []


def test_cause_flags_by_establishment(rising_and_steady, settings, establishment):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    other = EstablishmentFactory()

    assert [
        f["code"] for f in cause_flags(today=FLAG_DAY, establishment_id=establishment.pk, scope=Scope.everything())
    ] == ["TST-01"]
    assert cause_flags(today=FLAG_DAY, establishment_id=other.pk, scope=Scope.everything()) == []


# Answer performance (business days, with the 8 and 9 December holidays) -----------------------------------------


def test_answer_performance_on_time_rate_and_median_in_business_days(file_complaint):
    responder = staff_user("agente", Role.AGENT, is_staff=False, profile=False)
    same_day = _file(file_complaint, date(2026, 12, 10))
    _answer(same_day, at(date(2026, 12, 10), 12), responder)  # 0 business days
    # Monday 07/12 -> Thursday 10/12 at 23:30 (04:30 on the 11th in UTC): 8 and 9 December are holidays,
    # so one business day (the 10th)
    over_holidays = _file(file_complaint, date(2026, 12, 7))
    _answer(over_holidays, at(date(2026, 12, 10), 23, 30), responder)
    late = _file(file_complaint, date(2026, 11, 2))  # due 23/11
    _answer(late, at(date(2026, 12, 11), 9), responder)
    _file(file_complaint, date(2026, 11, 3))  # still open, past due: can no longer be on time
    _file(file_complaint, date(2026, 12, 10))  # open, in time
    _file(file_complaint, date(2026, 10, 30))  # open and past due, filed before the period
    rollup_rebuild(now=timezone.now())

    figures = answer_performance(
        scope=Scope.everything(), start=date(2026, 11, 1), end=date(2026, 12, 11), today=date(2026, 12, 11)
    )

    assert late.due_date == date(2026, 11, 23)
    assert figures["total"] == 5  # hojas filed in the period
    # Issue 13 changed the definition: the 3 answers communicated in the period, 2 by their due date; the hoja
    # filed on 03/11 fell due unanswered and is reported apart, never as a late answer (it used to make
    # "2 a tiempo · 2 fuera de plazo, 50 %"). The one filed on 30/10 fell due on 20/11, in the period, too.
    assert (figures["answered"], figures["on_time"], figures["late"]) == (3, 2, 1)
    assert figures["on_time_rate"] == pytest.approx(200 / 3)
    assert figures["unanswered_overdue"] == 2
    assert figures["median_business_days"] == 1  # 0, 1 and 27 business days
    assert figures["overdue_now"] == 2

    communicated = answer_timeliness(
        start=date(2026, 12, 7), end=date(2026, 12, 10), today=date(2026, 12, 11), scope=Scope.everything()
    )
    assert (communicated["answered"], communicated["on_time"], communicated["late"]) == (2, 2, 0)
    assert communicated["on_time_rate"] == 100
    assert communicated["median_business_days"] == 0.5
    assert communicated["unanswered_overdue"] == 0  # nothing fell due between 07/12 and 10/12


def test_repeat_complainants(file_complaint, establishment):
    other = EstablishmentFactory()
    for day in [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 29)]:  # 01/09: too old
        _file(file_complaint, day, doc_number="11111111", consumer_name="Ana Quispe")
    _file(file_complaint, date(2026, 11, 10), doc_number="22222222", consumer_name="Beto Rojas")
    _file(file_complaint, date(2026, 11, 20), doc_number="22222222", consumer_name="Beto Rojas", establishment=other)
    _file(file_complaint, date(2026, 11, 21), doc_number="33333333")

    repeat = repeat_complainants(scope=Scope.everything(), end=date(2026, 11, 30))

    assert repeat["start"] == date(2026, 9, 2)
    assert [(r["doc_number"], r["count"], r["name"], r["establishments"]) for r in repeat["rows"]] == [
        ("11111111", 3, "Ana Quispe", 1),
        ("22222222", 2, "Beto Rojas", 2),
    ]
    assert (repeat["consumers"], repeat["hojas"], repeat["total"]) == (2, 5, 6)
    assert round(repeat["share"], 1) == 83.3
    only_here = repeat_complainants(scope=Scope.everything(), end=date(2026, 11, 30), establishment_id=establishment.pk)
    assert [r["doc_number"] for r in only_here["rows"]] == ["11111111"]


def test_survey_by_cause_nps_and_csat(file_complaint):
    a, b = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    answered = at(date(2026, 11, 20), 15)
    scores = [(a, 5, 10, ""), (a, 4, 9, ""), (a, 1, 3, "Nadie me llamó."), (a, 3, 7, ""), (b, 2, 0, ""), (b, 1, 5, "")]
    for cause, csat, score, comment in scores:
        complaint = _file(file_complaint, date(2026, 11, 2), cause)
        SurveyAnswer.objects.create(
            complaint=complaint, solved=csat >= 4, csat=csat, nps=score, comment=comment, answered_at=answered
        )
    outside = _file(file_complaint, date(2026, 9, 2), a)
    SurveyAnswer.objects.create(complaint=outside, solved=False, csat=1, nps=0, answered_at=at(date(2026, 10, 1)))
    rollup_rebuild(now=timezone.now())

    surveys = survey_by_cause(scope=Scope.everything(), start=date(2026, 11, 1), end=date(2026, 11, 30))

    by_code = {row["complaint__cause__code"]: row for row in surveys["rows"]}
    assert (by_code["TST-01"]["answers"], by_code["TST-01"]["nps"]) == (4, 25)
    assert (by_code["TST-02"]["answers"], by_code["TST-02"]["nps"]) == (2, -100)
    overall = surveys["overall"]
    assert (overall["answers"], overall["nps"]) == (6, -17)
    assert round(overall["csat_avg"], 2) == 2.67
    assert round(overall["satisfied_pct"], 1) == 33.3
    assert [
        s.comment for s in survey_low_scores(start=date(2026, 11, 1), end=date(2026, 11, 30), scope=Scope.everything())
    ] == ["Nadie me llamó."]
