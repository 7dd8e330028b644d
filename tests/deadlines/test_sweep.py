"""The deadline sweep: reminders and escalations, each once, to the right people."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, Status
from reclamaciones.deadlines.models import TrackerHeartbeat
from reclamaciones.deadlines.notices import OVERDUE, notice_for
from reclamaciones.deadlines.rules import NATIONAL_CALENDAR, business_days_left
from reclamaciones.deadlines.services import SWEEP, deadlines_sweep
from reclamaciones.outbox.keys import overdue_key, reminder_key
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory
from .tracking_support import (
    DEFAULT_THRESHOLDS,
    DUE_ON,
    FILED_ON,
    Event,
    Kind,
    assign,
    at,
    set_status,
    staff,
    staff_messages,
)

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# Sweep: reminders at 5, 2, 1, 0 business days left, then a daily escalation
# ----------------------------------------------------------------------------------------------------

# (sweep day, business days left, subject of the e-mail owed that day or None)
TIMELINE = [
    (date(2026, 10, 19), 6, None),
    (date(2026, 10, 20), 5, "Vence en 5 días hábiles"),
    (date(2026, 10, 21), 4, None),
    (date(2026, 10, 22), 3, None),
    (date(2026, 10, 23), 2, "Vence en 2 días hábiles"),
    (date(2026, 10, 26), 1, "Vence mañana"),
    (date(2026, 10, 27), 0, "Vence HOY"),
    (date(2026, 10, 28), -1, "VENCIDA hace 1 día hábil:"),
    (date(2026, 10, 29), -2, "VENCIDA hace 2 días hábiles:"),
]


def test_timeline_days_are_the_business_days_and_days_left_are_computed() -> None:
    days = [date(2026, 10, 19) + timedelta(days=n) for n in range(11)]
    assert [d for d in days if NATIONAL_CALENDAR.is_business_day(d)] == [day for day, _, _ in TIMELINE]
    seen: set[str] = set()
    for day, left, subject in TIMELINE:
        assert business_days_left(day, DUE_ON) == left
        notice = notice_for(left, DEFAULT_THRESHOLDS)
        if notice is None:
            key = None
        elif notice.kind == OVERDUE:
            key = overdue_key(recipient="ana@nandu.example.pe", today=day, complaint_ids=[1])
        else:
            key = reminder_key(complaint_id=1, threshold=notice.threshold, recipient="ana@nandu.example.pe")
        assert (key is not None and key not in seen) == (subject is not None), day
        seen.add(key)


@pytest.mark.parametrize("assigned", [pytest.param(False, id="unassigned"), pytest.param(True, id="assigned")])
def test_sweep_every_business_day_sends_each_notice_once(hoja, establishment, sweep, mailoutbox, assigned) -> None:
    ana = staff("ana", Role.AGENT, establishments=[establishment])
    sara = staff("sara", Role.SUPERVISOR, establishments=[establishment])
    carla = staff("carla", Role.AGENT, establishments=[establishment])
    if assigned:
        assign(hoja, carla)
        reminder_to, escalation_to = [carla.email], [sara.email, carla.email]
    else:
        reminder_to, escalation_to = [ana.email, carla.email], [sara.email]

    sent_on: dict[date, list] = {}
    for day, left, subject in TIMELINE:
        before = len(mailoutbox)
        first = sweep(at(day, 9, 0))
        sent_first = sent_on[day] = mailoutbox[before:]
        again = [sweep(at(day, 9, 15)), sweep(at(day, 17, 45))]
        assert [r.messages_created for r in again] == [0, 0], day
        assert len(mailoutbox) == before + len(sent_first), f"{day}: a repeated sweep sent again"
        if subject is None:
            assert sent_first == [], f"{day} ({left} left): nothing is owed"
            assert first.messages_created == 0
            continue
        expected_to = escalation_to if left < 0 else reminder_to
        assert sorted(m.to[0] for m in sent_first) == sorted(expected_to), day
        assert all(len(m.to) == 1 for m in sent_first)
        assert all(subject in m.subject and hoja.display_number in m.subject for m in sent_first), (
            day,
            [m.subject for m in sent_first],
        )
        if left < 0:
            assert all("VENCIDA" in m.subject for m in sent_first)
            assert (
                f"{-left} día{'s' if left < -1 else ''} hábil{'es' if left < -1 else ''} de retraso"
                in sent_first[0].body
            )
            assert (first.escalations, first.reminders) == (len(expected_to), 0)
        else:
            assert (first.reminders, first.escalations) == (len(expected_to), 0)
        assert first.messages_created == len(expected_to)

    assert [day for day, mails in sent_on.items() if mails] == [
        date(2026, 10, 20),
        date(2026, 10, 23),
        date(2026, 10, 26),
        date(2026, 10, 27),
        date(2026, 10, 28),
        date(2026, 10, 29),
    ]
    if assigned:
        assert not any(ana.email in m.to for m in mailoutbox), "the assignee, not the other agents, is reminded"

    assert staff_messages(kind=Kind.REMINDER).count() == 4 * len(reminder_to)
    assert staff_messages(kind=Kind.OVERDUE).count() == 2 * len(escalation_to)
    assert not staff_messages().exclude(status=OutboundMessage.Status.SENT).exists()

    reminded = list(hoja.events.filter(type=Event.REMINDED).order_by("occurred_at"))
    assert [(e.occurred_at, e.data["days_left"], e.data["threshold"]) for e in reminded] == [
        (at(date(2026, 10, 20)), 5, 5),
        (at(date(2026, 10, 23)), 2, 2),
        (at(date(2026, 10, 26)), 1, 1),
        (at(date(2026, 10, 27)), 0, 0),
    ]
    assert all(sorted(e.data["recipients"]) == sorted(reminder_to) for e in reminded)
    escalated = list(hoja.events.filter(type=Event.ESCALATED).order_by("occurred_at"))
    assert [(e.occurred_at, e.data["days_left"], e.data["date"]) for e in escalated] == [
        (at(date(2026, 10, 28)), -1, "2026-10-28"),
        (at(date(2026, 10, 29)), -2, "2026-10-29"),
    ]
    assert all(sorted(e.data["recipients"]) == sorted(escalation_to) for e in escalated)


def test_unassigned_reminder_goes_to_every_agent_in_scope_only(hoja, establishment, sweep, mailoutbox) -> None:
    other = EstablishmentFactory()
    in_scope = [
        staff("ana", Role.AGENT, establishments=[establishment]),
        staff("bea", Role.AGENT, establishments=[establishment, other]),
        staff("gloria", Role.AGENT, all_establishments=True),
    ]
    staff("otto", Role.AGENT, establishments=[other])  # another establishment
    staff("nina", Role.AGENT, profile=False)  # no StaffProfile
    staff("ines", Role.AGENT, establishments=[establishment], is_active=False)
    staff("sinmail", Role.AGENT, establishments=[establishment], email="")
    staff("sara", Role.SUPERVISOR, establishments=[establishment])  # reminders are for agents
    staff("pepe", None, establishments=[establishment])  # no role

    result = sweep(at(date(2026, 10, 20)))

    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in in_scope)
    assert result.reminders == 3
    assert result.unroutable == []
    assert sorted(staff_messages().values_list("recipient", flat=True)) == sorted(u.email for u in in_scope)


def test_escalation_goes_to_the_supervisors_in_scope_only(hoja, establishment, sweep, mailoutbox) -> None:
    other = EstablishmentFactory()
    in_scope = [
        staff("sara", Role.SUPERVISOR, establishments=[establishment]),
        staff("sonia", Role.SUPERVISOR, all_establishments=True),
    ]
    staff("saul", Role.SUPERVISOR, establishments=[other])
    staff("silvia", Role.SUPERVISOR, establishments=[establishment], is_active=False)
    staff("ana", Role.AGENT, establishments=[establishment])  # agents are reminded, not escalated to

    result = sweep(at(date(2026, 10, 28)))

    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in in_scope)
    assert all(m.subject.startswith("VENCIDA hace 1 día hábil:") for m in mailoutbox)
    assert result.escalations == 2
    [event] = hoja.events.filter(type=Event.ESCALATED)
    assert sorted(event.data["recipients"]) == sorted(u.email for u in in_scope)
    assert event.data["days_left"] == -1


def test_escalation_without_a_supervisor_in_scope_goes_to_the_agents(hoja, establishment, sweep, mailoutbox) -> None:
    agent = staff("ana", Role.AGENT, establishments=[establishment])

    result = sweep(at(date(2026, 10, 28)))

    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert mailoutbox[0].subject.startswith("VENCIDA hace 1 día hábil:")
    assert result.unroutable == []


@pytest.mark.parametrize(
    "assignee_kwargs",
    [
        pytest.param({"email": ""}, id="assignee-without-email"),
        pytest.param({"is_active": False}, id="assignee-deactivated"),
    ],
)
def test_reminder_for_an_unreachable_assignee_goes_to_the_agents(
    hoja, establishment, sweep, mailoutbox, assignee_kwargs
) -> None:
    """Nobody must miss a deadline because the hoja sits with someone who can no longer be told."""
    ana = staff("ana", Role.AGENT, establishments=[establishment])
    gone = staff("gone", Role.AGENT, establishments=[establishment], **assignee_kwargs)
    assign(hoja, gone)

    result = sweep(at(date(2026, 10, 20)))

    assert [m.to for m in mailoutbox] == [[ana.email]]
    assert result.reminders == 1


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(Status.ANSWERED, id="answered"),
        pytest.param(Status.CLOSED, id="closed"),
        pytest.param(Status.SETTLED, id="settled"),
    ],
)
@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 10, 20), id="at-5-days-left"),
        pytest.param(date(2026, 10, 27), id="on-the-due-date"),
        pytest.param(date(2026, 10, 28), id="overdue"),
        pytest.param(date(2026, 11, 16), id="long-overdue"),
    ],
)
def test_finished_hojas_get_nothing(hoja, establishment, sweep, mailoutbox, status, day) -> None:
    carla = staff("carla", Role.AGENT, establishments=[establishment])
    staff("sara", Role.SUPERVISOR, all_establishments=True)
    assign(hoja, carla)
    set_status(hoja, status)

    result = sweep(at(day))

    assert mailoutbox == []
    assert result.candidates == 0
    assert result.messages_created == 0
    assert not staff_messages().exists()
    assert not hoja.events.filter(type__in=[Event.REMINDED, Event.ESCALATED]).exists()


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 10, 20), id="reminder"),
        pytest.param(date(2026, 10, 28), id="overdue"),
    ],
)
def test_hoja_with_nobody_in_scope_is_reported_unroutable(hoja, sweep, mailoutbox, day) -> None:
    other = EstablishmentFactory()
    staff("otto", Role.AGENT, establishments=[other])
    staff("saul", Role.SUPERVISOR, establishments=[other])
    staff("nina", Role.AGENT, profile=False)
    staff("ines", Role.SUPERVISOR, establishments=[hoja.establishment], is_active=False)

    result = sweep(at(day))

    assert result.unroutable == [hoja.pk]
    assert result.candidates == 1
    assert result.messages_created == 0
    assert mailoutbox == []
    assert not staff_messages().exists()
    assert not hoja.events.filter(type__in=[Event.REMINDED, Event.ESCALATED]).exists()
    heartbeat = TrackerHeartbeat.objects.get(name=SWEEP)
    assert heartbeat.data["unroutable"] == [hoja.pk]


def test_double_sweep_creates_and_sends_nothing_more(hoja, establishment, sweep, mailoutbox) -> None:
    staff("ana", Role.AGENT, establishments=[establishment])
    staff("bea", Role.AGENT, establishments=[establishment])
    now = at(date(2026, 10, 23))

    first = sweep(now)
    messages, mails = staff_messages().count(), len(mailoutbox)
    events = hoja.events.count()
    second = sweep(now)

    assert (first.messages_created, first.reminders) == (2, 2)
    assert (second.candidates, second.messages_created, second.reminders, second.escalations) == (1, 0, 0, 0)
    assert mails == 2
    assert len(mailoutbox) == mails
    assert staff_messages().count() == messages == 2
    assert hoja.events.count() == events


def test_heartbeat_records_when_the_sweep_ran_and_what_it_did(hoja, file_complaint, establishment, sweep) -> None:
    staff("ana", Role.AGENT, establishments=[establishment])
    staff("sara", Role.SUPERVISOR, establishments=[establishment])
    later = file_complaint(filed_at=at(date(2026, 10, 13), 11))  # due 2026-11-03: 3 business days left on 10-29
    far = file_complaint(filed_at=at(date(2026, 10, 28), 11))  # due 2026-11-18: outside the horizon
    assert (later.due_date, far.due_date) == (date(2026, 11, 3), date(2026, 11, 18))
    now = at(date(2026, 10, 29), 8, 15)

    result = sweep(now)

    heartbeat = TrackerHeartbeat.objects.get(name=SWEEP)
    assert heartbeat.last_run_at == now
    assert heartbeat.data == result.as_dict()
    assert heartbeat.data == {
        "candidates": 2,
        "reminders": 1,
        "escalations": 1,
        "messages_created": 2,
        "unroutable": [],
    }

    again = at(date(2026, 10, 29), 8, 30)
    sweep(again)
    heartbeat.refresh_from_db()
    assert heartbeat.last_run_at == again
    assert heartbeat.data["messages_created"] == 0
    assert heartbeat.data["candidates"] == 2


def test_an_agent_who_joins_later_gets_the_current_reminder_and_the_event_names_only_them(
    hoja, establishment, sweep, mailoutbox
) -> None:
    ana = staff("ana", Role.AGENT, establishments=[establishment])
    sweep(at(date(2026, 10, 20)))  # 5 left: ana reminded
    bea = staff("bea", Role.AGENT, establishments=[establishment])

    result = sweep(at(date(2026, 10, 21)))  # 4 left, still threshold 5: only bea is owed it

    assert [m.to for m in mailoutbox] == [[ana.email], [bea.email]]
    assert result.reminders == 1
    events = list(hoja.events.filter(type=Event.REMINDED).order_by("occurred_at"))
    assert [e.data["recipients"] for e in events] == [[ana.email], [bea.email]]


# ----------------------------------------------------------------------------------------------------
# Sweep: constant number of queries, and only hojas within the horizon
# ----------------------------------------------------------------------------------------------------

# Filing dates whose due dates fall within the horizon of a sweep on 2026-10-27 (days left 5..-1).
WINDOW_FILINGS = [date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 9), date(2026, 10, 13)]


def _file_candidates(file_complaint, establishments, count: int) -> list[Complaint]:
    hojas = []
    for n in range(count):
        filed = WINDOW_FILINGS[n % len(WINDOW_FILINGS)]
        hojas.append(
            file_complaint(establishment=establishments[n % len(establishments)], filed_at=at(filed, 10, n % 50))
        )
    return hojas


def _queries_of_sweep(now: datetime) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        result = deadlines_sweep(now=now, scope=Scope.everything())  # on-commit dispatch is not executed here
    return len(queries), result


def test_sweep_queries_do_not_grow_with_the_number_of_hojas(establishment, file_complaint) -> None:
    second = EstablishmentFactory()
    both = [establishment, second]
    staff("ana", Role.AGENT, establishments=[establishment])
    staff("beto", Role.AGENT, establishments=[second])
    staff("sara", Role.SUPERVISOR, all_establishments=True)
    carla = staff("carla", Role.AGENT, establishments=both)
    now = at(date(2026, 10, 27))
    deadlines_sweep(
        now=at(date(2026, 10, 1)), scope=Scope.everything()
    )  # the heartbeat row exists for both measurements

    few = _file_candidates(file_complaint, both, 3)
    assign(few[0], carla)
    few_queries, few_result = _queries_of_sweep(now)
    assert few_result.candidates == 3
    assert few_result.messages_created >= 3
    for complaint in few:
        set_status(complaint, Status.ANSWERED)

    many = _file_candidates(file_complaint, both, 30)
    for complaint in many[::4]:
        assign(complaint, carla)
    many_queries, many_result = _queries_of_sweep(now)
    assert many_result.candidates == 30
    assert many_result.messages_created >= 30
    assert many_result.reminders > 0
    assert many_result.escalations > 0

    assert many_queries == few_queries


@pytest.mark.parametrize(
    ("day", "candidates"),
    [
        pytest.param(date(2026, 10, 13), 0, id="10-business-days-left"),
        pytest.param(date(2026, 10, 19), 0, id="6-business-days-left"),
        pytest.param(date(2026, 10, 20), 1, id="5-business-days-left"),
    ],
)
def test_only_hojas_within_the_horizon_are_candidates(hoja, establishment, sweep, mailoutbox, day, candidates) -> None:
    staff("ana", Role.AGENT, establishments=[establishment])
    if day == date(2026, 10, 13):
        assert business_days_left(day, hoja.due_date) == 10

    result = sweep(at(day))

    assert result.candidates == candidates
    assert result.messages_created == len(mailoutbox) == candidates
    assert staff_messages().count() == candidates


def test_a_supervisor_gets_one_escalation_a_day_listing_every_overdue_hoja(
    establishment, file_complaint, sweep, mailoutbox
) -> None:
    sara = staff("sara", Role.SUPERVISOR, establishments=[establishment])
    first, second = (file_complaint(filed_at=at(FILED_ON, 10, minute)) for minute in (30, 45))
    day = at(date(2026, 10, 29))

    result = sweep(day)

    [email] = mailoutbox
    assert email.to == [sara.email]
    assert email.subject.startswith("VENCIDAS: 2 hojas sin respuesta")
    assert first.display_number in email.body
    assert second.display_number in email.body
    assert result.escalations == 1
    for hoja in (first, second):
        [event] = hoja.events.filter(type=Event.ESCALATED)
        assert event.data["recipients"] == [sara.email]

    late = file_complaint(filed_at=at(FILED_ON, 11, 0))  # e.g. transcribed from the backup book at noon
    sweep(at(date(2026, 10, 29), 12, 0))
    sweep(at(date(2026, 10, 29), 12, 15))

    assert len(mailoutbox) == 2  # only the hoja that was not escalated yet today, once
    assert late.display_number in mailoutbox[1].body
    assert first.display_number not in mailoutbox[1].body
