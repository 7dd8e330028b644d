"""Non-working days: recomputing the due dates of open hojas (service and admin)."""

from __future__ import annotations

from datetime import date

import pytest

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Status
from reclamaciones.deadlines.models import NonWorkingDay
from reclamaciones.deadlines.services import deadlines_recompute

from .tracking_support import DUE_ON, FILED_ON, Event, at, set_status, staff

pytestmark = pytest.mark.django_db


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

    moved = deadlines_recompute(changed_on=day, reason="Día no laborable: prueba", scope=Scope.everything())

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


def test_a_moved_due_date_counts_as_a_change_of_the_hoja(hoja) -> None:
    """The API's change feed walks hojas by updated_at: a due date moved by the calendar must show up in it."""
    before = type(hoja).objects.values_list("updated_at", flat=True).get(pk=hoja.pk)
    _add_day(date(2026, 10, 14))

    deadlines_recompute(changed_on=date(2026, 10, 14), reason="x", scope=Scope.everything())

    assert type(hoja).objects.values_list("updated_at", flat=True).get(pk=hoja.pk) > before


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

    assert deadlines_recompute(changed_on=date(2026, 10, 14), reason="x", scope=Scope.everything()) == 0

    hoja.refresh_from_db()
    assert hoja.due_date == DUE_ON
    assert not hoja.events.filter(type=Event.DEADLINE_RECOMPUTED).exists()


def test_recompute_moves_the_sweep_too(hoja, establishment, sweep, mailoutbox) -> None:
    """After 10-14 becomes non-working the hoja is due 10-28: on 10-27 one business day is left."""
    staff("ana", Role.AGENT, establishments=[establishment])
    _add_day(date(2026, 10, 14))
    deadlines_recompute(changed_on=date(2026, 10, 14), reason="x", scope=Scope.everything())

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
