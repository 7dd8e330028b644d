"""Celery tasks of this context: thin, they take ids and call one service. Names stay "reclamaciones.tasks.*"
(the beat schedule and messages already queued by the previous release use them)."""

from __future__ import annotations

from celery import shared_task

from ..access import Scope


# idempotent: verification reads; the alarm is keyed per day and recipient
@shared_task(name="reclamaciones.tasks.book_verify_daily", acks_late=True)
def book_verify_daily() -> dict:
    from .services import book_verify_daily as book_verify_daily_service

    return book_verify_daily_service(scope=Scope.everything())


# idempotent: removes only staged uploads still unfiled and past their TTL
@shared_task(name="reclamaciones.tasks.attachments_staged_purge", acks_late=True)
def attachments_staged_purge() -> int:
    from .attachments import attachments_staged_purge as attachments_staged_purge_service

    return attachments_staged_purge_service()
