"""The deadline tracker end to end: Celery beat's tasks run by a real worker, on real Redis, mailing a real
SMTP server. What staff receive is read from the mail server, not from the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, Status
from reclamaciones.book.services import complaint_file
from reclamaciones.deadlines import tasks as deadline_tasks
from reclamaciones.deadlines.rules import business_days_left, due_date
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.outbox import tasks as outbox_tasks
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.selectors import outbox_due_ids

from ..celery_support import PrivateRedis, producer_broker, wait_until
from ..factories import EstablishmentFactory, filing_kwargs, staff_user
from ..mailsink import subject

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AGENT_EMAIL = "agente@tienda.example.pe"
SUPERVISOR_EMAIL = "supervisora@tienda.example.pe"


def _team(establishment) -> None:
    """The establishment's agent and supervisor."""
    staff_user("agente", Role.AGENT, establishments=[establishment], email=AGENT_EMAIL)
    staff_user("supervisora", Role.SUPERVISOR, establishments=[establishment], email=SUPERVISOR_EMAIL)


def _filed_at_with_days_left(days_left: int) -> datetime:
    """A filing moment (Lima, 10:00) whose due date lies `days_left` business days after today."""
    today = timezone.localdate()
    day = today
    while business_days_left(today, due_date(day)) != days_left:
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=10)


def _file(establishment, days_left: int, name: str) -> Complaint:
    return complaint_file(
        **filing_kwargs(
            establishment=establishment,
            consumer_name=name,
            consumer_email=f"{name.lower()}@example.pe",
            filed_at=_filed_at_with_days_left(days_left),
        )
    )


def _to(messages, address: str) -> list:
    return [m for m in messages if m["To"] == address]


def _settled(mail_server, worker, expected: int, timeout: float = 45) -> list:
    """Wait for `expected` messages, then until the worker is idle: a duplicate would have arrived by then."""
    mail_server.wait_for(expected, timeout=timeout)
    worker.wait_idle()
    return list(mail_server.messages)


@pytest.mark.redis
def test_sweeps_through_the_worker_remind_and_escalate_once(machine_redis_url, start_worker, mail_server):
    establishment = EstablishmentFactory()
    _team(establishment)
    due_soon = _file(establishment, 2, "Ana")
    overdue = _file(establishment, -1, "Beto")
    answered = _file(establishment, -3, "Carla")
    Complaint.objects.filter(pk=answered.pk).update(status=Status.ANSWERED)
    OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now()
    )  # the copies are covered elsewhere; here only deadline notices travel
    worker = start_worker(machine_redis_url)

    with producer_broker(machine_redis_url):
        for _ in range(3):  # a sweep run again, and again (two beats by mistake)
            deadline_tasks.deadlines_sweep.delay()
        messages = _settled(mail_server, worker, 2)

    reminders = _to(messages, AGENT_EMAIL)
    escalations = _to(messages, SUPERVISOR_EMAIL)
    assert len(messages) == 2, worker.output()
    assert [subject(m) for m in reminders] == [
        f"Vence en 2 días hábiles: hoja Nº {due_soon.display_number} ({establishment.name})"
    ]
    assert len(escalations) == 1
    assert subject(escalations[0]).startswith("VENCIDA hace 1 día hábil")
    assert overdue.display_number in subject(escalations[0])
    assert not [m for m in messages if answered.display_number in subject(m)]


def test_redis_down_during_filings_then_back_every_copy_and_reminder_arrives(
    settings, tmp_path, start_worker, mail_server
):
    settings.OUTBOX_RELAY_GRACE_SECONDS = 1
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        establishment = EstablishmentFactory()
        _team(establishment)
        worker = start_worker(broker.url)
        broker.stop()  # Redis goes down

        with producer_broker(broker.url):
            filed = [_file(establishment, days_left, name) for days_left, name in [(1, "Dora"), (9, "Elsa")]]
            result = deadlines_sweep(
                scope=Scope.everything()
            )  # beat fired while Redis was down: the notices are only in the outbox
            assert result.reminders == 1
            assert mail_server.messages == []
            assert OutboundMessage.objects.filter(status=OutboundMessage.Status.PENDING).count() == 3

            broker.start()  # Redis is back: the relay (beat, every minute) sends what is owed
            # the relay takes over a message once its dispatch grace has passed
            assert wait_until(lambda: len(outbox_due_ids(now=timezone.now(), limit=10)) == 3)
            outbox_tasks.outbox_relay.delay()
            messages = _settled(mail_server, worker, 3)
    finally:
        broker.stop()

    assert len(messages) == 3, worker.output()
    for complaint in filed:
        [copy] = _to(messages, complaint.consumer_email)
        assert complaint.display_number in subject(copy)
    [reminder] = _to(messages, AGENT_EMAIL)
    assert filed[0].display_number in subject(reminder)
    assert not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()
