"""The outbox: every e-mail the law makes us send is a row first, then a Celery task, then a sent mark.

- `outbox_enqueue` runs inside the transaction that causes the message; the task is queued on commit.
- A broker outage at that moment only delays the message: the row stays pending and `outbox_relay`
  (Celery beat, every minute) dispatches it again.
- `outbox_send` claims the row with a lease (one atomic UPDATE, no lock held while rendering or talking
  SMTP), so retries, duplicate tasks and two relays never send what was already sent.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import emails
from ..models import Complaint, ComplaintEvent, OutboundMessage
from ..selectors import outbox_due_ids
from ..tasks import outbox_fanout as outbox_fanout_task
from ..tasks import outbox_send as outbox_send_task

logger = logging.getLogger(__name__)


class OutboxDeliveryError(Exception):
    """Sending failed; the message stays pending (or becomes failed) and will be retried."""


def outbox_enqueue(
    *,
    kind: str,
    recipient: str,
    idempotency_key: str,
    complaint: Complaint | None = None,
    context: dict | None = None,
) -> OutboundMessage:
    """Record a message to send; the send task is queued when the surrounding transaction commits.
    Idempotent: the same key returns the message already recorded."""
    grace = timedelta(seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)
    message, created = OutboundMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "complaint": complaint,
            "context": context or {},
            "next_attempt_at": timezone.now() + grace,
        },
    )
    if created:
        if complaint is not None:
            ComplaintEvent.objects.create(
                complaint=complaint,
                type=ComplaintEvent.Type.MESSAGE_QUEUED,
                data={"message": message.pk, "kind": kind, "recipient": recipient},
            )
        transaction.on_commit(lambda: outbox_dispatch(message_id=message.pk))
    return message


def outbox_dispatch(*, message_id: int) -> None:
    """Hand the message to a worker. Never raises: if the broker is down, the relay retries later."""
    try:
        outbox_send_task.delay(message_id)
    except Exception:
        logger.warning("outbox: could not queue message %s; the relay will send it", message_id, exc_info=True)


def outbox_dispatch_many(*, message_ids: list[int]) -> None:
    """Hand many messages to the workers with one publish: a fan-out task queues each send. Never raises;
    what is not queued stays pending for the relay."""
    try:
        outbox_fanout_task.delay(message_ids)
    except Exception:
        logger.warning("outbox: could not queue %s messages; the relay will send them", len(message_ids), exc_info=True)


def _retry_delay(attempts: int) -> timedelta:
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _message_id_for(message: OutboundMessage) -> str:
    # The same Message-ID on every attempt lets mail systems drop a duplicate after an ambiguous failure.
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


def outbox_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one message if nobody has sent or is sending it. True when this call sent it.
    Raises OutboxDeliveryError when sending failed (the row records the error and when to retry)."""
    now = now or timezone.now()
    claimed = (
        OutboundMessage.objects.filter(pk=message_id)
        .filter(
            Q(status=OutboundMessage.Status.PENDING) | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
        )
        .update(
            status=OutboundMessage.Status.SENDING,
            lease_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return False
    message = OutboundMessage.objects.select_related("complaint__establishment__provider").get(pk=message_id)
    message_id_header = _message_id_for(message)
    try:
        email = emails.message_build(message)
        email.extra_headers["Message-ID"] = message_id_header
        email.send(fail_silently=False)
    except Exception as exc:
        _record_failure(message, exc, now)
        raise OutboxDeliveryError(str(exc)) from exc

    sent_at = timezone.now()
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.SENT,
            sent_at=sent_at,
            lease_until=None,
            last_error="",
            message_id=message_id_header,
            updated_at=sent_at,
        )
        if message.complaint_id:
            ComplaintEvent.objects.create(
                complaint_id=message.complaint_id,
                type=ComplaintEvent.Type.MESSAGE_SENT,
                occurred_at=sent_at,
                data={
                    "message": message.pk,
                    "kind": message.kind,
                    "recipient": message.recipient,
                    "message_id": message_id_header,
                    "attempts": message.attempts,
                },
            )
    return True


def _record_failure(message: OutboundMessage, exc: Exception, now: datetime) -> None:
    gave_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.FAILED if gave_up else OutboundMessage.Status.PENDING,
            lease_until=None,
            last_error=error,
            next_attempt_at=now + _retry_delay(message.attempts),
            updated_at=now,
        )
        if gave_up and message.complaint_id:
            ComplaintEvent.objects.create(
                complaint_id=message.complaint_id,
                type=ComplaintEvent.Type.MESSAGE_FAILED,
                data={"message": message.pk, "recipient": message.recipient, "error": error},
            )
    logger.warning("outbox: message %s attempt %s failed: %s", message.pk, message.attempts, error)


def outbox_relay(*, now: datetime | None = None) -> int:
    """Re-dispatch every message still owed (broker was down, worker died, retries ran out of time).
    Returns how many were dispatched."""
    now = now or timezone.now()
    ids = outbox_due_ids(now=now, limit=settings.OUTBOX_RELAY_BATCH)
    if not ids:
        return 0
    # Push the next relay pass back so a message waiting in the queue is not dispatched twice a minute.
    OutboundMessage.objects.filter(pk__in=ids, status=OutboundMessage.Status.PENDING).update(
        next_attempt_at=now + timedelta(seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)
    )
    for message_id in ids:
        outbox_dispatch(message_id=message_id)
    return len(ids)


def outbox_retry(*, message_id: int) -> bool:
    """Staff action: put a failed (or pending) message back in line now. True if it was re-queued."""
    updated = OutboundMessage.objects.filter(
        pk=message_id, status__in=[OutboundMessage.Status.FAILED, OutboundMessage.Status.PENDING]
    ).update(status=OutboundMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0)
    if updated:
        transaction.on_commit(lambda: outbox_dispatch(message_id=message_id))
    return bool(updated)
