"""Deadline tracking (issue 3): the threshold logic, the sweep (reminders and escalations, exactly once),
the daily digest, the heartbeat behind /healthz and the admin warning, and calendar changes.

No wall clock: every service gets an explicit `now` in America/Lima and every hoja an explicit `filed_at`.
Celery is eager and mail goes to locmem (`mailoutbox`); on-commit callbacks only run inside
`django_capture_on_commit_callbacks(execute=True)`, which is what makes the dispatched e-mails leave.

Calendar relied on (the `holidays` package, country "PE"): 2026-10-08 [Thu] Combate de Angamos is the only
holiday in October 2026; 2021-04-01 [Thu] / 2021-04-02 [Fri] Holy Week.
A hoja filed Monday 2026-10-05 is due Tuesday 2026-10-27 (Ley 31435, 15 business days:
10-06, 10-07, 10-09, 10-12..16, 10-19..23, 10-26, 10-27).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint, ComplaintEvent, Status
from reclamaciones.deadlines.models import NonWorkingDay, TrackerHeartbeat
from reclamaciones.deadlines.notices import OVERDUE, REMINDER, Notice, notice_for, overdue_key
from reclamaciones.deadlines.rules import NATIONAL_CALENDAR, BusinessCalendar, business_days_left, effective_due_date
from reclamaciones.deadlines.services import SWEEP, deadlines_recompute, deadlines_sweep, digest_queue, tracker_status
from reclamaciones.outbox.models import OutboundMessage

from .factories import EstablishmentFactory, staff_user

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
DEFAULT_THRESHOLDS = (5, 2, 1, 0)
FILED_ON = date(2026, 10, 5)  # Monday
DUE_ON = date(2026, 10, 27)  # Tuesday, 15 business days later (10-08 is a holiday)
STALE_WARNING = "El seguimiento de plazos no se ejecuta"
Kind = OutboundMessage.Kind
Event = ComplaintEvent.Type


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LIMA)


staff = staff_user


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep at `now` and let the e-mails it dispatches on commit actually be sent."""

    def _sweep(now: datetime):
        with django_capture_on_commit_callbacks(execute=True):
            return deadlines_sweep(now=now)

    return _sweep


@pytest.fixture
def digest(django_capture_on_commit_callbacks):
    def _digest(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return digest_queue(now=now)

    return _digest


@pytest.fixture
def hoja(file_complaint):
    """A reclamo filed on Monday 2026-10-05 at 10:30 Lima, due 2026-10-27."""
    complaint = file_complaint(filed_at=at(FILED_ON, 10, 30))
    assert complaint.due_date == DUE_ON
    return complaint


def staff_messages(**filters):
    return OutboundMessage.objects.exclude(kind=Kind.SHEET_COPY).filter(**filters)


def assign(complaint: Complaint, user) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(assignee=user)


def set_status(complaint: Complaint, status: str) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(status=status)


# ----------------------------------------------------------------------------------------------------
# notice_for (pure)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        pytest.param(7, None, id="7-left-nothing-yet"),
        pytest.param(6, None, id="6-left-nothing-yet"),
        pytest.param(5, Notice(REMINDER, 5, 5), id="5-left-first-reminder"),
        pytest.param(4, Notice(REMINDER, 4, 5), id="4-left-still-threshold-5"),
        pytest.param(3, Notice(REMINDER, 3, 5), id="3-left-still-threshold-5"),
        pytest.param(2, Notice(REMINDER, 2, 2), id="2-left-threshold-2"),
        pytest.param(1, Notice(REMINDER, 1, 1), id="1-left-threshold-1"),
        pytest.param(0, Notice(REMINDER, 0, 0), id="0-left-due-today"),
        pytest.param(-1, Notice(OVERDUE, -1, None), id="1-overdue-escalation"),
        pytest.param(-5, Notice(OVERDUE, -5, None), id="5-overdue-escalation"),
    ],
)
def test_notice_for_default_thresholds(days_left: int, expected: Notice | None) -> None:
    assert notice_for(days_left, DEFAULT_THRESHOLDS) == expected
    # The order the setting lists them in does not matter.
    assert notice_for(days_left, (0, 5, 1, 2)) == expected


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        pytest.param(11, None, id="11-left-nothing-yet"),
        pytest.param(10, Notice(REMINDER, 10, 10), id="10-left-threshold-10"),
        pytest.param(7, Notice(REMINDER, 7, 10), id="7-left-threshold-10"),
        pytest.param(6, Notice(REMINDER, 6, 10), id="6-left-threshold-10"),
        pytest.param(5, Notice(REMINDER, 5, 10), id="5-left-threshold-10"),
        pytest.param(4, Notice(REMINDER, 4, 10), id="4-left-threshold-10"),
        pytest.param(3, Notice(REMINDER, 3, 3), id="3-left-threshold-3"),
        pytest.param(2, Notice(REMINDER, 2, 3), id="2-left-threshold-3"),
        pytest.param(1, Notice(REMINDER, 1, 3), id="1-left-threshold-3"),
        pytest.param(0, Notice(REMINDER, 0, 3), id="0-left-threshold-3"),
        pytest.param(-1, Notice(OVERDUE, -1, None), id="1-overdue-escalation"),
        pytest.param(-5, Notice(OVERDUE, -5, None), id="5-overdue-escalation"),
    ],
)
def test_notice_for_custom_thresholds(days_left: int, expected: Notice | None) -> None:
    assert notice_for(days_left, [10, 3]) == expected


@pytest.mark.parametrize(
    ("notice", "recipient", "today", "expected"),
    [
        pytest.param(
            Notice(REMINDER, 5, 5),
            "Ana.Agente@Nandu.Example.PE",
            date(2026, 10, 20),
            "reminder:42:5:ana.agente@nandu.example.pe",
            id="reminder-key-names-threshold-recipient-lowercased",
        ),
        pytest.param(
            Notice(REMINDER, 4, 5),
            "ana.agente@nandu.example.pe",
            date(2026, 10, 21),
            "reminder:42:5:ana.agente@nandu.example.pe",
            id="reminder-key-same-threshold-next-day-is-the-same-key",
        ),
        pytest.param(
            Notice(REMINDER, 0, 0),
            "ana.agente@nandu.example.pe",
            date(2026, 10, 27),
            "reminder:42:0:ana.agente@nandu.example.pe",
            id="reminder-key-threshold-0",
        ),
    ],
)
def test_idempotency_keys(notice: Notice, recipient: str, today: date, expected: str) -> None:
    assert notice.idempotency_key(42, recipient) == expected


def test_reminder_keys_differ_per_threshold_hoja_and_recipient() -> None:
    keys = {
        Notice(REMINDER, t, t).idempotency_key(complaint_id, recipient)
        for t in DEFAULT_THRESHOLDS
        for complaint_id in (1, 2)
        for recipient in ("ana@nandu.example.pe", "beto@nandu.example.pe")
    }
    assert len(keys) == len(DEFAULT_THRESHOLDS) * 2 * 2


def test_overdue_key_names_the_day_the_recipient_and_the_hojas() -> None:
    day = date(2026, 10, 28)
    key = overdue_key("SARA@nandu.example.pe", day, [7, 3])

    assert key.startswith("overdue:2026-10-28:sara@nandu.example.pe:")
    assert key == overdue_key("sara@nandu.example.pe", day, [3, 7])  # order does not matter
    assert key != overdue_key("sara@nandu.example.pe", date(2026, 10, 29), [3, 7])  # a new day, a new e-mail
    assert key != overdue_key("sara@nandu.example.pe", day, [3, 7, 9])  # hojas overdue later that day
    assert key != overdue_key("sonia@nandu.example.pe", day, [3, 7])


# ----------------------------------------------------------------------------------------------------
# effective_due_date (pure)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed_on", "expected"),
    [
        pytest.param(date(2026, 10, 5), date(2026, 10, 27), id="ley-31435-across-angamos"),
        pytest.param(date(2026, 9, 14), date(2026, 10, 5), id="ley-31435-september"),
        pytest.param(date(2021, 3, 1), date(2021, 3, 31), id="ds-006-2014-30-calendar-days"),
        pytest.param(date(2021, 3, 2), date(2021, 4, 5), id="ds-006-2014-lands-on-holy-week-moves-to-monday"),
    ],
)
def test_effective_due_date_without_events_is_the_due_date(filed_on: date, expected: date) -> None:
    from reclamaciones.deadlines.rules import due_date

    assert effective_due_date(filed_on) == due_date(filed_on) == expected


@pytest.mark.parametrize(
    ("filed_on", "suspended", "calendar", "expected"),
    [
        # Filed 2026-09-14, due 2026-10-05; then 10-06, 10-07, (10-08 holiday), 10-09, 10-12, 10-13.
        pytest.param(date(2026, 9, 14), 0, None, date(2026, 10, 5), id="no-suspension"),
        pytest.param(date(2026, 9, 14), 1, None, date(2026, 10, 6), id="1-day"),
        pytest.param(date(2026, 9, 14), 3, None, date(2026, 10, 9), id="3-days-skip-angamos"),
        pytest.param(date(2026, 9, 14), 5, None, date(2026, 10, 13), id="5-days-skip-angamos-and-weekend"),
        pytest.param(
            date(2026, 9, 14),
            3,
            BusinessCalendar([date(2026, 10, 9)]),
            date(2026, 10, 12),
            id="3-days-skip-holiday-and-a-non-working-day",
        ),
        # DS 006-2014: base date 2021-03-31 (Wed), then business days 04-05 (after Holy Week), 04-06.
        pytest.param(date(2021, 3, 1), 2, None, date(2021, 4, 6), id="ds-006-2014-suspension-skips-holy-week"),
    ],
)
def test_effective_due_date_suspended_days_move_by_business_days(
    filed_on: date, suspended: int, calendar: BusinessCalendar | None, expected: date
) -> None:
    assert effective_due_date(filed_on, calendar, suspended_business_days=suspended) == expected


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        pytest.param(0, date(2021, 3, 31), id="no-extension"),
        pytest.param(1, date(2021, 4, 5), id="plus-1-lands-on-jueves-santo-moves-to-monday"),
        pytest.param(10, date(2021, 4, 12), id="plus-10-lands-on-saturday-moves-to-monday"),
        pytest.param(30, date(2021, 4, 30), id="plus-30-friday"),
    ],
)
def test_effective_due_date_extension_on_ds_006_2014(extension: int, expected: date) -> None:
    assert effective_due_date(date(2021, 3, 1), extension_days=extension) == expected


@pytest.mark.parametrize("extension", [pytest.param(1, id="1-day"), pytest.param(30, id="30-days")])
def test_effective_due_date_refuses_extension_on_ley_31435(extension: int) -> None:
    with pytest.raises(ValueError, match="improrrogable"):
        effective_due_date(FILED_ON, extension_days=extension)


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
            key = overdue_key("ana@nandu.example.pe", day, [1])
        else:
            key = notice.idempotency_key(1, "ana@nandu.example.pe")
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
        result = deadlines_sweep(now=now)  # on-commit dispatch is not executed here
    return len(queries), result


def test_sweep_queries_do_not_grow_with_the_number_of_hojas(establishment, file_complaint) -> None:
    second = EstablishmentFactory()
    both = [establishment, second]
    staff("ana", Role.AGENT, establishments=[establishment])
    staff("beto", Role.AGENT, establishments=[second])
    staff("sara", Role.SUPERVISOR, all_establishments=True)
    carla = staff("carla", Role.AGENT, establishments=both)
    now = at(date(2026, 10, 27))
    deadlines_sweep(now=at(date(2026, 10, 1)))  # the heartbeat row exists for both measurements

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


# ----------------------------------------------------------------------------------------------------
# Daily digest
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def digest_setup(establishment, file_complaint):
    """E1: ana (agent), sara (supervisor); E2: beto and ciro (agents).
    E1 hojas, unassigned: one due 11-09, one overdue (due 10-27), one due 10-29, one answered.
    E2: one hoja assigned to beto."""
    second = EstablishmentFactory()
    people = {
        "ana": staff("ana", Role.AGENT, establishments=[establishment]),
        "sara": staff("sara", Role.SUPERVISOR, establishments=[establishment]),
        "beto": staff("beto", Role.AGENT, establishments=[second]),
        "ciro": staff("ciro", Role.AGENT, establishments=[second]),
    }
    # Filed out of due-date order, so ordering by pk would not pass for ordering by days left.
    later = file_complaint(filed_at=at(date(2026, 10, 19), 12))
    overdue = file_complaint(filed_at=at(FILED_ON, 10, 30))
    tomorrow = file_complaint(filed_at=at(date(2026, 10, 7), 16))
    answered = file_complaint(filed_at=at(date(2026, 10, 6), 9))
    set_status(answered, Status.ANSWERED)
    assigned = file_complaint(establishment=second, filed_at=at(date(2026, 10, 9), 9))
    assign(assigned, people["beto"])
    assert (later.due_date, overdue.due_date, tomorrow.due_date) == (
        date(2026, 11, 9),
        DUE_ON,
        date(2026, 10, 29),
    )
    return people, {"later": later, "overdue": overdue, "tomorrow": tomorrow, "answered": answered, "b": assigned}


def test_digest_one_message_per_staff_member_with_open_hojas(digest_setup, digest, mailoutbox) -> None:
    people, hojas = digest_setup

    digest(at(date(2026, 10, 28), 8, 0))

    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert len(mailoutbox) == len(by_recipient) == 3
    assert set(by_recipient) == {people["ana"].email, people["sara"].email, people["beto"].email}
    assert people["ciro"].email not in by_recipient  # E2's only hoja is beto's
    digests = staff_messages(kind=Kind.DAILY_DIGEST)
    assert digests.count() == 3
    ids = {m.recipient: sorted(m.context["complaint_ids"]) for m in digests}
    e1 = sorted(hojas[k].pk for k in ("later", "overdue", "tomorrow"))
    assert ids == {people["ana"].email: e1, people["sara"].email: e1, people["beto"].email: [hojas["b"].pk]}
    assert by_recipient[people["ana"].email].subject == "Hojas por atender hoy (28/10/2026): 3"


def test_digest_lists_hojas_by_business_days_left_with_vencida(digest_setup, digest, mailoutbox) -> None:
    people, hojas = digest_setup

    digest(at(date(2026, 10, 28), 8, 0))

    body = next(m.body for m in mailoutbox if m.to == [people["ana"].email])
    lines = [line for line in body.splitlines() if line.startswith("- Nº")]
    expected = [hojas["overdue"], hojas["tomorrow"], hojas["later"]]
    assert [line.split(" · ")[0] for line in lines] == [f"- Nº {h.display_number}" for h in expected]
    assert "VENCIDA hace 1 día(s) hábil(es)" in lines[0]
    assert "1 día(s) hábil(es) · vence el 29/10/2026" in lines[1]
    assert "8 día(s) hábil(es) · vence el 09/11/2026" in lines[2]
    assert "VENCIDA" not in lines[1] + lines[2]
    assert hojas["answered"].display_number not in body


def test_digest_is_sent_once_a_day(digest_setup, digest, mailoutbox) -> None:
    people, _ = digest_setup

    assert digest(at(date(2026, 10, 28), 8, 0)) == 3
    assert len(mailoutbox) == 3
    assert digest(at(date(2026, 10, 28), 8, 0)) == 0  # returns what it queued: nothing new
    assert digest(at(date(2026, 10, 28), 15, 30)) == 0
    assert len(mailoutbox) == 3
    assert staff_messages(kind=Kind.DAILY_DIGEST).count() == 3

    digest(at(date(2026, 10, 29), 8, 0))
    assert len(mailoutbox) == 6
    assert staff_messages(kind=Kind.DAILY_DIGEST).count() == 6
    next_day = next(m.body for m in mailoutbox[3:] if m.to == [people["ana"].email])
    assert "VENCIDA hace 2 día(s) hábil(es)" in next_day
    assert "vence HOY" in next_day


def test_digest_with_nothing_open_sends_nothing(establishment, digest, mailoutbox, hoja) -> None:
    staff("ana", Role.AGENT, establishments=[establishment])
    set_status(hoja, Status.ANSWERED)

    digest(at(date(2026, 10, 28), 8, 0))

    assert mailoutbox == []
    assert not staff_messages().exists()


# ----------------------------------------------------------------------------------------------------
# Heartbeat: /healthz and the admin warning
# ----------------------------------------------------------------------------------------------------


def test_healthz_before_any_sweep_is_503_never_ran(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    payload = response.json()
    assert payload["tracker"]["status"] == "never_ran"
    assert payload["database"]["status"] == "ok"
    assert payload["broker"]["status"] == "ok"


def test_healthz_after_a_sweep_is_200(client) -> None:
    deadlines_sweep(now=timezone.now())

    response = client.get("/healthz")

    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "ok"
    assert payload["database"]["status"] == "ok"
    assert payload["broker"]["status"] == "ok"  # eager mode in tests
    assert payload["tracker"]["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_stale_after_three_intervals(client, settings) -> None:
    deadlines_sweep(now=timezone.now())
    three = timedelta(seconds=3 * settings.RECLAMACIONES_SWEEP_INTERVAL_SECONDS)
    TrackerHeartbeat.objects.filter(name=SWEEP).update(last_run_at=timezone.now() - three - timedelta(minutes=5))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["tracker"]["status"] == "stale"


@pytest.mark.parametrize(
    ("age", "status"),
    [
        pytest.param(timedelta(0), "ok", id="just-ran"),
        pytest.param(timedelta(minutes=45), "ok", id="exactly-3-intervals"),
        pytest.param(timedelta(minutes=45, seconds=1), "stale", id="just-over-3-intervals"),
        pytest.param(timedelta(days=1), "stale", id="a-day"),
    ],
)
def test_tracker_status_by_age(age: timedelta, status: str) -> None:
    ran = at(date(2026, 10, 28), 9, 0)
    deadlines_sweep(now=ran)

    result = tracker_status(now=ran + age)

    assert result["status"] == status
    assert result["stale"] is (status == "stale")
    assert result["last_run_at"] == ran


def test_admin_shows_the_stale_warning(admin_client, settings) -> None:
    deadlines_sweep(now=timezone.now())
    TrackerHeartbeat.objects.filter(name=SWEEP).update(last_run_at=timezone.now() - timedelta(hours=2))

    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response.context["tracker_stale"] is True
    assert STALE_WARNING in response.content.decode()


def test_admin_shows_the_warning_when_the_tracker_never_ran(admin_client) -> None:
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert STALE_WARNING in response.content.decode()


def test_admin_has_no_warning_when_the_tracker_is_fresh(admin_client) -> None:
    deadlines_sweep(now=timezone.now())

    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response.context["tracker_stale"] is False
    assert STALE_WARNING not in response.content.decode()


# ----------------------------------------------------------------------------------------------------
# Calendar changes: non-working days recompute the open deadlines they affect
# ----------------------------------------------------------------------------------------------------


def _add_day(day: date) -> NonWorkingDay:
    return NonWorkingDay.objects.create(date=day, description="Día no laborable", legal_source="DS 089-2026-PCM")


@pytest.mark.parametrize(
    ("day", "expected_due"),
    [
        pytest.param(date(2026, 10, 14), date(2026, 10, 28), id="inside-the-period"),
        pytest.param(date(2026, 10, 6), date(2026, 10, 28), id="first-day-of-the-period"),
        pytest.param(DUE_ON, date(2026, 10, 28), id="on-the-due-date"),
        pytest.param(date(2026, 10, 28), DUE_ON, id="day-after-the-due-date"),
        pytest.param(date(2026, 10, 2), DUE_ON, id="before-the-filing"),
        pytest.param(FILED_ON, DUE_ON, id="the-filing-day-itself"),
        pytest.param(date(2026, 10, 10), DUE_ON, id="a-saturday-in-the-period"),
    ],
)
def test_recompute_moves_open_hojas_whose_period_contains_the_day(hoja, day, expected_due) -> None:
    _add_day(day)

    moved = deadlines_recompute(changed_on=day, reason="Día no laborable: prueba")

    hoja.refresh_from_db()
    assert hoja.due_date == expected_due
    events = list(hoja.events.filter(type=Event.DEADLINE_RECOMPUTED))
    if expected_due == DUE_ON:
        assert moved == 0
        assert events == []
    else:
        assert moved == 1
        [event] = events
        assert event.data["old_due_date"] == "2026-10-27"
        assert event.data["new_due_date"] == expected_due.isoformat()
        assert event.data["changed_on"] == day.isoformat()
        assert event.data["reason"] == "Día no laborable: prueba"


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(Status.ANSWERED, id="answered"),
        pytest.param(Status.CLOSED, id="closed"),
        pytest.param(Status.SETTLED, id="settled"),
    ],
)
def test_recompute_never_moves_a_finished_hoja(hoja, status) -> None:
    set_status(hoja, status)
    _add_day(date(2026, 10, 14))

    assert deadlines_recompute(changed_on=date(2026, 10, 14), reason="x") == 0

    hoja.refresh_from_db()
    assert hoja.due_date == DUE_ON
    assert not hoja.events.filter(type=Event.DEADLINE_RECOMPUTED).exists()


def test_recompute_moves_the_sweep_too(hoja, establishment, sweep, mailoutbox) -> None:
    """After 10-14 becomes non-working the hoja is due 10-28: on 10-27 one business day is left."""
    staff("ana", Role.AGENT, establishments=[establishment])
    _add_day(date(2026, 10, 14))
    deadlines_recompute(changed_on=date(2026, 10, 14), reason="x")

    result = sweep(at(date(2026, 10, 27)))

    assert result.reminders == 1
    assert [m.subject.split(":")[0] for m in mailoutbox] == ["Vence mañana"]


ADMIN_DAYS = "/admin/reclamaciones/nonworkingday/"


def _admin_form(day: date) -> dict:
    return {"date": day.isoformat(), "description": "Día no laborable compensable", "legal_source": "DS 089-2026-PCM"}


def test_admin_add_edit_and_delete_recompute(hoja, file_complaint, admin_client, django_capture_on_commit_callbacks):
    answered = file_complaint(filed_at=at(FILED_ON, 11))
    set_status(answered, Status.ANSWERED)

    # Add 10-14 (inside the period): 10-27 -> 10-28.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ADMIN_DAYS}add/", _admin_form(date(2026, 10, 14)))
    assert response.status_code == 302, response.content.decode()[:2000]
    day = NonWorkingDay.objects.get()
    hoja.refresh_from_db()
    answered.refresh_from_db()
    assert hoja.due_date == date(2026, 10, 28)
    assert answered.due_date == DUE_ON
    assert not answered.events.filter(type=Event.DEADLINE_RECOMPUTED).exists()

    # Edit it to 10-30 (after the new due date): both dates are recomputed, back to 10-27.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ADMIN_DAYS}{day.pk}/change/", _admin_form(date(2026, 10, 30)))
    assert response.status_code == 302
    hoja.refresh_from_db()
    assert hoja.due_date == DUE_ON

    # Edit it to 10-21 (inside the period again): 10-28.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ADMIN_DAYS}{day.pk}/change/", _admin_form(date(2026, 10, 21)))
    assert response.status_code == 302
    hoja.refresh_from_db()
    assert hoja.due_date == date(2026, 10, 28)

    # Delete it: back to 10-27.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ADMIN_DAYS}{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not NonWorkingDay.objects.exists()
    hoja.refresh_from_db()
    assert hoja.due_date == DUE_ON

    trail = [
        (e.data["old_due_date"], e.data["new_due_date"], e.data["changed_on"])
        for e in hoja.events.filter(type=Event.DEADLINE_RECOMPUTED).order_by("occurred_at", "pk")
    ]
    assert trail == [
        ("2026-10-27", "2026-10-28", "2026-10-14"),
        ("2026-10-28", "2026-10-27", "2026-10-14"),
        ("2026-10-27", "2026-10-28", "2026-10-21"),
        ("2026-10-28", "2026-10-27", "2026-10-21"),
    ]
    assert answered.due_date == DUE_ON
    assert not answered.events.filter(type=Event.DEADLINE_RECOMPUTED).exists()


def test_admin_add_outside_the_period_changes_nothing(hoja, admin_client, django_capture_on_commit_callbacks):
    for day in (date(2026, 10, 2), date(2026, 10, 29)):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"{ADMIN_DAYS}add/", _admin_form(day))
        assert response.status_code == 302

    hoja.refresh_from_db()
    assert hoja.due_date == DUE_ON
    assert not hoja.events.filter(type=Event.DEADLINE_RECOMPUTED).exists()


def test_new_filings_count_existing_non_working_days(file_complaint) -> None:
    _add_day(date(2026, 10, 14))

    complaint = file_complaint(filed_at=at(FILED_ON, 10, 30))

    assert complaint.due_date == date(2026, 10, 28)
    assert complaint.events.get(type=Event.FILED).data["due_date"] == "2026-10-28"


def test_digest_of_a_deactivated_assignee_goes_to_the_team(hoja, establishment, digest, mailoutbox) -> None:
    gone = staff("gone", Role.AGENT, establishments=[establishment], is_active=False)
    agent = staff("ana", Role.AGENT, establishments=[establishment])
    assign(hoja, gone)

    digest(at(date(2026, 10, 20), 8, 0))

    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert hoja.display_number in mailoutbox[0].body


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
