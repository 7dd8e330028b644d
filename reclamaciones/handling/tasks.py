"""Celery tasks of this context: thin, they take ids and call one service. Names stay "reclamaciones.tasks.*"
(the beat schedule and messages already queued by the previous release use them)."""

from __future__ import annotations

from celery import shared_task

from ..access import Scope


# idempotent: each offer is expired under a row lock, once
@shared_task(name="reclamaciones.tasks.settlement_expire", acks_late=True)
def settlement_expire() -> int:
    from .settlement import settlement_expire_due

    return settlement_expire_due(scope=Scope.everything())


# Re-runnable: a redelivered job writes its file again from the start; a finished one is left as it is.
# Its own time limit: a million rows in XLSX take minutes, more than the default task limit.
@shared_task(name="reclamaciones.tasks.export_run", acks_late=True, time_limit=3600, soft_time_limit=3540)
def export_run(job_id: int) -> int | None:
    from .exports import export_job_run

    job = export_job_run(job_id=job_id)
    return None if job is None else job.rows_done


# Removes expired export files (export_run also does it before each job); ready for a beat entry.
@shared_task(name="reclamaciones.tasks.exports_expire")
def exports_expire() -> int:
    from .exports import exports_expire as expire

    return expire()
