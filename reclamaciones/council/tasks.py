"""Celery tasks of this context: thin, they take ids and call one service. Names stay "reclamaciones.tasks.*"
(the beat schedule and messages already queued by the previous release use them)."""

from __future__ import annotations

from celery import shared_task

from ..access import Scope


# idempotent: verification only moves IMPLEMENTED actions; reminders are keyed
@shared_task(name="reclamaciones.tasks.council_actions_daily", acks_late=True)
def council_actions_daily() -> dict:
    from .services import actions_daily

    return actions_daily(scope=Scope.everything())


# idempotent: one digest per (ISO week, recipient) key
@shared_task(name="reclamaciones.tasks.council_digest_weekly", acks_late=True)
def council_digest_weekly() -> int:
    from .services import council_digest_queue

    return council_digest_queue(scope=Scope.everything())


# idempotent: a refresh rewrites whole days from the hojas; a second one finds nothing new
@shared_task(name="reclamaciones.tasks.council_rollup_refresh", acks_late=True)
def council_rollup_refresh() -> int:
    from django.utils import timezone

    from .rollup import rollup_refresh

    state = rollup_refresh(now=timezone.now())
    return state.days_refreshed if state else 0


# idempotent: every day rewritten from the hojas
@shared_task(name="reclamaciones.tasks.council_rollup_rebuild", acks_late=True)
def council_rollup_rebuild() -> str:
    from django.utils import timezone

    from .rollup import rollup_rebuild

    return rollup_rebuild(now=timezone.now()).rebuilt_at.isoformat()


# idempotent: one report per (month, recipient) key
@shared_task(name="reclamaciones.tasks.council_report_monthly", acks_late=True)
def council_report_monthly() -> int:
    from .report import council_report_queue

    return council_report_queue(scope=Scope.everything())


# idempotent: the agenda e-mails are keyed by (meeting, day, attendee); regenerating the agenda again is harmless
@shared_task(name="reclamaciones.tasks.council_meetings_day", acks_late=True)
def council_meetings_day() -> dict:
    from .meetings import meetings_day_prepare

    return meetings_day_prepare()
