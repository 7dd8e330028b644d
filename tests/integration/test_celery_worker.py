"""End to end with a real Celery worker process, a real Redis broker and a real SMTP server.

- the copy of a filed hoja reaches the consumer's mailbox through the worker, PDF attached;
- a broker outage at filing time delays the copy (the relay sends it later) but never loses it;
- an SMTP outage of 30 (simulated) minutes is retried on the outbox's backoff alone until the mail server is
  back, and every copy is sent once, without a person.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.outbox import tasks
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.selectors import outbox_due_ids
from reclamaciones.outbox.services import outbox_relay

from ..celery_support import PrivateRedis, producer_broker, wait_until
from ..factories import VALID_FILING, EstablishmentFactory
from ..mailsink import pdf_attachments

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _file_through_the_web(client, establishment, **overrides) -> Complaint:
    response = client.post(reverse("reclamaciones:file", args=[establishment.slug]), {**VALID_FILING, **overrides})
    assert response.status_code == 302
    return Complaint.objects.get(tracking_token=response["Location"].rstrip("/").split("/")[-2])


def _wait_until_sent(complaint: Complaint, timeout: float = 30) -> OutboundMessage:
    def sent():
        return OutboundMessage.objects.filter(complaint=complaint, status=OutboundMessage.Status.SENT).first()

    return wait_until(sent, timeout=timeout, interval=0.2) or OutboundMessage.objects.get(complaint=complaint)


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
            # the relay takes over the copy once its dispatch grace has passed
            assert wait_until(lambda: outbox_due_ids(now=timezone.now(), limit=10) == [message.pk])
            tasks.outbox_relay.delay()

            messages = mail_server.wait_for(1, timeout=45)
    finally:
        broker.stop()
    assert len(messages) == 1, worker.output()
    assert complaint.display_number in messages[0]["Subject"]
    assert _wait_until_sent(complaint).status == OutboundMessage.Status.SENT


def _attempted(ids: list[int], before: dict[int, int], worker, timeout: float = 30) -> None:
    """Wait until the worker has made one more attempt at each of `ids` (or sent it)."""

    def attempted() -> bool:
        rows = OutboundMessage.objects.filter(pk__in=ids).values_list("pk", "attempts", "status")
        return all(status != OutboundMessage.Status.SENDING and attempts > before[pk] for pk, attempts, status in rows)

    assert wait_until(attempted, timeout=timeout), f"the worker did not attempt {ids}:\n{worker.output()}"


def _relay_minute(now, worker) -> int:
    """One beat of the relay at the simulated time `now`; returns once the worker has tried what it dispatched."""
    before = dict(OutboundMessage.objects.values_list("pk", "attempts"))
    due = outbox_due_ids(now=now, limit=1000)
    assert outbox_relay(now=now) == len(due)
    _attempted(due, before, worker)
    return len(due)


@pytest.mark.redis
def test_thirty_minutes_of_smtp_outage_then_every_copy_once_without_a_person(
    client, machine_redis_url, start_worker, mail_server
):
    """The mail server is down for 30 simulated minutes (beat's relay every minute, with its clock injected),
    then back: the worker delivers every copy exactly once, and nobody clicks "Reintentar"."""
    establishment = EstablishmentFactory()
    worker = start_worker(machine_redis_url)
    mail_server.stop()  # the mail server goes down
    consumers = [f"consumidor{n}@example.pe" for n in range(3)]

    with producer_broker(machine_redis_url):
        for n, email in enumerate(consumers):
            _file_through_the_web(client, establishment, consumer_email=email, doc_number=f"4580568{n}")
        copies = list(OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY).values_list("pk", flat=True))
        _attempted(copies, dict.fromkeys(copies, 0), worker)  # the first attempts fail at once
        start = timezone.now()
        for minute in range(1, 31):
            _relay_minute(start + timedelta(minutes=minute), worker)

        down = OutboundMessage.objects.filter(pk__in=copies)
        assert {m.status for m in down} == {OutboundMessage.Status.PENDING}  # retried, never given up
        assert min(m.attempts for m in down) >= 5  # 30 s, 1, 2, 4, 8, 16 minutes: the outbox's backoff
        assert max(m.attempts for m in down) <= 7  # and nothing else burnt attempts in between
        assert mail_server.messages == []

        mail_server.start()  # back up
        minute = 31
        while down.exclude(status=OutboundMessage.Status.SENT).exists():
            assert minute < 31 + 120, worker.output()  # the next attempt is at most an hour away
            _relay_minute(start + timedelta(minutes=minute), worker)
            minute += 1

    received = mail_server.wait_for(len(consumers), timeout=10)
    assert sorted(m["To"] for m in received) == consumers, worker.output()
    worker.wait_idle()  # whatever else the worker had to send, it has sent
    assert len(mail_server.messages) == len(consumers)  # each exactly once
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DELIVERY_FAILED).exists()
