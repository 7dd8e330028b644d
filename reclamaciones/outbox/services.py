"""The outbox: every e-mail the law makes us send is a row first, then a Celery task, then a sent mark.

- `outbox_enqueue` runs inside the transaction that causes the message; the task is queued on commit.
- A broker outage at that moment only delays the message: the row stays pending and `outbox_relay`
  (Celery beat, every minute) dispatches it again.
- `outbox_send` claims the row with a lease (one atomic UPDATE, no lock held while rendering or talking
  SMTP), so retries, duplicate tasks and two relays never send what was already sent.
- One retry policy: after a failed attempt the row waits `retry_delay` (exponential, capped) and only the
  relay dispatches it again; the claim refuses a message before its next attempt is due, so no other retry
  (a redelivered task, a second relay) can burn attempts. The default schedule outlasts 72 hours of SMTP
  outage; after the last attempt the message is failed and the supervisors are alarmed.

`lease_until` holds a message while someone has it: on a pending row, the queue (dispatched, not yet claimed:
the relay leaves it alone); on a sending row, the worker (after it expires, a dead worker's send is taken over).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..book.models import Complaint, ComplaintEvent
from . import render
from .alarms import delivery_failed_alarm
from .models import OutboundMessage
from .selectors import outbox_due_ids
from .tasks import outbox_fanout as outbox_fanout_task
from .tasks import outbox_send as outbox_send_task

logger = logging.getLogger(__name__)


class OutboxDeliveryError(Exception):
    """Sending failed; the message stays pending (or becomes failed) and will be retried."""


def retry_delay(*, attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed attempt: base, doubled each time, capped."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds))


def retry_span(*, max_attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """The outage a message survives: the time from its first attempt to its last one."""
    return sum(
        (retry_delay(attempts=n, base_seconds=base_seconds, max_seconds=max_seconds) for n in range(1, max_attempts)),
        timedelta(0),
    )


def _retry_delay(attempts: int) -> timedelta:
    return retry_delay(
        attempts=attempts,
        base_seconds=settings.OUTBOX_RETRY_BASE_SECONDS,
        max_seconds=settings.OUTBOX_RETRY_MAX_SECONDS,
    )


def _grace() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)


def outbox_message_new(
    *, kind: str, recipient: str, idempotency_key: str, context: dict, now: datetime, complaint_id: int | None = None
) -> OutboundMessage:
    """An unsaved outbox row for bulk writers (bulk_create), due now and held for the dispatch after commit,
    exactly as outbox_enqueue writes one."""
    return OutboundMessage(
        kind=kind,
        recipient=recipient,
        complaint_id=complaint_id,
        idempotency_key=idempotency_key,
        context=context,
        next_attempt_at=now,
        lease_until=now + _grace(),
    )


def outbox_enqueue_many(*, messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Record many messages (built by outbox_message_new) in one INSERT; those whose key is already recorded are
    skipped. The new ones are handed to the workers with one publish when the transaction commits. Returns the
    new messages (unsaved objects: a bulk insert that skips conflicts does not return ids)."""
    keys = {m.idempotency_key for m in messages}
    existing = set(OutboundMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    new = [m for m in messages if m.idempotency_key not in existing]
    OutboundMessage.objects.bulk_create(new, ignore_conflicts=True)
    new_keys = {m.idempotency_key for m in new}
    if new_keys:
        transaction.on_commit(lambda: _dispatch_keys(new_keys))
    return new


def _dispatch_keys(keys: set[str]) -> None:
    """After commit: hand the new messages to the workers with ONE publish (a fan-out task), so a sweep that
    owes thousands of notices does not spend seconds talking to the broker."""
    ids = list(
        OutboundMessage.objects.filter(idempotency_key__in=keys, status=OutboundMessage.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if ids:
        outbox_dispatch_many(message_ids=ids)


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
    now = timezone.now()
    message, created = OutboundMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "complaint": complaint,
            "context": context or {},
            "next_attempt_at": now,
            "lease_until": now + _grace(),  # dispatched on commit: the relay waits before taking it over
        },
    )
    if created:
        if complaint is not None:
            message_queued_event(message).save()
        transaction.on_commit(lambda: outbox_dispatch(message_id=message.pk))
    return message


def message_queued_event(message: OutboundMessage) -> ComplaintEvent:
    """The hoja's trail row saying this message was queued (unsaved, for writers that insert events in bulk)."""
    return ComplaintEvent(
        complaint_id=message.complaint_id,
        type=ComplaintEvent.Type.MESSAGE_QUEUED,
        data={"message": message.pk, "kind": message.kind, "recipient": message.recipient},
    )


def outbox_enqueue_fresh(*, messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Record messages whose keys cannot exist yet because they name a row this transaction is creating (the
    copies of a hoja being filed): one INSERT and no lookup. Each is handed to a worker when the transaction
    commits. Returns them with their ids; their MESSAGE_QUEUED events are the caller's to write
    (message_queued_event), in the same bulk as its own."""
    created = OutboundMessage.objects.bulk_create(messages)
    for message in created:
        transaction.on_commit(lambda pk=message.pk: outbox_dispatch(message_id=pk))
    return created


def outbox_dispatch(*, message_id: int, now: datetime | None = None) -> None:
    """Hand the message to a worker. Never raises: if the broker is down, the relay retries later.
    `now` is passed on only when a caller injected one (tests simulating hours of outage)."""
    # Without a clock the task gets the message id alone, as workers of the previous release expect it.
    args = (message_id,) if now is None else (message_id, now.isoformat())
    try:
        outbox_send_task.delay(*args)
    except Exception:
        logger.warning("outbox: could not queue message %s; the relay will send it", message_id, exc_info=True)


def outbox_dispatch_many(*, message_ids: list[int]) -> None:
    """Hand many messages to the workers with one publish: a fan-out task queues each send. Never raises;
    what is not queued stays pending for the relay."""
    try:
        outbox_fanout_task.delay(message_ids)
    except Exception:
        logger.warning("outbox: could not queue %s messages; the relay will send them", len(message_ids), exc_info=True)


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
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
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
    connection = get_connection(fail_silently=False)
    try:
        # Connect before rendering: while the mail server is down, an attempt costs a refused connection, not
        # a PDF rendered for nothing (a 72-hour outage is 84 attempts per message).
        connection.open()
        email = render.message_build(message)
        email.extra_headers["Message-ID"] = message_id_header
        email.connection = connection
        email.send(fail_silently=False)
    except Exception as exc:
        _record_failure(message, exc, now)
        raise OutboxDeliveryError(str(exc)) from exc
    finally:
        connection.close()

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
        if gave_up:
            if message.complaint_id:
                ComplaintEvent.objects.create(
                    complaint_id=message.complaint_id,
                    type=ComplaintEvent.Type.MESSAGE_FAILED,
                    data={"message": message.pk, "recipient": message.recipient, "error": error},
                )
            delivery_failed_alarm(message=message, error=error, now=now)
    if gave_up:
        logger.error("outbox: message %s given up after %s attempts: %s", message.pk, message.attempts, error)
    else:
        logger.warning("outbox: message %s attempt %s failed: %s", message.pk, message.attempts, error)


def outbox_relay(*, now: datetime | None = None) -> int:
    """Re-dispatch every message still owed (broker was down, worker died, retries ran out of time).
    Returns how many were dispatched."""
    injected = now
    now = now or timezone.now()
    ids = outbox_due_ids(now=now, limit=settings.OUTBOX_RELAY_BATCH)
    if not ids:
        return 0
    # The queue holds what was dispatched: the next passes leave it alone for the grace period.
    OutboundMessage.objects.filter(pk__in=ids, status=OutboundMessage.Status.PENDING).update(lease_until=now + _grace())
    for message_id in ids:
        outbox_dispatch(message_id=message_id, now=injected)
    return len(ids)


def outbox_retry(*, message_id: int) -> bool:
    """Staff action: put a failed (or pending) message back in line now. True if it was re-queued."""
    now = timezone.now()
    updated = OutboundMessage.objects.filter(
        pk=message_id, status__in=[OutboundMessage.Status.FAILED, OutboundMessage.Status.PENDING]
    ).update(status=OutboundMessage.Status.PENDING, next_attempt_at=now, lease_until=now + _grace(), attempts=0)
    if updated:
        transaction.on_commit(lambda: outbox_dispatch(message_id=message_id))
    return bool(updated)
