"""Settlement offers (Reglamento art. 6-A): who may offer, the suspension, the consumer's express answer,
expiry by silence and the sweep of a suspended hoja."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, ComplaintEvent, Status
from reclamaciones.deadlines.models import NonWorkingDay
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.handling.models import SettlementOffer, StaffProfile
from reclamaciones.handling.policy import (
    MSG_NOT_OPEN,
    MSG_OFFER_ALREADY_SENT,
    MSG_OFFER_CLOSED,
    MSG_OFFER_NO_EMAIL,
    MSG_ONLY_RECLAMOS,
)
from reclamaciones.handling.settlement import (
    ACCEPTANCE_PHRASE,
    SettlementError,
    settlement_expire_due,
    settlement_offer_accept,
    settlement_offer_reject,
)
from reclamaciones.outbox.models import OutboundMessage

from .settlement_support import DUE, FILED, OFFER_TEXT, _events, _offer, _set_status, _state, lima

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------------------------
# 1. Sending an offer
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("queja", id="queja"),
        pytest.param("", id="unclassified"),
    ],
)
def test_offer_only_for_reclamos(file_complaint, kind):
    complaint = file_complaint(filed_at=FILED, kind=kind)
    before = _state(complaint)

    with pytest.raises(SettlementError) as excinfo:
        _offer(complaint, lima(2026, 10, 5))

    assert str(excinfo.value) == MSG_ONLY_RECLAMOS
    assert _state(complaint) == before
    assert not SettlementOffer.objects.exists()


def test_one_pending_offer_at_a_time(reclamo):
    first = _offer(reclamo, lima(2026, 10, 5))
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        _offer(reclamo, lima(2026, 10, 6), text="Otra propuesta")

    assert str(excinfo.value) == MSG_OFFER_ALREADY_SENT
    assert _state(reclamo) == before
    assert list(SettlementOffer.objects.values_list("pk", "respond_by")) == [(first.pk, date(2026, 10, 13))]


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(Status.ANSWERED, id="answered"),
        pytest.param(Status.CLOSED, id="closed"),
        pytest.param(Status.SETTLED, id="settled"),
    ],
)
def test_no_offer_for_a_hoja_no_longer_open(reclamo, status):
    _set_status(reclamo, status)
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        _offer(reclamo, lima(2026, 10, 5))

    assert str(excinfo.value) == MSG_NOT_OPEN
    assert _state(reclamo) == before


def test_no_offer_for_a_settled_hoja_after_acceptance(reclamo):
    offer = _offer(reclamo, lima(2026, 10, 5))
    settlement_offer_accept(offer_id=offer.pk, now=lima(2026, 10, 6))
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        _offer(reclamo, lima(2026, 10, 7))

    assert str(excinfo.value) == MSG_NOT_OPEN
    assert _state(reclamo) == before


def test_no_offer_without_an_email_to_leave_a_record(file_complaint):
    complaint = file_complaint(filed_at=FILED, consumer_email="")  # address only: answered by letter
    before = _state(complaint)

    with pytest.raises(SettlementError) as excinfo:
        _offer(complaint, lima(2026, 10, 5))

    assert str(excinfo.value) == MSG_OFFER_NO_EMAIL
    assert _state(complaint) == before


@pytest.mark.parametrize(
    ("filed_at", "offered_at", "respond_by"),
    [
        # 07 (1), 08 holiday, 09 (2), 12 (3), 13 (4), 14 (5)
        pytest.param(lima(2026, 10, 1), lima(2026, 10, 6), date(2026, 10, 14), id="tuesday-across-angamos"),
        # 06 (1), 07 (2), 08 holiday, 09 (3), 12 (4), 13 (5)
        pytest.param(lima(2026, 10, 1), lima(2026, 10, 5), date(2026, 10, 13), id="monday-across-angamos"),
        # Saturday offer: 12 (1) .. 16 (5)
        pytest.param(lima(2026, 10, 1), lima(2026, 10, 10, 11), date(2026, 10, 16), id="saturday-offer"),
        # 23:30 in Lima is already 07/10 in UTC: the Lima date (06/10) counts
        pytest.param(lima(2026, 10, 6, 9), lima(2026, 10, 6, 23, 30), date(2026, 10, 14), id="late-evening-lima-date"),
        # Fri 04/12: 07 (1), 08 and 09 holidays, 10 (2), 11 (3), 14 (4), 15 (5)
        pytest.param(lima(2026, 12, 1), lima(2026, 12, 4), date(2026, 12, 15), id="across-8-and-9-december"),
    ],
)
def test_respond_by_is_five_business_days_after_the_offer(file_complaint, filed_at, offered_at, respond_by):
    complaint = file_complaint(filed_at=filed_at)

    offer = _offer(complaint, offered_at)

    assert offer.offered_on == offered_at.date()
    assert offer.respond_by == respond_by


def test_respond_by_skips_a_recorded_non_working_day(reclamo):
    NonWorkingDay.objects.create(date=date(2026, 10, 7), description="Día no laborable", legal_source="DS 000-2026-PCM")

    offer = _offer(reclamo, lima(2026, 10, 6))

    # 07 non-working, 08 holiday: 09 (1), 12 (2), 13 (3), 14 (4), 15 (5)
    assert offer.respond_by == date(2026, 10, 15)


def test_staff_out_of_scope_cannot_send_an_offer(reclamo, django_user_model):
    outsider = django_user_model.objects.create_user("otro", "otro@nandu.example.pe")
    outsider.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
    StaffProfile.objects.create(user=outsider)  # works for no establishment
    before = _state(reclamo)

    with pytest.raises(SettlementError, match="No tienes permiso"):
        _offer(reclamo, lima(2026, 10, 6), actor=outsider)

    assert _state(reclamo) == before


def test_sent_offer_suspends_records_and_emails_the_consumer(
    reclamo, django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    agent = django_user_model.objects.create_user("agente", "agente@nandu.example.pe")
    agent.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
    StaffProfile.objects.create(user=agent).establishments.add(reclamo.establishment)
    offered_at = lima(2026, 10, 6, 16, 45)

    with django_capture_on_commit_callbacks(execute=True):
        offer = _offer(reclamo, offered_at, actor=agent)

    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.PENDING
    assert offer.text == OFFER_TEXT
    assert offer.offered_by == agent
    assert offer.offered_on == date(2026, 10, 6)
    assert offer.respond_by == date(2026, 10, 14)
    assert offer.resolved_at is None

    reclamo.refresh_from_db()
    assert reclamo.status == Status.SETTLEMENT_OFFERED
    assert reclamo.due_date == DUE  # suspended, not moved yet
    assert reclamo.suspended_business_days == 0

    [event] = _events(reclamo, ComplaintEvent.Type.SETTLEMENT_OFFERED)
    assert event.actor == agent
    assert event.occurred_at == offered_at
    assert event.data == {"offer": offer.pk, "respond_by": "2026-10-14"}

    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.SETTLEMENT_OFFER)
    assert message.complaint == reclamo
    assert message.recipient == reclamo.consumer_email
    assert message.status == OutboundMessage.Status.SENT

    [email] = mailoutbox
    assert email.to == [reclamo.consumer_email]
    assert reclamo.display_number in email.subject
    assert OFFER_TEXT in email.body  # plain text: no HTML escaping
    assert ACCEPTANCE_PHRASE in email.body
    assert "14/10/2026" in email.body
    assert "miércoles 14 de octubre" in email.body
    settlement_url = settings.PORTAL_BASE_URL + reverse("reclamaciones:settlement", args=[reclamo.tracking_token])
    assert settlement_url in email.body


def test_offer_to_a_minor_goes_to_the_guardian_email(file_complaint, django_capture_on_commit_callbacks, mailoutbox):
    complaint = file_complaint(
        filed_at=FILED,
        consumer_email="",
        is_minor=True,
        guardian_name="Rosa Ñahui Quispe",
        guardian_email="rosa.nahui@example.pe",
    )

    with django_capture_on_commit_callbacks(execute=True):
        _offer(complaint, lima(2026, 10, 6))

    [email] = mailoutbox
    assert email.to == ["rosa.nahui@example.pe"]


# ----------------------------------------------------------------------------------------------------
# 2. Acceptance
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accepted_at",
    [
        pytest.param(lima(2026, 10, 6, 9), id="offer-day"),
        pytest.param(lima(2026, 10, 9), id="after-the-holiday"),
        pytest.param(lima(2026, 10, 14, 23, 59), id="last-minute-of-respond-by"),
    ],
)
def test_accept_settles_the_hoja(reclamo, accepted_at):
    offer = _offer(reclamo, lima(2026, 10, 6, 8))

    settlement_offer_accept(offer_id=offer.pk, now=accepted_at)

    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.ACCEPTED
    assert offer.resolved_at == accepted_at
    assert offer.suspended_business_days == 0
    reclamo.refresh_from_db()
    assert reclamo.status == Status.SETTLED
    assert reclamo.due_date == DUE
    assert reclamo.suspended_business_days == 0
    [event] = _events(reclamo, ComplaintEvent.Type.SETTLEMENT_ACCEPTED)
    assert event.occurred_at == accepted_at
    assert event.data == {"offer": offer.pk, "phrase": ACCEPTANCE_PHRASE}
    assert ACCEPTANCE_PHRASE == "ACUERDO ACEPTADO PARA SOLUCIONAR EL RECLAMO"


@pytest.mark.parametrize(
    "first",
    [
        pytest.param("accept", id="accepted"),
        pytest.param("reject", id="rejected"),
        pytest.param("expire", id="expired"),
    ],
)
@pytest.mark.parametrize(
    "second",
    [
        pytest.param(settlement_offer_accept, id="then-accept"),
        pytest.param(settlement_offer_reject, id="then-reject"),
    ],
)
def test_an_answered_offer_cannot_be_answered_again(reclamo, first, second):
    offer = _offer(reclamo, lima(2026, 10, 6))
    if first == "accept":
        settlement_offer_accept(offer_id=offer.pk, now=lima(2026, 10, 7))
    elif first == "reject":
        settlement_offer_reject(offer_id=offer.pk, now=lima(2026, 10, 7))
    else:
        assert settlement_expire_due(now=lima(2026, 10, 15), scope=Scope.everything()) == 1
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        second(offer_id=offer.pk, now=lima(2026, 10, 9))

    assert str(excinfo.value) == MSG_OFFER_CLOSED
    assert _state(reclamo) == before


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(settlement_offer_accept, id="accept"),
        pytest.param(settlement_offer_reject, id="reject"),
    ],
)
@pytest.mark.parametrize(
    "answered_at",
    [
        pytest.param(lima(2026, 10, 15, 0, 1), id="first-minute-after-respond-by"),
        pytest.param(lima(2026, 10, 20), id="days-later"),
    ],
)
def test_answer_after_respond_by_is_closed(reclamo, answer, answered_at):
    offer = _offer(reclamo, lima(2026, 10, 6))  # respond_by 14/10
    before = _state(reclamo)

    with pytest.raises(SettlementError) as excinfo:
        answer(offer_id=offer.pk, now=answered_at)

    assert str(excinfo.value) == MSG_OFFER_CLOSED
    assert _state(reclamo) == before  # still pending: the silence is handled by settlement_expire_due


# ----------------------------------------------------------------------------------------------------
# 3. Rejection: the count resumes, moved by exactly the business days it stood still
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rejected_at", "suspended", "new_due"),
    [
        # offer Mon 05/10; due Fri 23/10 + suspended business days
        pytest.param(lima(2026, 10, 5, 18), 0, date(2026, 10, 23), id="offer-day-0"),
        pytest.param(lima(2026, 10, 6), 1, date(2026, 10, 26), id="next-day-1"),
        pytest.param(lima(2026, 10, 7), 2, date(2026, 10, 27), id="two-business-days-later"),
        pytest.param(lima(2026, 10, 8), 2, date(2026, 10, 27), id="on-the-holiday-still-2"),
        pytest.param(lima(2026, 10, 9), 3, date(2026, 10, 28), id="after-the-holiday-3"),
        pytest.param(lima(2026, 10, 11), 3, date(2026, 10, 28), id="sunday-still-3"),
        pytest.param(lima(2026, 10, 13, 23, 59), 5, date(2026, 10, 30), id="respond-by-5"),
    ],
)
def test_reject_moves_the_due_date_by_the_suspended_business_days(reclamo, rejected_at, suspended, new_due):
    offer = _offer(reclamo, lima(2026, 10, 5))
    assert offer.respond_by == date(2026, 10, 13)

    settlement_offer_reject(offer_id=offer.pk, now=rejected_at)

    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.REJECTED
    assert offer.resolved_at == rejected_at
    assert offer.suspended_business_days == suspended
    reclamo.refresh_from_db()
    assert reclamo.status == Status.IN_PROGRESS
    assert reclamo.suspended_business_days == suspended
    assert reclamo.due_date == new_due
    [event] = _events(reclamo, ComplaintEvent.Type.SETTLEMENT_REJECTED)
    assert event.occurred_at == rejected_at
    assert event.data == {
        "offer": offer.pk,
        "suspended_business_days": suspended,
        "old_due_date": "2026-10-23",
        "new_due_date": new_due.isoformat(),
    }


# ----------------------------------------------------------------------------------------------------
# 4. Silence: after respond_by the offer counts as rejected, suspension exactly 5 business days
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "swept_at",
    [
        pytest.param(lima(2026, 10, 15, 0, 5), id="first-run-after-respond-by"),
        pytest.param(lima(2026, 10, 22, 15), id="a-week-late-still-5"),
    ],
)
def test_silence_expires_the_offer_and_resumes_the_count(reclamo, swept_at):
    offer = _offer(reclamo, lima(2026, 10, 6))  # respond_by Wed 14/10

    assert settlement_expire_due(now=swept_at, scope=Scope.everything()) == 1

    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.EXPIRED
    assert offer.resolved_at == swept_at
    assert offer.suspended_business_days == 5  # 07, 09, 12, 13, 14
    reclamo.refresh_from_db()
    assert reclamo.status == Status.IN_PROGRESS
    assert reclamo.suspended_business_days == 5
    assert reclamo.due_date == date(2026, 10, 30)  # 23/10 + 26, 27, 28, 29, 30
    [event] = _events(reclamo, ComplaintEvent.Type.SETTLEMENT_EXPIRED)
    assert event.data == {
        "offer": offer.pk,
        "suspended_business_days": 5,
        "old_due_date": "2026-10-23",
        "new_due_date": "2026-10-30",
    }

    after_first_run = _state(reclamo)
    assert settlement_expire_due(now=swept_at, scope=Scope.everything()) == 0
    assert settlement_expire_due(now=lima(2026, 10, 29), scope=Scope.everything()) == 0
    assert _state(reclamo) == after_first_run


@pytest.mark.parametrize(
    "swept_at",
    [
        pytest.param(lima(2026, 10, 6, 23), id="offer-day"),
        pytest.param(lima(2026, 10, 14, 10), id="respond-by-morning"),
        # 22:00 in Lima is already 15/10 in UTC: the Lima date decides
        pytest.param(lima(2026, 10, 14, 22), id="respond-by-night-lima"),
    ],
)
def test_nothing_expires_before_respond_by_has_passed(reclamo, swept_at):
    _offer(reclamo, lima(2026, 10, 6))
    before = _state(reclamo)

    assert settlement_expire_due(now=swept_at, scope=Scope.everything()) == 0

    assert _state(reclamo) == before
    assert before["status"] == Status.SETTLEMENT_OFFERED


def test_successive_offers_add_up_their_suspensions(reclamo):
    first = _offer(reclamo, lima(2026, 10, 5))
    settlement_offer_reject(offer_id=first.pk, now=lima(2026, 10, 7))  # 06, 07 -> 2
    reclamo.refresh_from_db()
    assert reclamo.due_date == date(2026, 10, 27)

    second = _offer(reclamo, lima(2026, 10, 9))  # Fri; respond_by 12 .. 16 -> Fri 16/10
    assert second.respond_by == date(2026, 10, 16)
    assert settlement_expire_due(now=lima(2026, 10, 17, 0, 5), scope=Scope.everything()) == 1

    second.refresh_from_db()
    assert second.suspended_business_days == 5
    reclamo.refresh_from_db()
    assert reclamo.suspended_business_days == 7
    # 23/10 + 7 business days: 26, 27, 28, 29, 30, 02/11, 03/11
    assert reclamo.due_date == date(2026, 11, 3)
    [event] = _events(reclamo, ComplaintEvent.Type.SETTLEMENT_EXPIRED)
    assert event.data["old_due_date"] == "2026-10-27"
    assert event.data["new_due_date"] == "2026-11-03"
    assert reclamo.status == Status.IN_PROGRESS


def test_offer_sent_after_the_due_date_is_refused(reclamo):
    """Art. 6-A.2.b: the offer *suspends the count* of the 15 days. Once the due date has passed there is no count
    left to suspend: allowing it would push the due date into the future (a late hoja made "on time" again) and
    take the hoja out of the daily escalation to supervisors."""
    with pytest.raises(SettlementError, match="ya venció"):
        _offer(reclamo, lima(2026, 10, 27))  # two business days overdue

    reclamo.refresh_from_db()
    assert reclamo.status == Status.RECEIVED
    assert reclamo.due_date == DUE
    assert not reclamo.settlement_offers.exists()


def test_offer_on_the_due_date_itself_is_allowed(reclamo):
    offer = _offer(reclamo, lima(2026, 10, 23, 18))
    assert offer.status == SettlementOffer.Status.PENDING


# ----------------------------------------------------------------------------------------------------
# 5. The deadline sweep ignores a hoja while its count is suspended
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def agent(establishment):
    user = get_user_model().objects.create_user("agente", "agente@nandu.example.pe")
    user.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
    StaffProfile.objects.create(user=user, all_establishments=True)
    return user


def _reminders(complaint: Complaint) -> list[OutboundMessage]:
    return list(complaint.messages.filter(kind=OutboundMessage.Kind.REMINDER))


def test_sweep_skips_a_suspended_hoja_and_tracks_it_again_with_the_moved_due_date(
    reclamo, file_complaint, agent, django_capture_on_commit_callbacks, mailoutbox
):
    control = file_complaint(filed_at=FILED)  # same due date, no offer
    offer = _offer(reclamo, lima(2026, 10, 19))  # Mon; respond_by 20, 21, 22, 23, 26
    assert offer.respond_by == date(2026, 10, 26)

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=lima(2026, 10, 20, 9), scope=Scope.everything())  # 3 business days left to 23/10

    assert _reminders(reclamo) == []
    [control_reminder] = _reminders(control)
    assert control_reminder.context["days_left"] == 3
    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert control.display_number in mailoutbox[0].subject + mailoutbox[0].body
    mailoutbox.clear()

    settlement_offer_reject(offer_id=offer.pk, now=lima(2026, 10, 21))  # 20, 21 -> due 27/10
    reclamo.refresh_from_db()
    assert reclamo.due_date == date(2026, 10, 27)

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=lima(2026, 10, 21, 11), scope=Scope.everything())

    [reminder] = _reminders(reclamo)
    assert reminder.recipient == agent.email
    assert reminder.context["days_left"] == 4  # 22, 23, 26, 27
    assert reminder.status == OutboundMessage.Status.SENT
    [email] = [m for m in mailoutbox if reclamo.display_number in m.body]
    assert email.to == [agent.email]
    assert "27/10/2026" in email.body
    assert _events(reclamo, ComplaintEvent.Type.REMINDED)
