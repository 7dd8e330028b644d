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
