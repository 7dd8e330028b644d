"""Celery tasks of the compliance desk: thin, they take ids and call one service. Names stay
"reclamaciones.tasks.*" like every other context's."""

from __future__ import annotations

from celery import shared_task

from ..access import Scope


# idempotent: one reminder per (request, threshold, recipient) key, and per day once the request is overdue
@shared_task(name="reclamaciones.tasks.indecopi_reminder", acks_late=True)
def indecopi_reminder() -> int:
    from .indecopi import indecopi_reminder_queue

    return indecopi_reminder_queue(scope=Scope.everything())


# idempotent: one reminder per (day, recipient) key
@shared_task(name="reclamaciones.tasks.sirec_reminder", acks_late=True)
def sirec_reminder() -> int:
    from .reminders import sirec_reminder_queue

    return sirec_reminder_queue(scope=Scope.everything())


# Re-runnable: a redelivered job builds its ZIP again from the start (a finished bundle is left as it is). Its
# own time limit: one sheet PDF per hoja, so a request covering thousands of hojas takes minutes.
@shared_task(name="reclamaciones.tasks.evidence_bundle_build", acks_late=True, time_limit=3600, soft_time_limit=3540)
def evidence_bundle_build(bundle_id: int) -> int | None:
    from .bundle import evidence_bundle_run

    bundle = evidence_bundle_run(bundle_id=bundle_id)
    return None if bundle is None else bundle.hojas_done
