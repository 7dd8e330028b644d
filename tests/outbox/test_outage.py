"""One retry policy for every e-mail the law requires (the outbox's backoff), long enough for a 72-hour mail
outage, and an alarm instead of silence after the last attempt: e-mail to the supervisors, /healthz "degraded",
a banner on the admin's pages.

Delivery goes to a real SMTP port on localhost; an outage is that port closed. Time is simulated by injecting
`now` into the relay and the send (the clock of the beat that would run them)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import ComplaintEvent
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.services import OutboxDeliveryError, outbox_relay, outbox_send, retry_delay, retry_span

from ..factories import EstablishmentFactory, staff_user
from ..mailsink import SmtpSink

pytestmark = pytest.mark.django_db

SEVENTY_TWO_HOURS = timedelta(hours=72)


def _copy(complaint) -> OutboundMessage:
    return OutboundMessage.objects.get(complaint=complaint, kind=OutboundMessage.Kind.SHEET_COPY)


# The schedule (pure) ------------------------------------------------------------------------------------------


def test_retry_delay_doubles_from_the_base_up_to_the_cap():
    delays = [retry_delay(attempts=n, base_seconds=30, max_seconds=3600).total_seconds() for n in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_default_schedule_outlasts_a_72_hour_outage():
    span = retry_span(
        max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        base_seconds=settings.OUTBOX_RETRY_BASE_SECONDS,
        max_seconds=settings.OUTBOX_RETRY_MAX_SECONDS,
    )

    assert span >= SEVENTY_TWO_HOURS
    assert span < timedelta(hours=96)  # and then the supervisors hear of it, not never


def test_a_short_schedule_is_a_system_check_warning():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", "OUTBOX_MAX_ATTEMPTS": "12"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "reclamaciones.W002" in result.stdout + result.stderr


# The claim respects the backoff ------------------------------------------------------------------------------


def test_a_send_before_the_next_attempt_is_due_is_refused(file_complaint, smtp_settings):
    """A redelivered task, a second relay or a stray retry can never burn attempts: only the backoff decides."""
    message = _copy(file_complaint())
    with pytest.raises(OutboxDeliveryError):
        outbox_send(message_id=message.pk)
    message.refresh_from_db()

    for _ in range(5):
        assert outbox_send(message_id=message.pk, now=message.next_attempt_at - timedelta(seconds=1)) is False
    assert outbox_relay(now=message.next_attempt_at - timedelta(seconds=1)) == 0

    message.refresh_from_db()
    assert message.attempts == 1


def test_a_failed_send_task_is_not_retried_by_celery(file_complaint, smtp_settings):
    from reclamaciones.outbox import tasks

    message = _copy(file_complaint())

    assert tasks.outbox_send.apply(args=[message.pk]).get() is False  # recorded on the row, not raised
    assert not getattr(tasks.outbox_send, "autoretry_for", None)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundMessage.Status.PENDING, 1)


# 30 minutes down, then up ------------------------------------------------------------------------------------


def test_thirty_minutes_of_smtp_outage_then_every_copy_once(
    file_complaint, smtp_settings, django_capture_on_commit_callbacks
):
    consumers = [f"consumidor{n}@example.pe" for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):  # the first attempts, at filing, fail
        complaints = [file_complaint(consumer_email=email) for email in consumers]
    start = timezone.now()
    for minute in range(1, 31):  # beat: the relay every minute
        outbox_relay(now=start + timedelta(minutes=minute))
    copies = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY)
    assert {m.status for m in copies} == {OutboundMessage.Status.PENDING}
    assert {m.attempts for m in copies} == {6}  # at 0, 0.5, 1.5, 3.5, 7.5 and 15.5 minutes

    sink = SmtpSink(smtp_settings.EMAIL_PORT).start()
    try:
        minute = 31
        while copies.exclude(status=OutboundMessage.Status.SENT).exists():
            assert minute <= 31 + 60
            outbox_relay(now=start + timedelta(minutes=minute))
            minute += 1
        received = sink.wait_for(4, timeout=2)
    finally:
        sink.stop()

    assert sorted(m["To"] for m in received) == consumers  # each exactly once
    assert all(c.events.filter(type=ComplaintEvent.Type.MESSAGE_SENT).count() == 1 for c in complaints)


# 72 hours down: still trying; then given up, with an alarm ---------------------------------------------------


@pytest.fixture
def supervised(db):
    store = EstablishmentFactory(name="Tienda Miraflores")
    supervisor = staff_user("sofia", Role.SUPERVISOR, establishments=[store], email="sofia@andina.example.pe")
    staff_user("otro", Role.SUPERVISOR, establishments=[EstablishmentFactory()], email="otro@andina.example.pe")
    return store, supervisor


def test_a_copy_is_retried_for_72_hours_then_given_up_with_an_alarm(file_complaint, smtp_settings, supervised):
    store, supervisor = supervised
    complaint = file_complaint(establishment=store)
    message = _copy(complaint)
    first = timezone.now()
    now = first
    while True:  # every attempt as soon as the backoff allows it (the relay runs every minute)
        with pytest.raises(OutboxDeliveryError):
            outbox_send(message_id=message.pk, now=now)
        message.refresh_from_db()
        if message.status == OutboundMessage.Status.FAILED:
            break
        assert message.status == OutboundMessage.Status.PENDING
        now = message.next_attempt_at

    assert now - first >= SEVENTY_TWO_HOURS  # the last attempt came after 72 hours of outage
    assert message.attempts == settings.OUTBOX_MAX_ATTEMPTS
    assert complaint.events.filter(type=ComplaintEvent.Type.MESSAGE_FAILED).count() == 1
    [alarm] = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DELIVERY_FAILED)
    assert alarm.recipient == supervisor.email  # the store's supervisor, not the other store's
    assert alarm.complaint == complaint


def _give_up(message: OutboundMessage, settings) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 1
    with pytest.raises(OutboxDeliveryError):
        outbox_send(message_id=message.pk)


def test_the_alarm_e_mail_names_the_hoja_the_recipient_and_the_error(
    file_complaint, smtp_settings, supervised, mailoutbox, settings
):
    store, supervisor = supervised
    complaint = file_complaint(establishment=store)
    _give_up(_copy(complaint), smtp_settings)
    alarm = OutboundMessage.objects.get(kind=OutboundMessage.Kind.DELIVERY_FAILED)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the mail server is back
    assert outbox_send(message_id=alarm.pk) is True

    [email] = mailoutbox
    assert email.to == [supervisor.email]
    assert f"hoja Nº {complaint.display_number}" in email.subject
    assert complaint.consumer_email in email.body
    assert "Connection refused" in email.body or "ConnectionRefusedError" in email.body
    assert "?status__exact=failed" in email.body


def test_an_undelivered_alarm_raises_no_alarm_about_itself(file_complaint, smtp_settings, supervised):
    store, _ = supervised
    _give_up(_copy(file_complaint(establishment=store)), smtp_settings)
    alarm = OutboundMessage.objects.get(kind=OutboundMessage.Kind.DELIVERY_FAILED)

    with pytest.raises(OutboxDeliveryError):
        outbox_send(message_id=alarm.pk)

    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DELIVERY_FAILED).count() == 1
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count() == 2


def test_a_council_e_mail_given_up_alarms_the_administrators(smtp_settings, supervised, django_user_model):
    from reclamaciones.outbox.services import outbox_enqueue

    admin = django_user_model.objects.create_superuser("admin", "admin@andina.example.pe", "x")
    message = outbox_enqueue(
        kind=OutboundMessage.Kind.COUNCIL_DIGEST,
        recipient="consejo@andina.example.pe",
        idempotency_key="test:digest",
        context={"since": "2026-11-23", "date": "2026-11-30"},
    )

    _give_up(message, smtp_settings)

    [alarm] = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DELIVERY_FAILED)
    assert alarm.recipient == admin.email


def test_healthz_is_degraded_but_up_while_a_message_is_given_up(client, file_complaint, smtp_settings):
    from reclamaciones.deadlines.services import deadlines_sweep

    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    assert client.get("/healthz").json()["status"] == "ok"
    _give_up(_copy(file_complaint()), smtp_settings)

    response = client.get("/healthz")

    assert response.status_code == 200  # the book still files: a load balancer keeps it in rotation
    payload = response.json()
    assert payload["status"] == "degraded"
    assert payload["outbox"] == {"status": "failed", "failed": 1}


def test_the_admin_shows_a_banner_while_a_message_is_given_up(admin_client, file_complaint, smtp_settings):
    _give_up(_copy(file_complaint()), smtp_settings)

    page = admin_client.get("/admin/").content.decode()

    assert "1 correo no se pudo entregar tras todos los reintentos" in page
    assert "/admin/reclamaciones/outboundmessage/?status__exact=failed" in page
