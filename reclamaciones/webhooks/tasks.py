"""Celery tasks of the webhooks: thin, they take ids and call one service. Names follow "reclamaciones.tasks.*"."""

from __future__ import annotations

from celery import shared_task


# No Celery retries: a failed attempt is recorded on the row and the relay dispatches it again when the
# backoff says so (webhooks.services). safe: a no-op once delivered or claimed by another worker.
@shared_task(name="reclamaciones.tasks.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_pk: int, now: str | None = None) -> bool:
    from datetime import datetime

    from .services import WebhookDeliveryError
    from .services import webhook_deliver as webhook_deliver_service

    try:
        return webhook_deliver_service(delivery_pk=delivery_pk, now=datetime.fromisoformat(now) if now else None)
    except WebhookDeliveryError:
        return False  # recorded, logged, and scheduled by the service


# idempotent: dispatching a delivered one again is a no-op
@shared_task(name="reclamaciones.tasks.webhook_fanout", acks_late=True)
def webhook_fanout(delivery_pks: list[int]) -> int:
    from .services import webhook_dispatch

    for delivery_pk in delivery_pks:
        webhook_dispatch(delivery_pk=delivery_pk)
    return len(delivery_pks)


@shared_task(name="reclamaciones.tasks.webhook_relay")
def webhook_relay(now: str | None = None) -> int:
    from datetime import datetime

    from .services import webhook_relay as webhook_relay_service

    return webhook_relay_service(now=datetime.fromisoformat(now) if now else None)
