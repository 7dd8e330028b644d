"""End to end with a real Celery worker process, a real Redis broker and a real SMTP server.

- the copy of a filed hoja reaches the consumer's mailbox through the worker, PDF attached;
- a broker outage at filing time delays the copy (the relay sends it later) but never loses it;
- an SMTP outage is retried with backoff until the mail server is back, and sent once.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from reclamaciones import tasks
from reclamaciones.models import Complaint, ComplaintEvent, OutboundMessage

from .celery_support import PrivateRedis, producer_broker
from .factories import VALID_FILING, EstablishmentFactory
from .mailsink import pdf_attachments

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _file_through_the_web(client, establishment, **overrides) -> Complaint:
    response = client.post(reverse("reclamaciones:file", args=[establishment.slug]), {**VALID_FILING, **overrides})
    assert response.status_code == 302
    return Complaint.objects.get(tracking_token=response["Location"].rstrip("/").split("/")[-2])


def _wait_until_sent(complaint: Complaint, timeout: float = 30) -> OutboundMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = OutboundMessage.objects.get(complaint=complaint)
        if message.status == OutboundMessage.Status.SENT:
            return message
        time.sleep(0.2)
    return message


@pytest.mark.redis
def test_worker_emails_the_copy_with_the_pdf(client, machine_redis_url, start_worker, mail_server):
    establishment = EstablishmentFactory()
    worker = start_worker(machine_redis_url)

    with producer_broker(machine_redis_url):
        complaint = _file_through_the_web(client, establishment)

    messages = mail_server.wait_for(1)
    assert len(messages) == 1, worker.output()
    assert messages[0]["To"] == VALID_FILING["consumer_email"]
    assert complaint.display_number in messages[0]["Subject"]
    [attachment] = pdf_attachments(messages[0])
    assert attachment.startswith(b"%PDF")
    message = _wait_until_sent(complaint)
    assert message.status == OutboundMessage.Status.SENT, worker.output()
    assert message.attempts == 1
    assert complaint.events.filter(type=ComplaintEvent.Type.MESSAGE_SENT).count() == 1


def test_broker_outage_at_filing_delays_the_copy_but_never_loses_it(
    client, settings, tmp_path, start_worker, mail_server
):
    settings.OUTBOX_RELAY_GRACE_SECONDS = 1
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        establishment = EstablishmentFactory()
        worker = start_worker(broker.url)
        broker.stop()  # the broker goes down

        with producer_broker(broker.url):
            complaint = _file_through_the_web(client, establishment)  # the consumer still gets their sheet
            message = OutboundMessage.objects.get(complaint=complaint)
            assert message.status == OutboundMessage.Status.PENDING
            assert mail_server.messages == []

            broker.start()  # back up: the relay (Celery beat, every minute) finds the pending copy
            time.sleep(1.2)
            tasks.outbox_relay.delay()

            messages = mail_server.wait_for(1, timeout=45)
    finally:
        broker.stop()
    assert len(messages) == 1, worker.output()
    assert complaint.display_number in messages[0]["Subject"]
    assert _wait_until_sent(complaint).status == OutboundMessage.Status.SENT


@pytest.mark.redis
def test_smtp_outage_is_retried_until_the_mail_server_is_back(client, machine_redis_url, start_worker, mail_server):
    establishment = EstablishmentFactory()
    worker = start_worker(machine_redis_url)
    mail_server.stop()  # the mail server goes down

    with producer_broker(machine_redis_url):
        complaint = _file_through_the_web(client, establishment)

    deadline = time.monotonic() + 30
    while not OutboundMessage.objects.get(complaint=complaint).last_error and time.monotonic() < deadline:
        time.sleep(0.2)  # the first attempt fails against the closed SMTP port
    failed_once = OutboundMessage.objects.get(complaint=complaint)
    assert failed_once.attempts >= 1, worker.output()
    assert failed_once.status != OutboundMessage.Status.SENT
    assert failed_once.last_error

    mail_server.start()  # back up: the task's own retry (exponential backoff) delivers it
    messages = mail_server.wait_for(1, timeout=45)
    assert len(messages) == 1, worker.output()
    message = _wait_until_sent(complaint)
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts >= 2
    assert len(mail_server.wait_for(2, timeout=3)) == 1  # and only once
