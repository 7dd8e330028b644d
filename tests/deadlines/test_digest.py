"""The daily digest of open hojas for each staff member."""

from __future__ import annotations

from datetime import date

import pytest

from reclamaciones.access import Role
from reclamaciones.book.models import Status

from ..factories import EstablishmentFactory
from .tracking_support import DUE_ON, FILED_ON, Kind, assign, at, set_status, staff, staff_messages

pytestmark = pytest.mark.django_db


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


def test_digest_of_a_deactivated_assignee_goes_to_the_team(hoja, establishment, digest, mailoutbox) -> None:
    gone = staff("gone", Role.AGENT, establishments=[establishment], is_active=False)
    agent = staff("ana", Role.AGENT, establishments=[establishment])
    assign(hoja, gone)

    digest(at(date(2026, 10, 20), 8, 0))

    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert hoja.display_number in mailoutbox[0].body
