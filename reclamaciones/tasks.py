"""Celery tasks: thin. They take ids and call one service (imported in the body: services import tasks)."""

from celery import shared_task


@shared_task(
    acks_late=True,  # safe: outbox_send is a no-op once the message is sent or claimed by another worker
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def outbox_send(message_id: int) -> bool:
    from .services.outbox import outbox_send as outbox_send_service

    return outbox_send_service(message_id=message_id)


@shared_task
def outbox_relay() -> int:
    from .services.outbox import outbox_relay as outbox_relay_service

    return outbox_relay_service()
