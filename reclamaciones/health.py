"""/healthz for monitors: database, broker and deadline tracker. 503 when any of them is down or stale."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config import celery_app

from .deadlines.services import tracker_status
from .outbox.alarms import alarm_status


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}


def _broker() -> dict:
    if celery_app.conf.task_always_eager:
        return {"status": "ok", "note": "eager"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"status": "ok"}
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}


@never_cache
def healthz(request):
    """Answers "error" (503) when the portal cannot work: database or broker down, deadline tracker stale.
    "degraded" (200: the book still files, so a load balancer must keep it in rotation) when a legally
    required e-mail was given up or the book fails its integrity verification: monitors alert on it."""
    checks = {"database": _database(), "broker": _broker()}
    database_up = checks["database"]["status"] == "ok"
    checks["tracker"] = tracker_status() if database_up else {"status": "unknown"}
    alarms = alarm_status() if database_up else {"degraded": False}
    if database_up:
        checks["outbox"], checks["integrity"] = alarms["outbox"], alarms["integrity"]
    healthy = database_up and checks["broker"]["status"] == "ok" and checks["tracker"].get("status") == "ok"
    status = "degraded" if healthy and alarms["degraded"] else ("ok" if healthy else "error")
    return JsonResponse({"status": status, **checks}, status=200 if healthy else 503)
