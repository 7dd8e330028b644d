"""What a filing writes: its events, one pending copy per distinct e-mail, all or nothing, and the
guardian's fields only for a minor."""

from __future__ import annotations

import pytest
from django.db import transaction

from reclamaciones.book.models import (
    Channel,
    Complaint,
    ComplaintEvent,
    ResponseChannel,
)
from reclamaciones.outbox.models import OutboundMessage

from ..factories import VALID_FILING
from .records_support import _reload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("overrides", "copies_to"),
    [
        pytest.param({}, [VALID_FILING["consumer_email"]], id="with-email"),
        pytest.param({"consumer_email": ""}, [], id="without-email"),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"], "rosa@example.pe"],
            id="minor-with-guardian-email",
        ),
    ],
)
def test_filing_records_the_filed_event_and_one_copy_queued_event_per_copy(file_complaint, overrides, copies_to):
    complaint = file_complaint(**overrides)

    filed = complaint.events.get(type=ComplaintEvent.Type.FILED)
    assert filed.occurred_at == complaint.filed_at
    assert filed.actor is None
    assert filed.data["number"] == complaint.display_number
    assert filed.data["due_date"] == complaint.due_date.isoformat()
    assert filed.data["regime"] == complaint.regime
    assert filed.data["sha256"] == complaint.content_sha256
    assert filed.data["channel"] == Channel.WEB

    queued = complaint.events.filter(type=ComplaintEvent.Type.MESSAGE_QUEUED)
    assert sorted(e.data["recipient"] for e in queued) == sorted(copies_to)
    messages = {m.pk: m for m in complaint.messages.all()}
    assert sorted(e.data["message"] for e in queued) == sorted(messages)
    assert complaint.events.count() == 1 + len(copies_to)


def test_filing_with_an_email_writes_one_pending_copy(file_complaint, mailoutbox):
    complaint = file_complaint()

    [message] = OutboundMessage.objects.all()
    assert message.complaint == complaint
    assert message.kind == OutboundMessage.Kind.SHEET_COPY
    assert message.status == OutboundMessage.Status.PENDING
    assert message.recipient == complaint.consumer_email == VALID_FILING["consumer_email"]
    assert message.idempotency_key == f"sheet_copy:{complaint.pk}:{VALID_FILING['consumer_email']}"
    assert message.attempts == 0
    assert message.sent_at is None
    assert complaint.response_channel == ResponseChannel.EMAIL
    assert mailoutbox == []  # the copy leaves only after commit (never, inside this test transaction)


def test_the_copy_is_sent_when_the_filing_commits(file_complaint, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint()

    [email] = mailoutbox
    assert email.to == [complaint.consumer_email]
    message = complaint.messages.get()
    assert message.status == OutboundMessage.Status.SENT
    assert message.sent_at is not None


class _Boom(Exception):
    pass


def _file_inside_a_transaction_that_fails(file_complaint) -> None:
    with transaction.atomic():
        file_complaint()
        assert OutboundMessage.objects.count() == 1
        assert ComplaintEvent.objects.count() == 2
        raise _Boom


def test_a_rolled_back_filing_leaves_no_hoja_no_message_and_no_event(
    file_complaint, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(_Boom):
        _file_inside_a_transaction_that_fails(file_complaint)

    assert not Complaint.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not ComplaintEvent.objects.exists()
    assert callbacks == []
    assert mailoutbox == []
    assert file_complaint().number == 1  # the rolled-back filing consumed no number


@pytest.mark.parametrize(
    ("overrides", "recipients", "response_channel"),
    [
        pytest.param({}, [VALID_FILING["consumer_email"]], ResponseChannel.EMAIL, id="adult-with-email"),
        pytest.param({"consumer_email": ""}, [], ResponseChannel.LETTER, id="no-email-letter"),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"], "rosa@example.pe"],
            ResponseChannel.EMAIL,
            id="minor-two-copies",
        ),
        pytest.param(
            {"is_minor": True, "guardian_name": "Rosa Ñahui", "guardian_email": "MARIA.NUNEZ@example.pe"},
            [VALID_FILING["consumer_email"]],
            ResponseChannel.EMAIL,
            id="minor-same-email-one-copy",
        ),
        pytest.param(
            {"is_minor": True, "consumer_email": "", "guardian_email": "rosa@example.pe"},
            ["rosa@example.pe"],
            ResponseChannel.EMAIL,
            id="minor-guardian-email-only",
        ),
        pytest.param(
            {"is_minor": False, "guardian_name": "Rosa Ñahui", "guardian_email": "rosa@example.pe"},
            [VALID_FILING["consumer_email"]],
            ResponseChannel.EMAIL,
            id="adult-guardian-email-ignored",
        ),
        pytest.param(
            {"consumer_email": "Maria.Nunez@Example.PE"},
            ["Maria.Nunez@Example.PE"],
            ResponseChannel.EMAIL,
            id="mixed-case-email",
        ),
    ],
)
def test_filing_queues_one_copy_per_distinct_email(file_complaint, overrides, recipients, response_channel):
    complaint = file_complaint(**overrides)

    messages = list(OutboundMessage.objects.order_by("pk"))
    assert [m.recipient for m in messages] == recipients
    assert {m.idempotency_key for m in messages} == {f"sheet_copy:{complaint.pk}:{r.lower()}" for r in recipients}
    assert all(m.complaint_id == complaint.pk for m in messages)
    assert all(m.status == OutboundMessage.Status.PENDING for m in messages)
    assert complaint.response_channel == response_channel
    assert _reload(complaint).response_channel == response_channel


def test_guardian_fields_are_dropped_for_an_adult(file_complaint):
    complaint = _reload(
        file_complaint(
            is_minor=False,
            guardian_name="Rosa Ñahui",
            guardian_address="Jr. Huallaga 200, Lima",
            guardian_phone="999 888 777",
            guardian_email="rosa@example.pe",
        )
    )

    assert complaint.is_minor is False
    assert (
        complaint.guardian_name,
        complaint.guardian_address,
        complaint.guardian_phone,
        complaint.guardian_email,
    ) == ("", "", "", "")
    assert complaint.contact_email == complaint.consumer_email


def test_guardian_fields_are_kept_for_a_minor(file_complaint):
    complaint = _reload(
        file_complaint(
            is_minor=True,
            guardian_name="Rosa Ñahui",
            guardian_address="Jr. Huallaga 200, Lima",
            guardian_phone="999 888 777",
            guardian_email="rosa@example.pe",
        )
    )

    assert complaint.is_minor is True
    assert (
        complaint.guardian_name,
        complaint.guardian_address,
        complaint.guardian_phone,
        complaint.guardian_email,
    ) == ("Rosa Ñahui", "Jr. Huallaga 200, Lima", "999 888 777", "rosa@example.pe")
