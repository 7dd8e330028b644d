"""The improvement council's figures and actions on a small book of real hojas: recurring-cause flags, answer
performance, repeat complainants, surveys, action items (baseline, reminders, verification), the weekly digest
and meeting agendas. Dates are fixed (Lima); nothing depends on today's clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint, ResponseChannel, Status
from reclamaciones.council.models import ActionItem, ActionItemEvent, ActionStatus, CouncilMeeting
from reclamaciones.council.selectors import (
    answer_performance,
    answers_communicated,
    cause_flags,
    repeat_complainants,
    survey_by_cause,
    survey_low_scores,
)
from reclamaciones.council.services import (
    ImprovementError,
    action_create,
    action_reminders_queue,
    action_status_set,
    actions_daily,
    council_digest_queue,
    meeting_agenda_generate,
)
from reclamaciones.handling.models import Cause, Response, SurveyAnswer
from reclamaciones.outbox import render as emails
from reclamaciones.outbox.models import OutboundMessage

from .factories import EstablishmentFactory, cause_get

pytestmark = pytest.mark.django_db
LIMA = ZoneInfo("America/Lima")
BASE_URL = "https://reclamos.example.pe"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LIMA)


def weekly(start: date, count: int, step_days: int = 7) -> list[date]:
    return [start + timedelta(days=step_days * n) for n in range(count)]


def _file(file_complaint, when: date | datetime, cause: Cause | None = None, **overrides) -> Complaint:
    filed_at = when if isinstance(when, datetime) else at(when)
    complaint = file_complaint(filed_at=filed_at, **overrides)
    if cause is not None:
        Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


def _user(username: str, *groups: str, email: str | None = None, first_name: str = "", **fields) -> User:
    address = f"{username}@andina.example.pe" if email is None else email
    user = User.objects.create_user(username=username, email=address, first_name=first_name, **fields)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])  # flushed by transactional tests
    return user


def _cause(code: str, name: str) -> Cause:
    cause = cause_get(code)
    Cause.objects.filter(pk=cause.pk).update(name=name)
    cause.refresh_from_db()
    return cause


def _messages(kind: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind=kind).order_by("recipient", "pk"))


def _rendered(message: OutboundMessage) -> tuple[str, str, str]:
    email = emails.message_build(message)
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return email.subject, email.body, html


# Recurring causes -----------------------------------------------------------------------------------------------

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
    return rising, steady


def test_cause_flags_flag_a_rising_cause_and_not_a_steady_one(rising_and_steady, settings):
    rising, steady = rising_and_steady
    assert cause_flags(today=FLAG_DAY) == []  # the default minimum is 5 hojas in the 4 weeks; it has 4

    settings.COUNCIL_FLAG_MIN_COUNT = 3
    [flag] = cause_flags(today=FLAG_DAY)

    assert (flag["cause_id"], flag["code"], flag["name"]) == (rising.pk, "TST-01", "Demora en la entrega")
    assert (flag["recent"], flag["baseline"]) == (4, 3)  # Lima dates: 23:30 on 01/11 stays in the baseline
    assert (flag["recent_rate"], flag["baseline_rate"], flag["ratio"]) == (
        Decimal("1.00"),
        Decimal("0.25"),
        Decimal("4.00"),
    )
    assert steady.pk not in [f["cause_id"] for f in cause_flags(today=FLAG_DAY, min_count=1)]


def test_cause_flags_honour_the_factor_setting_and_explicit_arguments(rising_and_steady, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    settings.COUNCIL_FLAG_FACTOR = 4  # four times exactly is not "exceeds"

    assert cause_flags(today=FLAG_DAY) == []
    assert [f["code"] for f in cause_flags(today=FLAG_DAY, factor=3.9)] == ["TST-01"]
    assert cause_flags(today=FLAG_DAY, factor=1.5, min_count=5) == []


def test_cause_flags_by_establishment(rising_and_steady, settings, establishment):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    other = EstablishmentFactory()

    assert [f["code"] for f in cause_flags(today=FLAG_DAY, establishment_id=establishment.pk)] == ["TST-01"]
    assert cause_flags(today=FLAG_DAY, establishment_id=other.pk) == []


# Answer performance (business days, with the 8 and 9 December holidays) -----------------------------------------


def _answer(complaint: Complaint, when: datetime, responder: User) -> None:
    Response.objects.create(
        complaint=complaint,
        text="Atendido.",
        channel=ResponseChannel.EMAIL,
        communicated_at=when,
        responded_by=responder,
    )
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.ANSWERED)


def test_answer_performance_on_time_rate_and_median_in_business_days(file_complaint):
    responder = _user("agente", Role.AGENT)
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

    figures = answer_performance(user=None, start=date(2026, 11, 1), end=date(2026, 12, 11), today=date(2026, 12, 11))

    assert late.due_date == date(2026, 11, 23)
    assert (figures["total"], figures["answered"], figures["on_time"]) == (5, 3, 2)
    assert (figures["open_past_due"], figures["late"]) == (1, 2)
    assert figures["on_time_rate"] == 50
    assert figures["median_business_days"] == 1  # 0, 1 and 27 business days
    assert figures["overdue_now"] == 2

    communicated = answers_communicated(start=date(2026, 12, 7), end=date(2026, 12, 10))
    assert (communicated["answered"], communicated["on_time"], communicated["late"]) == (2, 2, 0)
    assert communicated["on_time_rate"] == 100
    assert communicated["median_business_days"] == 0.5


def test_repeat_complainants(file_complaint, establishment):
    other = EstablishmentFactory()
    for day in [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 29)]:  # 01/09: too old
        _file(file_complaint, day, doc_number="11111111", consumer_name="Ana Quispe")
    _file(file_complaint, date(2026, 11, 10), doc_number="22222222", consumer_name="Beto Rojas")
    _file(file_complaint, date(2026, 11, 20), doc_number="22222222", consumer_name="Beto Rojas", establishment=other)
    _file(file_complaint, date(2026, 11, 21), doc_number="33333333")

    repeat = repeat_complainants(user=None, end=date(2026, 11, 30))

    assert repeat["start"] == date(2026, 9, 2)
    assert [(r["doc_number"], r["count"], r["name"], r["establishments"]) for r in repeat["rows"]] == [
        ("11111111", 3, "Ana Quispe", 1),
        ("22222222", 2, "Beto Rojas", 2),
    ]
    assert (repeat["consumers"], repeat["hojas"], repeat["total"]) == (2, 5, 6)
    assert round(repeat["share"], 1) == 83.3
    only_here = repeat_complainants(user=None, end=date(2026, 11, 30), establishment_id=establishment.pk)
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

    surveys = survey_by_cause(user=None, start=date(2026, 11, 1), end=date(2026, 11, 30))

    by_code = {row["complaint__cause__code"]: row for row in surveys["rows"]}
    assert (by_code["TST-01"]["answers"], by_code["TST-01"]["nps"]) == (4, 25)
    assert (by_code["TST-02"]["answers"], by_code["TST-02"]["nps"]) == (2, -100)
    overall = surveys["overall"]
    assert (overall["answers"], overall["nps"]) == (6, -17)
    assert round(overall["csat_avg"], 2) == 2.67
    assert round(overall["satisfied_pct"], 1) == 33.3
    assert [s.comment for s in survey_low_scores(start=date(2026, 11, 1), end=date(2026, 11, 30))] == [
        "Nadie me llamó."
    ]


# Action items: baseline -----------------------------------------------------------------------------------------


def test_action_create_stores_the_baseline_of_the_twelve_weeks_before(file_complaint, establishment):
    cause, unrelated = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    other = EstablishmentFactory()
    for when in [date(2026, 9, 7), date(2026, 10, 10), at(date(2026, 11, 29), 23, 30)]:  # the 12 weeks
        _file(file_complaint, when, cause)
    _file(file_complaint, date(2026, 9, 6), cause)  # the day before them
    _file(file_complaint, at(date(2026, 11, 30), 0, 5), cause)  # the creation day itself
    _file(file_complaint, date(2026, 10, 10), cause, establishment=other)
    _file(file_complaint, date(2026, 10, 10), unrelated)
    owner = _user("duena", first_name="Rosa")

    here = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 31),
        causes=[cause],
        establishment=establishment,
        created_by=owner,
        today=date(2026, 11, 30),
    )
    everywhere = action_create(
        title="Aviso de demoras", owner=owner, due_date=date(2026, 12, 31), causes=[cause], today=date(2026, 11, 30)
    )

    here.refresh_from_db()
    assert (here.baseline_rate, here.baseline_weeks, here.baseline_measured_on) == (
        Decimal("0.25"),
        12,
        date(2026, 11, 30),
    )
    assert everywhere.baseline_rate == Decimal("0.33")  # 4 hojas in 12 weeks, every establishment
    [created] = here.events.filter(type=ActionItemEvent.Type.CREATED)
    assert created.actor == owner
    assert created.data == {"baseline_rate": "0.25", "baseline_count": 3, "window": ["2026-09-07", "2026-11-29"]}
    assert here.status == ActionStatus.PROPOSED
    with pytest.raises(ImprovementError):
        action_create(title="Sin causa", owner=owner, due_date=date(2026, 12, 31), causes=[])


# Action items: owner reminders ----------------------------------------------------------------------------------


def test_reminders_seven_and_one_day_before_and_once_overdue(establishment):
    owner = _user("duena", first_name="Rosa")
    cause = _cause("TST-01", "Demora en la entrega")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 10),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 11, 1),
    )
    implemented = action_create(
        title="Ya implementada", owner=owner, due_date=date(2026, 12, 10), causes=[cause], today=date(2026, 11, 1)
    )
    action_status_set(action=implemented, status=ActionStatus.IMPLEMENTED, today=date(2026, 12, 1))

    sent_by_day = {}
    for day in [date(2026, 12, 2), *weekly(date(2026, 12, 3), 10, step_days=1)]:
        sent_by_day[day] = action_reminders_queue(today=day)
        assert action_reminders_queue(today=day) == 0  # a second run the same day

    assert {day: n for day, n in sent_by_day.items() if n} == {
        date(2026, 12, 3): 1,  # 7 days before
        date(2026, 12, 9): 1,  # the day before
        date(2026, 12, 11): 1,  # passed
    }
    reminders = _messages(OutboundMessage.Kind.ACTION_REMINDER)
    assert {m.recipient for m in reminders} == {owner.email}
    assert sorted(m.idempotency_key for m in reminders) == [
        f"action:{action.pk}:due:2026-12-10:d1",
        f"action:{action.pk}:due:2026-12-10:d7",
        f"action:{action.pk}:due:2026-12-10:overdue",
    ]
    assert action.events.filter(type=ActionItemEvent.Type.REMINDER_QUEUED).count() == 3
    assert not implemented.events.filter(type=ActionItemEvent.Type.REMINDER_QUEUED).exists()

    # a new due date re-arms them
    ActionItem.objects.filter(pk=action.pk).update(due_date=date(2026, 12, 20))
    assert action_reminders_queue(today=date(2026, 12, 13)) == 1
    assert action_reminders_queue(today=date(2026, 12, 13)) == 0
    assert OutboundMessage.objects.filter(idempotency_key=f"action:{action.pk}:due:2026-12-20:d7").exists()

    # implemented: no more reminders, even past the due date
    action_status_set(action=action, status=ActionStatus.IMPLEMENTED, today=date(2026, 12, 18))
    assert action_reminders_queue(today=date(2026, 12, 19)) == 0
    assert action_reminders_queue(today=date(2026, 12, 21)) == 0


def test_reminder_e_mails(establishment):
    owner = _user("duena", first_name="Rosa", last_name="Huamán")
    cause = _cause("TST-01", "Demora en la entrega")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 12, 10),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 11, 1),
    )
    action_reminders_queue(today=date(2026, 12, 3))
    action_reminders_queue(today=date(2026, 12, 12))
    soon, overdue = sorted(_messages(OutboundMessage.Kind.ACTION_REMINDER), key=lambda m: m.context["date"])

    subject, text, html = _rendered(soon)
    assert subject == "Acción de mejora: vence en 7 días · Ruta de despacho diaria"
    assert "Hola, Rosa:" in text
    assert "TST-01 Demora en la entrega" in text
    assert "10/12/2026" in html
    assert "faltan 7 días" in text
    assert "Estado: Propuesta" in text
    assert "30 % menos hojas por semana" in text
    assert f"{BASE_URL}/consejo/acciones/" in text
    assert f"{BASE_URL}/consejo/acciones/" in html
    if admin.site.is_registered(ActionItem):
        assert f"{BASE_URL}/admin/reclamaciones/actionitem/{action.pk}/change/" in text

    subject, text, html = _rendered(overdue)
    assert subject == "Acción de mejora vencida hace 2 días · Ruta de despacho diaria"
    assert "venció hace 2 días" in text
    assert "venció hace 2 días" in html


# Action items: effectiveness ------------------------------------------------------------------------------------

IMPLEMENTED_ON = date(2026, 9, 1)  # 8-week window: 01/09 .. 26/10


@pytest.fixture
def council_members():
    return [
        _user("consejo1", Role.COUNCIL, first_name="Julia"),
        _user("consejo2", Role.COUNCIL, first_name="Marco"),
        _user("jubilado", Role.COUNCIL, is_active=False),
        _user("sincorreo", Role.COUNCIL, email=""),
    ]


@pytest.mark.parametrize(
    ("in_window", "status", "measured"),
    [
        (5, ActionStatus.EFFECTIVE, Decimal("0.63")),  # 5 in 8 weeks against a target of 0.70
        (6, ActionStatus.NOT_EFFECTIVE, Decimal("0.75")),
    ],
)
def test_verification_marks_effective_or_not_from_the_hojas_and_notifies_once(
    file_complaint, establishment, council_members, in_window, status, measured
):
    cause = _cause("TST-01", "Demora en la entrega")
    other = EstablishmentFactory()
    for day in weekly(date(2026, 6, 8), 12):  # baseline: 1.00 a week
        _file(file_complaint, day, cause)
    for day in weekly(date(2026, 9, 2), in_window):
        _file(file_complaint, day, cause)
    for day in weekly(date(2026, 9, 3), 3):  # another establishment: not this action's
        _file(file_complaint, day, cause, establishment=other)
    _file(file_complaint, at(date(2026, 10, 27), 0, 5), cause)  # the day after the window
    owner = _user("duena", first_name="Rosa", last_name="Huamán")
    action = action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=date(2026, 9, 15),
        causes=[cause],
        establishment=establishment,
        today=date(2026, 8, 31),
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )
    assert action.baseline_rate == Decimal("1.00")

    # the window's last day is still being filed: nothing is measured
    assert actions_daily(now=at(date(2026, 10, 26), 7, 30)) == {"verified": 0, "reminders": 0}
    action.refresh_from_db()
    assert action.status == ActionStatus.IMPLEMENTED

    assert actions_daily(now=at(date(2026, 10, 27), 7, 30)) == {"verified": 1, "reminders": 0}
    action.refresh_from_db()
    assert (action.status, action.measured_rate) == (status, measured)
    assert action.verified_at == at(date(2026, 10, 27), 7, 30)
    [event] = action.events.filter(type=ActionItemEvent.Type.VERIFIED)
    assert event.data["measured_count"] == in_window
    assert event.data["window"] == ["2026-09-01", "2026-10-26"]
    assert (event.data["baseline_rate"], event.data["target_rate"]) == ("1.00", "0.70")
    assert (event.data["old"], event.data["new"]) == (ActionStatus.IMPLEMENTED, status)
    verdicts = _messages(OutboundMessage.Kind.ACTION_VERDICT)
    assert [m.recipient for m in verdicts] == [
        "consejo1@andina.example.pe",
        "consejo2@andina.example.pe",
        "duena@andina.example.pe",
    ]

    # a second run (or a retried task) changes nothing
    events = ActionItemEvent.objects.count()
    assert actions_daily(now=at(date(2026, 10, 28), 7, 30)) == {"verified": 0, "reminders": 0}
    assert ActionItemEvent.objects.count() == events
    assert len(_messages(OutboundMessage.Kind.ACTION_VERDICT)) == 3

    to_council, _, to_owner = verdicts
    subject, text, html = _rendered(to_owner)
    if status == ActionStatus.EFFECTIVE:
        assert subject == "Acción de mejora efectiva: Ruta de despacho diaria"
        assert "cumplió su meta" in text
    else:
        assert subject == "Acción de mejora no efectiva: Ruta de despacho diaria (a revisar en el consejo)"
        assert "El consejo la revisará en su próxima reunión" in text
        assert "llévala a esa reunión" in text  # the owner is asked to bring their reading
    assert "Hola, Rosa:" in text
    assert "Responsable: Rosa Huamán" in text
    assert "del 01/09/2026 al 26/10/2026 (8 semanas): " in text
    assert "1.00 hojas por semana" in text
    assert "0.70 hojas por semana como máximo" in text
    assert f"Resultado: {measured} hojas por semana" in text
    assert f"{measured} hojas por semana" in html
    council_subject, council_text, _ = _rendered(to_council)
    assert council_subject == subject
    assert council_text.startswith("Hola:")
    assert "llévala a esa reunión" not in council_text


def test_verification_waits_for_the_windows_hojas_to_be_classified(file_complaint, establishment, council_members):
    cause = _cause("TST-01", "Demora en la entrega")
    for day in weekly(date(2026, 6, 8), 12):  # baseline: 1.00 a week
        _file(file_complaint, day, cause)
    pending = _file(file_complaint, date(2026, 10, 20))  # filed in the window, not yet classified
    action = action_create(
        title="Ruta de despacho diaria",
        owner=_user("duena"),
        due_date=date(2026, 9, 15),
        causes=[cause],
        today=date(2026, 8, 31),
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    # the window is over, but one of its hojas could still turn out to be this cause's: wait
    assert actions_daily(now=at(date(2026, 10, 27), 7, 30))["verified"] == 0
    Complaint.objects.filter(pk=pending.pk).update(cause=cause)
    assert actions_daily(now=at(date(2026, 10, 28), 7, 30))["verified"] == 1
    action.refresh_from_db()
    assert (action.status, action.measured_rate) == (ActionStatus.EFFECTIVE, Decimal("0.13"))
    assert action.events.get(type=ActionItemEvent.Type.VERIFIED).data["unclassified"] == 0


def test_verification_stops_waiting_after_the_grace_period(file_complaint, establishment, council_members):
    cause = _cause("TST-01", "Demora en la entrega")
    for day in weekly(date(2026, 6, 8), 12):
        _file(file_complaint, day, cause)
    _file(file_complaint, date(2026, 10, 20))  # never classified
    action = action_create(
        title="Ruta", owner=_user("duena"), due_date=date(2026, 9, 15), causes=[cause], today=date(2026, 8, 31)
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    assert actions_daily(now=at(date(2026, 11, 16), 7, 30))["verified"] == 0  # 26/10 + 21 days
    assert actions_daily(now=at(date(2026, 11, 17), 7, 30))["verified"] == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.EFFECTIVE
    assert action.events.get(type=ActionItemEvent.Type.VERIFIED).data["unclassified"] == 1
    _, text, html = _rendered(_messages(OutboundMessage.Kind.ACTION_VERDICT)[0])
    assert "Ojo: 1 hoja de esas semanas seguía sin causa tras tres semanas de espera y no se contó." in text
    assert "1 hoja de esas semanas seguía sin causa y no se contó." in html


def test_verification_of_a_zero_baseline(establishment, council_members):
    cause = _cause("TST-05", "Cause sin hojas")
    owner = _user("duena")
    action = action_create(
        title="Prevenir", owner=owner, due_date=date(2026, 9, 15), causes=[cause], today=date(2026, 8, 31)
    )
    action_status_set(
        action=action, status=ActionStatus.IMPLEMENTED, implemented_on=IMPLEMENTED_ON, today=IMPLEMENTED_ON
    )

    actions_daily(now=at(date(2026, 11, 2), 7, 30))

    action.refresh_from_db()
    assert (action.baseline_rate, action.measured_rate, action.status) == (
        Decimal("0.00"),
        Decimal("0.00"),
        ActionStatus.EFFECTIVE,
    )
    [event] = action.events.filter(type=ActionItemEvent.Type.VERIFIED)
    assert event.data["change_pct"] is None
    _, text, _ = _rendered(_messages(OutboundMessage.Kind.ACTION_VERDICT)[0])
    assert "la meta era mantenerlas en cero" in text


# Weekly digest --------------------------------------------------------------------------------------------------

DIGEST_MONDAY = date(2026, 11, 30)  # reports Monday 23/11 .. Sunday 29/11


@pytest.fixture
def digest_book(file_complaint, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    rising = _cause("TST-01", "Demora en la entrega")
    steady = _cause("TST-02", "Cobro indebido")
    lingering = _cause("TST-03", "Mala atención en caja")
    for day in [date(2026, 9, 1), date(2026, 9, 15), date(2026, 10, 1), date(2026, 11, 10)]:
        _file(file_complaint, day, rising)
    for day in [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27)]:  # the week reported
        _file(file_complaint, day, rising)
    for day in [*weekly(date(2026, 8, 10), 12), date(2026, 11, 17), date(2026, 11, 19)]:
        _file(file_complaint, day, steady)
    for day in [date(2026, 11, 24), date(2026, 11, 26)]:
        _file(file_complaint, day, steady)
    for day in [date(2026, 11, 2), date(2026, 11, 5), date(2026, 11, 9), date(2026, 11, 12)]:
        _file(file_complaint, day, lingering)  # flagged a week ago already
    _file(file_complaint, date(2026, 11, 28))  # not classified yet
    _file(file_complaint, at(date(2026, 11, 30), 7, 0), rising)  # this Monday: next week's digest
    owner = _user("duena", first_name="Rosa", last_name="Huamán")
    overdue = action_create(
        title="Capacitar al personal de despacho",
        owner=owner,
        due_date=date(2026, 11, 20),
        causes=[rising],
        today=date(2026, 11, 1),
    )
    verified = action_create(
        title="Cobro con voucher impreso",
        owner=owner,
        due_date=date(2026, 9, 1),
        causes=[steady],
        today=date(2026, 8, 1),
    )
    ActionItem.objects.filter(pk=verified.pk).update(
        status=ActionStatus.EFFECTIVE,
        implemented_on=date(2026, 9, 1),
        baseline_rate=Decimal("1.00"),
        measured_rate=Decimal("0.50"),
        verified_at=at(date(2026, 11, 25), 7, 30),
    )
    return {"rising": rising, "steady": steady, "lingering": lingering, "overdue": overdue, "verified": verified}


def test_digest_one_per_council_member_and_iso_week(council_members):
    _user("agente", Role.AGENT)

    assert council_digest_queue(now=at(DIGEST_MONDAY, 8)) == 2
    assert council_digest_queue(now=at(DIGEST_MONDAY, 8, 1)) == 0  # the beat fired twice
    assert council_digest_queue(now=at(date(2026, 12, 2), 12)) == 0  # same ISO week, any day
    digests = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)
    assert [(m.recipient, m.idempotency_key) for m in digests] == [
        ("consejo1@andina.example.pe", "council-digest:2026-W49:consejo1@andina.example.pe"),
        ("consejo2@andina.example.pe", "council-digest:2026-W49:consejo2@andina.example.pe"),
    ]
    assert digests[0].context == {"date": "2026-11-29", "since": "2026-11-23", "as_of": "2026-11-30"}

    assert council_digest_queue(now=at(date(2026, 12, 7), 8)) == 2


def test_digest_across_the_new_year_follows_the_iso_week(council_members):
    assert council_digest_queue(now=at(date(2026, 12, 28), 8)) == 2  # 2026 has 53 ISO weeks
    assert council_digest_queue(now=at(date(2027, 1, 1), 8)) == 0  # still 2026-W53
    assert council_digest_queue(now=at(date(2027, 1, 4), 8)) == 2
    keys = sorted({m.idempotency_key.split(":")[1] for m in _messages(OutboundMessage.Kind.COUNCIL_DIGEST)})
    assert keys == ["2026-W53", "2027-W01"]
    [context] = {
        str(m.context) for m in _messages(OutboundMessage.Kind.COUNCIL_DIGEST) if "2027-W01" in m.idempotency_key
    }
    assert "'since': '2026-12-28'" in context
    assert "'date': '2027-01-03'" in context


def test_digest_content(digest_book, council_members):
    council_digest_queue(now=at(DIGEST_MONDAY, 8))
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]

    subject, text, html = _rendered(message)

    assert subject == (
        "Resumen semanal del consejo (23/11 al 29/11/2026): Demora en la entrega encabeza con 3 hojas"
        " · 1 alerta nueva · 1 acción vencida"
    )
    assert "semana del lunes 23 de noviembre al domingo 29 de noviembre de 2026: 6 hojas, 1 todavía sin causa" in text
    assert "1. TST-01 Demora en la entrega: 3 hojas (50.0 %) · semana anterior: 0\n" in text
    assert "2. TST-02 Cobro indebido: 2 hojas (33.3 %) · semana anterior: 2 (igual)\n" in text
    new_flags = text.split("Nuevas esta semana:")[1].split("Siguen en alerta:")
    assert (
        "TST-01 Demora en la entrega: 4 hojas en las últimas 4 semanas, 1.00 por semana frente a 0.25" in new_flags[0]
    )
    assert "TST-03 Mala atención en caja" in new_flags[1]
    assert "Cobro indebido: 2" not in new_flags[0] + new_flags[1].split("ACCIONES")[0]
    assert "Capacitar al personal de despacho · Rosa Huamán · venció el 20/11/2026 (hace 10 días) · Propuesta" in text
    assert (
        "Cobro con voucher impreso: EFECTIVA · línea base 1.00, meta 0.70, medido 0.50 hojas por semana (-50.0 %)"
        in text
    )
    assert f"Tablero del consejo: {BASE_URL}/consejo/" in text
    assert "Nueva: TST-01 Demora en la entrega" in html
    assert "Capacitar al personal de despacho" in html
    assert f'href="{BASE_URL}/consejo/"' in html


DIGEST_QUERIES = 21


def test_digest_renders_from_aggregates(digest_book, council_members, file_complaint):
    council_digest_queue(now=at(DIGEST_MONDAY, 8))
    message = _messages(OutboundMessage.Kind.COUNCIL_DIGEST)[0]
    with CaptureQueriesContext(connection) as small:
        emails.message_build(message)

    for n in range(15):
        cause = [digest_book["rising"], digest_book["steady"], digest_book["lingering"]][n % 3]
        complaint = _file(file_complaint, date(2026, 11, 23) + timedelta(days=n % 7), cause, doc_number=f"4{n:07d}")
        SurveyAnswer.objects.create(
            complaint=complaint,
            solved=False,
            csat=1,
            nps=2,
            comment=f"Comentario {n}",
            answered_at=at(date(2026, 11, 27)),
        )
    for n in range(5):
        action_create(
            title=f"Acción {n}",
            owner=User.objects.get(username="duena"),
            due_date=date(2026, 11, 1),
            causes=[digest_book["rising"], digest_book["steady"]],
            today=date(2026, 10, 1),
        )
    with CaptureQueriesContext(connection) as large:
        _, text, _ = _rendered(message)

    assert "Acción 4" in text
    # bounded, not growing with the data (a lookup of the causes' labels runs once there is something to label)
    assert len(small) <= len(large) == DIGEST_QUERIES


# Meetings -------------------------------------------------------------------------------------------------------


def test_meeting_agenda_from_the_data_since_the_previous_meeting(file_complaint, settings):
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    rising, steady = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    _file(file_complaint, date(2026, 11, 1), rising)  # before the previous meeting
    for day in [date(2026, 11, 2), date(2026, 11, 10), date(2026, 11, 18)]:
        _file(file_complaint, day, rising)
    _file(file_complaint, date(2026, 11, 20), steady)
    _file(file_complaint, date(2026, 11, 27), rising)  # after the agenda is prepared
    owner = _user("duena")
    action_create(title="Vencida", owner=owner, due_date=date(2026, 11, 20), causes=[rising], today=date(2026, 11, 1))
    CouncilMeeting.objects.create(held_on=date(2026, 11, 2))
    meeting = CouncilMeeting.objects.create(held_on=date(2026, 11, 30))

    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 11, 25), 9))

    meeting.refresh_from_db()
    agenda = meeting.agenda
    assert (agenda["since"], agenda["today"], agenda["previous_meeting"]) == ("2026-11-02", "2026-11-25", "2026-11-02")
    assert [(r["code"], r["count"]) for r in agenda["top_causes"]] == [("TST-01", 3), ("TST-02", 1)]
    assert [f["code"] for f in agenda["flags"]] == ["TST-01"]
    assert [a["title"] for a in agenda["overdue_actions"]] == ["Vencida"]
    assert meeting.agenda_generated_at == at(date(2026, 11, 25), 9)

    # regenerated after the meeting: the data up to the meeting day
    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 12, 3), 9))
    meeting.refresh_from_db()
    assert meeting.agenda["today"] == "2026-11-30"
    assert [(r["code"], r["count"]) for r in meeting.agenda["top_causes"]] == [("TST-01", 4), ("TST-02", 1)]


def test_first_meeting_agenda_covers_the_four_weeks_before(file_complaint):
    meeting = CouncilMeeting.objects.create(held_on=date(2026, 11, 30))

    meeting_agenda_generate(meeting=meeting, now=at(date(2026, 11, 30), 9))

    assert (meeting.agenda["since"], meeting.agenda["today"]) == ("2026-11-03", "2026-11-30")
    assert meeting.agenda["previous_meeting"] is None


def test_an_actions_history_is_append_only(establishment):
    from reclamaciones.records import ImmutableRecordError

    action = action_create(
        title="Ruta", owner=_user("duena"), due_date=date(2026, 9, 15), causes=[cause_get()], today=date(2026, 8, 31)
    )
    [event] = action.events.all()
    event.data = {"baseline_rate": "0.00"}
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        ActionItemEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(ImmutableRecordError):
        ActionItemEvent.objects.filter(pk=event.pk).delete()
    assert ActionItemEvent.objects.get(pk=event.pk).type == ActionItemEvent.Type.CREATED
