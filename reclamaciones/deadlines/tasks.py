"""Celery tasks of this context: thin, they take ids and call one service. Names stay "reclamaciones.tasks.*"
(the beat schedule and messages already queued by the previous release use them)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from ..access import Scope


@worker_ready.connect
def sweep_on_worker_start(sender, **kwargs) -> None:
    # Catch up at once after downtime instead of waiting for the next quarter hour (the sweep is idempotent).
    sender.app.send_task("reclamaciones.tasks.deadlines_sweep")


# idempotent: keys dedupe notices; a second sweep creates nothing new
@shared_task(name="reclamaciones.tasks.deadlines_sweep", acks_late=True)
def deadlines_sweep() -> dict:
    from .services import deadlines_sweep as deadlines_sweep_service

    return deadlines_sweep_service(scope=Scope.everything()).as_dict()


# idempotent: one digest per (day, recipient) key
@shared_task(name="reclamaciones.tasks.digest_daily", acks_late=True)
def digest_daily() -> int:
    from .services import digest_queue

    return digest_queue(scope=Scope.everything())


@shared_task(
    name="reclamaciones.tasks.deadlines_recompute",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def deadlines_recompute(changed_on: str, reason: str) -> int:
    from datetime import date

    from .services import deadlines_recompute as deadlines_recompute_service

    return deadlines_recompute_service(
        changed_on=date.fromisoformat(changed_on), reason=reason, scope=Scope.everything()
    )
