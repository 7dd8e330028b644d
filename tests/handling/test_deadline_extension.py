"""The one-time extension of a DS 006-2014 hoja's deadline (refused under Ley 31435)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, ComplaintEvent, Status
from reclamaciones.handling.policy import MSG_ALREADY_EXTENDED, MSG_IMPRORROGABLE, MSG_TOO_LATE_TO_EXTEND
from reclamaciones.handling.settlement import MSG_EXTENSION_DAYS, SettlementError, complaint_extend_deadline
from reclamaciones.outbox.models import OutboundMessage

from ..factories import staff_user
from .settlement_support import _events, _state, lima

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 7. Extension of pre-2022 hojas (DS 006-2014-PCM art. 6): once, up to 30 calendar days, before the due date
# ----------------------------------------------------------------------------------------------------

DS_FILED = lima(2021, 3, 1)  # Mon
DS_DUE = date(2021, 3, 31)  # 01/03 + 30 calendar days, a Wednesday
REASON = "Se requiere un informe técnico del fabricante."


@pytest.fixture
def ds_hoja(file_complaint) -> Complaint:
    complaint = file_complaint(filed_at=DS_FILED)
    assert complaint.regime == "ds-006-2014"
    assert complaint.due_date == DS_DUE
    return complaint


def _extend(complaint: Complaint, days: int, at: datetime, *, actor=None) -> Complaint:
    scope = Scope.everything() if actor is None else Scope.of(actor)
    return complaint_extend_deadline(complaint_id=complaint.pk, days=days, reason=REASON, now=at, scope=scope)


def test_extension_refused_for_a_ley_31435_hoja(reclamo):
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        _extend(reclamo, 10, lima(2026, 10, 5))

    assert str(excinfo.value) == MSG_IMPRORROGABLE
    assert _state(reclamo) == before


@pytest.mark.parametrize(
    ("days", "new_due", "days_text"),
    [
        # 01/03 + 60 = Fri 30/04/2021
        pytest.param(30, date(2021, 4, 30), "30 días calendario", id="30-days-friday"),
        # 01/03 + 31 = Thu 01/04 Jueves Santo -> 02/04 Viernes Santo -> weekend -> Mon 05/04
        pytest.param(1, date(2021, 4, 5), "1 día calendario", id="1-day-holy-week"),
        # 01/03 + 34 = Sun 04/04 -> Mon 05/04
        pytest.param(4, date(2021, 4, 5), "4 días calendario", id="4-days-sunday"),
    ],
)
def test_extension_of_a_ds_006_2014_hoja(
    ds_hoja, days, new_due, days_text, django_capture_on_commit_callbacks, mailoutbox
):
    staff = staff_user(
        "supervisora", Role.SUPERVISOR, establishments=[ds_hoja.establishment], email="sup@nandu.example.pe"
    )
    at = lima(2021, 3, 20, 12)

    with django_capture_on_commit_callbacks(execute=True):
        _extend(ds_hoja, days, at, actor=staff)

    ds_hoja.refresh_from_db()
    assert ds_hoja.extension_days == days
    assert ds_hoja.due_date == new_due
    assert ds_hoja.status == Status.RECEIVED
    [event] = _events(ds_hoja, ComplaintEvent.Type.DEADLINE_EXTENDED)
    assert event.actor == staff
    assert event.occurred_at == at
    assert event.data == {
        "days": days,
        "reason": REASON,
        "old_due_date": "2021-03-31",
        "new_due_date": new_due.isoformat(),
        "notice": "email",
    }
    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.EXTENSION_NOTICE)
    assert message.recipient == ds_hoja.consumer_email
    assert message.status == OutboundMessage.Status.SENT

    [email] = mailoutbox
    assert email.to == [ds_hoja.consumer_email]
    assert ds_hoja.display_number in email.subject
    assert ds_hoja.display_number.endswith("-2021")
    assert days_text in email.body
    assert new_due.strftime("%d/%m/%Y") in email.body
    assert REASON in email.body


def test_second_extension_is_refused(ds_hoja):
    _extend(ds_hoja, 15, lima(2021, 3, 10))
    before = _state(ds_hoja)

    with pytest.raises(SettlementError) as excinfo:
        _extend(ds_hoja, 10, lima(2021, 3, 20))

    assert str(excinfo.value) == MSG_ALREADY_EXTENDED
    assert _state(ds_hoja) == before
    assert before["extension_days"] == 15


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(lima(2021, 3, 31, 18), id="on-the-due-date"),
        # 23:30 in Lima is already 01/04 in UTC: still the due date in Lima
        pytest.param(lima(2021, 3, 31, 23, 30), id="due-date-night-lima"),
    ],
)
def test_extension_allowed_up_to_the_last_day_of_the_first_period(ds_hoja, at):
    _extend(ds_hoja, 30, at)

    ds_hoja.refresh_from_db()
    assert ds_hoja.extension_days == 30
    assert ds_hoja.due_date == date(2021, 4, 30)


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(lima(2021, 4, 1, 0, 1), id="first-minute-after"),
        pytest.param(lima(2021, 5, 3), id="weeks-later"),
    ],
)
def test_extension_refused_once_the_first_due_date_has_passed(ds_hoja, at):
    before = _state(ds_hoja)

    with pytest.raises(SettlementError) as excinfo:
        _extend(ds_hoja, 30, at)

    assert str(excinfo.value) == MSG_TOO_LATE_TO_EXTEND
    assert _state(ds_hoja) == before


@pytest.mark.parametrize(
    "days",
    [
        pytest.param(0, id="zero"),
        pytest.param(31, id="thirty-one"),
        pytest.param(-5, id="negative"),
    ],
)
def test_extension_days_out_of_range(ds_hoja, days):
    before = _state(ds_hoja)

    with pytest.raises(SettlementError) as excinfo:
        _extend(ds_hoja, days, lima(2021, 3, 10))

    assert str(excinfo.value) == MSG_EXTENSION_DAYS
    assert MSG_EXTENSION_DAYS == "La ampliación es de 1 a 30 días calendario."
    assert _state(ds_hoja) == before
