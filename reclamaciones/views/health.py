"""/healthz for monitors: database, broker and deadline tracker. 503 when any of them is down or stale."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config import celery_app

from ..services.tracking import tracker_status


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
    checks = {"database": _database(), "broker": _broker()}
    checks["tracker"] = tracker_status() if checks["database"]["status"] == "ok" else {"status": "unknown"}
    healthy = checks["database"]["status"] == "ok" and checks["broker"]["status"] == "ok"
    healthy = healthy and checks["tracker"].get("status") == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
