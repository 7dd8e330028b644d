"""Celery tasks: thin. They take ids and call one service (imported in the body: services import tasks)."""

from celery import shared_task
from celery.signals import worker_ready


@worker_ready.connect
def sweep_on_worker_start(sender, **kwargs) -> None:
    # Catch up at once after downtime instead of waiting for the next quarter hour (the sweep is idempotent).
    sender.app.send_task("reclamaciones.tasks.deadlines_sweep")


# No Celery retries: a failed send is recorded on the row and the relay dispatches it again when the outbox's
# backoff says so (services.outbox). Retrying here too would burn the attempts in minutes.
@shared_task(acks_late=True)  # safe: outbox_send is a no-op once the message is sent or claimed by another worker
def outbox_send(message_id: int, now: str | None = None) -> bool:
    from datetime import datetime

    from .services.outbox import OutboxDeliveryError
    from .services.outbox import outbox_send as outbox_send_service

    try:
        return outbox_send_service(message_id=message_id, now=datetime.fromisoformat(now) if now else None)
    except OutboxDeliveryError:
        return False  # recorded, logged, and scheduled by the outbox


@shared_task(acks_late=True)  # idempotent: sending an already-sent message is a no-op
def outbox_fanout(message_ids: list[int]) -> int:
    from .services.outbox import outbox_dispatch

    for message_id in message_ids:
        outbox_dispatch(message_id=message_id)
    return len(message_ids)


@shared_task
def outbox_relay(now: str | None = None) -> int:
    from datetime import datetime

    from .services.outbox import outbox_relay as outbox_relay_service

    return outbox_relay_service(now=datetime.fromisoformat(now) if now else None)


@shared_task(acks_late=True)  # idempotent: keys dedupe notices; a second sweep creates nothing new
def deadlines_sweep() -> dict:
    from .services.tracking import deadlines_sweep as deadlines_sweep_service

    return deadlines_sweep_service().as_dict()


@shared_task(acks_late=True)  # idempotent: one digest per (day, recipient) key
def digest_daily() -> int:
    from .services.tracking import digest_queue

    return digest_queue()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deadlines_recompute(changed_on: str, reason: str) -> int:
    from datetime import date

    from .services.tracking import deadlines_recompute as deadlines_recompute_service

    return deadlines_recompute_service(changed_on=date.fromisoformat(changed_on), reason=reason)


@shared_task(acks_late=True)  # idempotent: each offer is expired under a row lock, once
def settlement_expire() -> int:
    from .services.settlement import settlement_expire_due

    return settlement_expire_due()


@shared_task(acks_late=True)  # idempotent: verification only moves IMPLEMENTED actions; reminders are keyed
def council_actions_daily() -> dict:
    from .services.improvement import actions_daily

    return actions_daily()


@shared_task(acks_late=True)  # idempotent: one digest per (ISO week, recipient) key
def council_digest_weekly() -> int:
    from .services.improvement import council_digest_queue

    return council_digest_queue()


@shared_task(acks_late=True)  # idempotent: verification reads; the alarm is keyed per day and recipient
def book_verify_daily() -> dict:
    from .services.integrity import book_verify_daily as book_verify_daily_service

    return book_verify_daily_service()
