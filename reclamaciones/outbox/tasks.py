"""Celery tasks of this context: thin, they take ids and call one service. Names stay "reclamaciones.tasks.*"
(the beat schedule and messages already queued by the previous release use them)."""

from __future__ import annotations

from celery import shared_task


# No Celery retries: a failed send is recorded on the row and the relay dispatches it again when the outbox's
# backoff says so (outbox.services). Retrying here too would burn the attempts in minutes.
# safe: outbox_send is a no-op once the message is sent or claimed by another worker
@shared_task(name="reclamaciones.tasks.outbox_send", acks_late=True)
def outbox_send(message_id: int, now: str | None = None) -> bool:
    from datetime import datetime

    from .services import OutboxDeliveryError
    from .services import outbox_send as outbox_send_service

    try:
        return outbox_send_service(message_id=message_id, now=datetime.fromisoformat(now) if now else None)
    except OutboxDeliveryError:
        return False  # recorded, logged, and scheduled by the outbox


# idempotent: sending an already-sent message is a no-op
@shared_task(name="reclamaciones.tasks.outbox_fanout", acks_late=True)
def outbox_fanout(message_ids: list[int]) -> int:
    from .services import outbox_dispatch

    for message_id in message_ids:
        outbox_dispatch(message_id=message_id)
    return len(message_ids)


@shared_task(name="reclamaciones.tasks.outbox_relay")
def outbox_relay(now: str | None = None) -> int:
    from datetime import datetime

    from .services import outbox_relay as outbox_relay_service

    return outbox_relay_service(now=datetime.fromisoformat(now) if now else None)
