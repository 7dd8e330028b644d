"""Celery tasks of this context: thin. Names stay "reclamaciones.tasks.*" like every other context's."""

from __future__ import annotations

from celery import shared_task


# Every minute from beat (expiring if no worker takes it within the minute). Not retried and not acks_late: a
# lost sample is a minute "sin datos", which is the truth.
@shared_task(name="reclamaciones.tasks.health_sample")
def health_sample() -> dict:
    from ..health import health_report
    from .services import health_history_prune, health_sample_record

    report = health_report()
    health_sample_record(report=report)
    return {"status": report["status"], "pruned": health_history_prune()}
