"""Settlement offers (Reglamento art. 6-A.2.b) and the one-time extension of pre-2022 hojas (DS 006-2014 art. 6).

Every service call gets an explicit `now` (America/Lima); hojas are filed with an explicit `filed_at`. Only the
consumer page tests use the real clock, because the view does.

Every expected date was counted by hand on a calendar, with the national holidays the `holidays` package
(country "PE") reports. Business days are Monday-Friday minus those holidays; a period excludes its first day.

October 2026 (holiday: Thu 08 Combate de Angamos):

    Mo Tu We Th Fr Sa Su
              1  2  3  4
     5  6  7 [8] 9 10 11
    12 13 14 15 16 17 18
    19 20 21 22 23 24 25
    26 27 28 29 30 31 [1 Nov, Sunday]
     2  3 (November)

A reclamo filed Thu 2026-10-01 is due on business day 15: 02, 05, 06, 07, 09, 12, 13, 14, 15, 16, 19, 20, 21, 22,
23 -> Fri 2026-10-23.

March-April 2021 (holidays: Thu 01-04 Jueves Santo, Fri 02-04 Viernes Santo): a hoja filed Mon 2021-03-01 under
DS 006-2014 is due 30 calendar days later, Wed 2021-03-31 (a business day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint, ComplaintEvent, Status
from reclamaciones.deadlines.models import NonWorkingDay
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.handling.models import SettlementOffer, StaffProfile
from reclamaciones.handling.settlement import (
    ACCEPTANCE_PHRASE,
    MSG_ALREADY_EXTENDED,
    MSG_EXTENSION_DAYS,
    MSG_IMPRORROGABLE,
    MSG_NO_EMAIL,
    MSG_NOT_OPEN,
    MSG_OFFER_CLOSED,
    MSG_OFFER_PENDING,
    MSG_ONLY_RECLAMOS,
    MSG_TOO_LATE_TO_EXTEND,
    SettlementError,
    complaint_extend_deadline,
    settlement_expire_due,
    settlement_offer_accept,
    settlement_offer_reject,
    settlement_offer_send,
)
from reclamaciones.outbox.models import OutboundMessage

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
OFFER_TEXT = "Te cambiamos la laptop por una nueva <Toshiba>.\nLa recoges en tienda desde el lunes."
MSG_CHOOSE = "Elige si aceptas o rechazas la propuesta."


def lima(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LIMA)


FILED = lima(2026, 10, 1)  # Thu
DUE = date(2026, 10, 23)  # business day 15 (08/10 is a holiday)


# ----------------------------------------------------------------------------------------------------
# helpers and fixtures
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def reclamo(file_complaint) -> Complaint:
    complaint = file_complaint(filed_at=FILED)
    assert complaint.regime == "ley-31435"
    assert complaint.due_date == DUE
    return complaint


def _offer(complaint: Complaint, at: datetime, **kwargs) -> SettlementOffer:
    return settlement_offer_send(complaint_id=complaint.pk, text=kwargs.pop("text", OFFER_TEXT), now=at, **kwargs)


def _state(complaint: Complaint) -> dict:
    """Everything an action may change on a hoja: refused actions must leave all of it as it was."""
    complaint.refresh_from_db()
    return {
        "status": complaint.status,
        "due_date": complaint.due_date,
        "suspended": complaint.suspended_business_days,
        "extension_days": complaint.extension_days,
        "offers": sorted(
            complaint.settlement_offers.values_list("pk", "status", "resolved_at", "suspended_business_days")
        ),
        "events": sorted(complaint.events.values_list("pk", flat=True)),
        "messages": sorted(complaint.messages.values_list("pk", flat=True)),
    }


def _set_status(complaint: Complaint, status: str) -> None:
    # No answering service exists yet; status is staff-side state, not filed content.
    Complaint.objects.filter(pk=complaint.pk).update(status=status)


def _events(complaint: Complaint, type_: str) -> list[ComplaintEvent]:
    return list(complaint.events.filter(type=type_))


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

    assert str(excinfo.value) == MSG_OFFER_PENDING
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

    assert str(excinfo.value) == MSG_NO_EMAIL
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
        assert settlement_expire_due(now=lima(2026, 10, 15)) == 1
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

    assert settlement_expire_due(now=swept_at) == 1

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
    assert settlement_expire_due(now=swept_at) == 0
    assert settlement_expire_due(now=lima(2026, 10, 29)) == 0
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

    assert settlement_expire_due(now=swept_at) == 0

    assert _state(reclamo) == before
    assert before["status"] == Status.SETTLEMENT_OFFERED


def test_successive_offers_add_up_their_suspensions(reclamo):
    first = _offer(reclamo, lima(2026, 10, 5))
    settlement_offer_reject(offer_id=first.pk, now=lima(2026, 10, 7))  # 06, 07 -> 2
    reclamo.refresh_from_db()
    assert reclamo.due_date == date(2026, 10, 27)

    second = _offer(reclamo, lima(2026, 10, 9))  # Fri; respond_by 12 .. 16 -> Fri 16/10
    assert second.respond_by == date(2026, 10, 16)
    assert settlement_expire_due(now=lima(2026, 10, 17, 0, 5)) == 1

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
        deadlines_sweep(now=lima(2026, 10, 20, 9))  # 3 business days left to 23/10

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
        deadlines_sweep(now=lima(2026, 10, 21, 11))

    [reminder] = _reminders(reclamo)
    assert reminder.recipient == agent.email
    assert reminder.context["days_left"] == 4  # 22, 23, 26, 27
    assert reminder.status == OutboundMessage.Status.SENT
    [email] = [m for m in mailoutbox if reclamo.display_number in m.body]
    assert email.to == [agent.email]
    assert "27/10/2026" in email.body
    assert _events(reclamo, ComplaintEvent.Type.REMINDED)


# ----------------------------------------------------------------------------------------------------
# 6. The consumer's page (real clock: the view decides with timezone.now())
# ----------------------------------------------------------------------------------------------------


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict] = []
        self.inputs: list[dict] = []
        self.links: list[dict] = []
        self._button: dict | None = None
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button":
            self._button = {**attrs, "text": ""}
        elif tag == "a":
            self._link = {**attrs, "text": ""}
        elif tag == "input":
            self.inputs.append(attrs)

    def handle_data(self, data):
        for element in (self._button, self._link):
            if element is not None:
                element["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self._button["text"] = " ".join(self._button["text"].split())
            self.buttons.append(self._button)
            self._button = None
        elif tag == "a" and self._link is not None:
            self._link["text"] = " ".join(self._link["text"].split())
            self.links.append(self._link)
            self._link = None


def _parse(response) -> _PageParser:
    parser = _PageParser()
    parser.feed(response.content.decode())
    return parser


def _answer_buttons(response) -> dict[str, str]:
    return {b["value"]: b["text"] for b in _parse(response).buttons if b.get("name") == "respuesta"}


@pytest.fixture
def live_offer(file_complaint):
    now = timezone.now()
    complaint = file_complaint(filed_at=now)
    return complaint, _offer(complaint, now)


def _url(complaint: Complaint) -> str:
    return reverse("reclamaciones:settlement", args=[complaint.tracking_token])


def _assert_private(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_page_shows_the_offer_both_buttons_and_the_respond_by_date(client, live_offer):
    complaint, offer = live_offer

    response = client.get(_url(complaint))

    assert response.status_code == 200
    _assert_private(response)
    html = response.content.decode()
    assert "Te cambiamos la laptop por una nueva &lt;Toshiba&gt;.<br>La recoges en tienda desde el lunes." in html
    assert "<Toshiba>" not in html
    assert offer.respond_by.strftime("%d/%m/%Y") in html
    assert complaint.display_number in html
    assert _answer_buttons(response) == {"aceptar": ACCEPTANCE_PHRASE, "rechazar": "No acepto la propuesta"}


def test_post_accept_redirects_and_the_page_confirms_the_settlement(client, live_offer):
    complaint, offer = live_offer
    url = _url(complaint)

    response = client.post(url, {"respuesta": "aceptar"})

    assert response.status_code == 302
    assert response["Location"] == url
    complaint.refresh_from_db()
    assert complaint.status == Status.SETTLED
    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.ACCEPTED
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Aceptaste la propuesta: «{ACCEPTANCE_PHRASE}»." in html
    assert "solucionado por acuerdo" in html
    assert _answer_buttons(page) == {}


def test_post_reject_shows_the_due_date_after_resumption(client, live_offer):
    complaint, offer = live_offer
    url = _url(complaint)

    response = client.post(url, {"respuesta": "rechazar"})

    assert response.status_code == 302
    assert response["Location"] == url
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    offer.refresh_from_db()
    assert offer.status == SettlementOffer.Status.REJECTED
    page = client.get(url)
    html = page.content.decode()
    assert "Rechazaste la propuesta." in html
    assert f"a más tardar el <strong>{complaint.due_date:%d/%m/%Y}</strong>" in html
    assert _answer_buttons(page) == {}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="missing"),
        pytest.param({"respuesta": ""}, id="empty"),
        pytest.param({"respuesta": "ACEPTAR"}, id="wrong-case"),
        pytest.param({"respuesta": ACCEPTANCE_PHRASE}, id="button-text-instead-of-value"),
        pytest.param({"respuesta": "si"}, id="unknown"),
    ],
)
def test_post_without_a_valid_answer_is_400_and_changes_nothing(client, live_offer, data):
    complaint, _ = live_offer
    before = _state(complaint)

    response = client.post(_url(complaint), data)

    assert response.status_code == 400
    _assert_private(response)
    assert MSG_CHOOSE in response.content.decode()
    assert _state(complaint) == before
    assert set(_answer_buttons(response)) == {"aceptar", "rechazar"}  # the consumer can still answer


@pytest.mark.parametrize("answer", [pytest.param("aceptar", id="accept"), pytest.param("rechazar", id="reject")])
@pytest.mark.parametrize(
    "first",
    [
        pytest.param(settlement_offer_accept, id="after-acceptance"),
        pytest.param(settlement_offer_reject, id="after-rejection"),
    ],
)
def test_post_after_the_offer_was_answered_is_409(client, live_offer, first, answer):
    complaint, offer = live_offer
    first(offer_id=offer.pk, now=timezone.now())
    before = _state(complaint)

    response = client.post(_url(complaint), {"respuesta": answer})

    assert response.status_code == 409
    _assert_private(response)
    assert MSG_OFFER_CLOSED in response.content.decode()
    assert _state(complaint) == before
    assert _answer_buttons(response) == {}


def test_offer_past_respond_by_shows_no_buttons_and_refuses_answers(client, file_complaint):
    now = timezone.now()
    complaint = file_complaint(filed_at=now - timedelta(days=30))
    offer = _offer(complaint, now - timedelta(days=20))  # respond_by is well in the past
    assert offer.respond_by < timezone.localdate(now)

    page = client.get(_url(complaint))
    assert page.status_code == 200
    assert "El plazo para aceptar esta propuesta venció" in page.content.decode()
    assert _answer_buttons(page) == {}

    before = _state(complaint)
    response = client.post(_url(complaint), {"respuesta": "aceptar"})
    assert response.status_code == 409
    assert MSG_OFFER_CLOSED in response.content.decode()
    assert _state(complaint) == before


def test_no_offer_is_404(client, file_complaint):
    complaint = file_complaint()

    assert client.get(_url(complaint)).status_code == 404
    assert client.post(_url(complaint), {"respuesta": "aceptar"}).status_code == 404


def test_unknown_token_is_404(client, live_offer):
    url = reverse("reclamaciones:settlement", args=["no-existe-este-token"])

    assert client.get(url).status_code == 404
    assert client.post(url, {"respuesta": "aceptar"}).status_code == 404


def test_tracking_page_links_to_the_pending_offer(client, live_offer):
    complaint, _ = live_offer
    track = reverse("reclamaciones:track", args=[complaint.tracking_token])

    response = client.get(track)

    assert response.status_code == 200
    assert "Con propuesta de solución" in response.content.decode()
    links = [link for link in _parse(response).links if link["text"] == "Ver la propuesta"]
    assert [link["href"] for link in links] == [_url(complaint)]

    client.post(_url(complaint), {"respuesta": "aceptar"})
    response = client.get(track)
    html = response.content.decode()
    assert "Ver la propuesta" not in html
    assert "Cerrada por acuerdo" in html


def test_csrf_token_is_in_the_form_and_required(live_offer):
    complaint, _ = live_offer
    csrf_client = Client(enforce_csrf_checks=True)
    url = _url(complaint)

    page = csrf_client.get(url)
    [token_input] = [i for i in _parse(page).inputs if i.get("name") == "csrfmiddlewaretoken"]
    assert token_input["value"]
    cookie = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value

    before = _state(complaint)
    refused = csrf_client.post(url, {"respuesta": "aceptar"})
    assert refused.status_code == 403
    assert _state(complaint) == before

    response = csrf_client.post(url, {"respuesta": "aceptar", "csrfmiddlewaretoken": cookie})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.SETTLED


def test_csrf_token_from_the_form_is_accepted(live_offer):
    complaint, _ = live_offer
    csrf_client = Client(enforce_csrf_checks=True)
    url = _url(complaint)
    [token_input] = [i for i in _parse(csrf_client.get(url)).inputs if i.get("name") == "csrfmiddlewaretoken"]

    response = csrf_client.post(url, {"respuesta": "rechazar", "csrfmiddlewaretoken": token_input["value"]})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


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


def _extend(complaint: Complaint, days: int, at: datetime, **kwargs) -> Complaint:
    return complaint_extend_deadline(complaint_id=complaint.pk, days=days, reason=REASON, now=at, **kwargs)


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
    ds_hoja, days, new_due, days_text, django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    staff = django_user_model.objects.create_user("supervisora", "sup@nandu.example.pe")
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
