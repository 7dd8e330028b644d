"""The outbox (architecture rule 4): nothing the law requires us to send is lost or sent twice.

Delivery goes to a real SMTP server on localhost (aiosmtpd); an outage is a closed port."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reclamaciones.book.models import ComplaintEvent
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.services import OutboxDeliveryError, outbox_relay, outbox_retry, outbox_send

from ..celery_support import producer_broker
from ..mailsink import SmtpSink, pdf_attachments

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(smtp_settings):
    server = SmtpSink(smtp_settings.EMAIL_PORT).start()
    yield server
    server.stop()


def _copy(complaint) -> OutboundMessage:
    return OutboundMessage.objects.get(complaint=complaint, kind=OutboundMessage.Kind.SHEET_COPY)


def _due(message: OutboundMessage):
    """The moment the message's next attempt is due (the clock of a simulated outage)."""
    message.refresh_from_db()
    return max(message.next_attempt_at, timezone.now())


def test_copy_is_sent_after_commit_with_the_pdf(file_complaint, sink, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complaint = file_complaint()
    assert sink.messages == []  # nothing leaves before the filing commits
    assert _copy(complaint).status == OutboundMessage.Status.PENDING

    for callback in callbacks:
        callback()

    [received] = sink.wait_for(1)
    assert received["To"] == complaint.consumer_email
    assert complaint.display_number in received["Subject"]
    [attachment] = pdf_attachments(received)
    assert attachment.startswith(b"%PDF")
    message = _copy(complaint)
    assert message.status == OutboundMessage.Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert received["Message-ID"] == message.message_id
    sent_event = complaint.events.get(type=ComplaintEvent.Type.MESSAGE_SENT)
    assert sent_event.data["recipient"] == complaint.consumer_email


def test_sending_twice_sends_once(file_complaint, sink):
    message = _copy(file_complaint())

    assert outbox_send(message_id=message.pk) is True
    assert outbox_send(message_id=message.pk) is False
    outbox_relay(now=timezone.now() + timedelta(days=1))

    assert len(sink.wait_for(2, timeout=1)) == 1
    assert OutboundMessage.objects.get(pk=message.pk).attempts == 1


def test_smtp_outage_delays_the_copy_but_never_loses_it(file_complaint, smtp_settings):
    complaint = file_complaint()
    message = _copy(complaint)

    with pytest.raises(OutboxDeliveryError):
        outbox_send(message_id=message.pk)  # nothing listens on the SMTP port

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert message.next_attempt_at > timezone.now()
    assert outbox_relay() == 0  # not due yet: the backoff is respected

    sink = SmtpSink(smtp_settings.EMAIL_PORT).start()
    try:
        assert outbox_relay(now=message.next_attempt_at + timedelta(seconds=1)) == 1
        [received] = sink.wait_for(1)
    finally:
        sink.stop()
    assert complaint.display_number in received["Subject"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboundMessage.Status.SENT, 2, "")


def test_a_message_stuck_in_a_dead_worker_is_taken_over_after_its_lease(file_complaint, sink):
    message = _copy(file_complaint())
    held = OutboundMessage.objects.filter(pk=message.pk)
    held.update(status=OutboundMessage.Status.SENDING, lease_until=timezone.now() + timedelta(minutes=5))

    assert outbox_send(message_id=message.pk) is False  # another worker holds it
    assert outbox_relay() == 0

    held.update(lease_until=timezone.now() - timedelta(seconds=1))  # that worker died mid-send
    assert outbox_relay() == 1

    assert len(sink.wait_for(1)) == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.SENT


def test_after_max_attempts_the_message_is_failed_visible_and_can_be_retried(
    file_complaint, smtp_settings, django_capture_on_commit_callbacks
):
    smtp_settings.OUTBOX_MAX_ATTEMPTS = 2
    complaint = file_complaint()
    message = _copy(complaint)
    for _ in range(2):
        with pytest.raises(OutboxDeliveryError):
            outbox_send(message_id=message.pk, now=_due(message))

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert complaint.events.filter(type=ComplaintEvent.Type.MESSAGE_FAILED).count() == 1
    assert outbox_relay(now=timezone.now() + timedelta(days=1)) == 0  # given up: staff decide

    sink = SmtpSink(smtp_settings.EMAIL_PORT).start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_retry(message_id=message.pk) is True
        assert len(sink.wait_for(1)) == 1
    finally:
        sink.stop()
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.SENT


def test_relay_leaves_alone_what_waits_in_the_queue(file_complaint, smtp_settings):
    message = _copy(file_complaint())  # dispatched on commit (the test's transaction never commits)
    later = timezone.now() + timedelta(seconds=smtp_settings.OUTBOX_RELAY_GRACE_SECONDS - 5)

    with producer_broker("memory://"):  # a broker that holds the tasks: no worker runs them
        assert outbox_relay(now=later) == 0  # still waiting in the queue: not dispatched twice
        assert outbox_relay(now=later + timedelta(seconds=10)) == 1  # the dispatch was lost: taken over
        assert outbox_relay(now=later + timedelta(seconds=20)) == 0  # and held again for the grace period

    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.attempts == 0
