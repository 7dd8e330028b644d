"""The council's beat tasks end to end: a real Celery worker on real Redis verifies an action, reminds its owner
and sends the weekly digest through the outbox to a real SMTP server. Each task is fired twice (two beats by
mistake): every e-mail still arrives once."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import Message

import pytest
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.services import complaint_file
from reclamaciones.council import tasks
from reclamaciones.council.models import ActionItem, ActionStatus
from reclamaciones.council.services import action_create, action_status_set, council_digest_period
from reclamaciones.handling.models import Cause
from reclamaciones.outbox.models import OutboundMessage

from ..celery_support import producer_broker
from ..factories import EstablishmentFactory, cause_get, filing_kwargs, staff_user
from ..mailsink import subject

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COUNCIL_EMAIL = "consejo@andina.example.pe"
OWNER_EMAIL = "duena@andina.example.pe"


def _cause(code: str, name: str) -> Cause:
    cause = cause_get(code)
    Cause.objects.filter(pk=cause.pk).update(name=name)
    return cause


def _file_on(establishment, day, cause: Cause, n: int) -> None:
    filed_at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=11)
    complaint = complaint_file(
        **filing_kwargs(establishment=establishment, filed_at=filed_at, doc_number=f"7{n:07d}", consumer_email="")
    )
    type(complaint).objects.filter(pk=complaint.pk).update(cause=cause)


def _text(message: Message, content_type: str = "text/plain") -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {content_type} part")


def _settled(mail_server, worker, expected: int, timeout: float = 45) -> list[Message]:
    """Wait for `expected` messages, then until the worker is idle: a duplicate would have arrived by then."""
    mail_server.wait_for(expected, timeout=timeout)
    worker.wait_idle()
    return list(mail_server.messages)


@pytest.mark.redis
def test_council_tasks_through_the_worker_mail_owner_and_council_once(machine_redis_url, start_worker, mail_server):
    today = timezone.localdate()
    establishment = EstablishmentFactory()
    delays, billing = _cause("TST-01", "Demora en la entrega"), _cause("TST-02", "Cobro indebido")
    staff_user("consejo", Role.COUNCIL, email=COUNCIL_EMAIL, is_staff=False, profile=False, first_name="Julia")
    owner = staff_user("duena", email=OWNER_EMAIL, is_staff=False, profile=False, first_name="Rosa")

    # Last week (the digest's period): three hojas of one cause.
    since, until = council_digest_period(today)
    for n, day in enumerate([since, since + timedelta(days=2), until]):
        _file_on(establishment, day, delays, n)
    # An action implemented 8 weeks and a day ago, on a cause that had one hoja a week before it and none since:
    # its verification window ended yesterday, so today's run measures it (effective).
    implemented_on = today - timedelta(weeks=8, days=1)
    created_on = implemented_on - timedelta(days=1)
    for n in range(12):
        _file_on(establishment, created_on - timedelta(days=3 + 7 * n), billing, 100 + n)
    verified = action_create(
        title="Cobro con voucher impreso",
        owner=owner,
        due_date=implemented_on,
        causes=[billing],
        establishment=establishment,
        today=created_on,
    )
    action_status_set(action=verified, status=ActionStatus.IMPLEMENTED, implemented_on=implemented_on, today=today)
    # An action due in 7 days: its owner's first reminder.
    action_create(
        title="Ruta de despacho diaria",
        owner=owner,
        due_date=today + timedelta(days=7),
        causes=[delays],
        establishment=establishment,
        today=today,
    )
    assert not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()
    worker = start_worker(machine_redis_url)

    with producer_broker(machine_redis_url):
        for _ in range(2):  # the beat fired twice
            tasks.council_actions_daily.delay()
            tasks.council_digest_weekly.delay()
        messages = _settled(mail_server, worker, 4)

    assert len(messages) == 4, worker.output()
    by_subject = {(m["To"], subject(m)) for m in messages}
    assert by_subject == {
        (OWNER_EMAIL, "Acción de mejora: vence en 7 días · Ruta de despacho diaria"),
        (OWNER_EMAIL, "Acción de mejora efectiva: Cobro con voucher impreso"),
        (COUNCIL_EMAIL, "Acción de mejora efectiva: Cobro con voucher impreso"),
        (
            COUNCIL_EMAIL,
            f"Resumen semanal del consejo ({since:%d/%m} al {until:%d/%m/%Y}): Demora en la entrega encabeza"
            " con 3 hojas",
        ),
    }
    [digest] = [m for m in messages if subject(m).startswith("Resumen semanal")]
    assert "1. TST-01 Demora en la entrega: 3 hojas (100.0 %)" in _text(digest)
    assert "Demora en la entrega" in _text(digest, "text/html")
    [verdict_to_owner] = [m for m in messages if m["To"] == OWNER_EMAIL and "efectiva" in subject(m)]
    assert "Hola, Rosa:" in _text(verdict_to_owner)
    assert "1.00 hojas por semana" in _text(verdict_to_owner)
    verified.refresh_from_db()
    assert (verified.status, verified.measured_rate) == (ActionStatus.EFFECTIVE, 0)
    assert ActionItem.objects.get(title="Ruta de despacho diaria").events.count() == 2  # created, reminded
    assert not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()
