"""/healthz for monitors and /healthz/ready for load balancers. `health_report` is the one function that computes
the portal's checks: /healthz, the minute sampler (ops.services.health_sample_record) and the staff status page
all read it. Readiness asks less on purpose: only whether THIS process can file a hoja."""

from __future__ import annotations

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config import celery_app

from .deadlines.services import tracker_status
from .outbox.alarms import alarm_status

logger = logging.getLogger(__name__)

# The checks in the order they are shown: what each one means is said once, in ops.status.
CHECKS = ("database", "broker", "tracker", "outbox", "integrity")


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


_migrated = False  # once every migration is applied it stays so for this process's code


def _migrations_applied() -> bool:
    """No migration of this code is missing from the database (a release whose `migrate` has not run yet). Read
    from disk and the database until it is true, then remembered: probes every few seconds stay one query."""
    global _migrated  # per-process memo
    if not _migrated:
        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def readiness() -> dict:
    """Whether this process can file: database reachable and migrated. Redis, beat and the tracker are left
    out: filing works without them (copies wait in the outbox), and one shared outage must not take every
    backend out of the load balancer's rotation at once."""
    database = _database()
    if database["status"] != "ok":
        return {"ready": False, "database": database}
    try:
        migrated = _migrations_applied()
    except Exception as exc:
        return {"ready": False, "database": database, "migrations": "unknown", "error": type(exc).__name__}
    return {"ready": migrated, "database": database, "migrations": "ok" if migrated else "pending"}


def health_report() -> dict:
    """The portal's status and its checks. Status "error" when the portal cannot work: database or broker down,
    deadline tracker stale; "degraded" (the book still files) when a legally required e-mail was given up or the
    book fails its integrity verification. Each check is under its name in CHECKS (those that need the database
    are left out while it is down)."""
    checks = {"database": _database(), "broker": _broker()}
    database_up = checks["database"]["status"] == "ok"
    checks["tracker"] = tracker_status() if database_up else {"status": "unknown"}
    alarms = alarm_status() if database_up else {"degraded": False}
    if database_up:
        checks["outbox"], checks["integrity"] = alarms["outbox"], alarms["integrity"]
    healthy = database_up and checks["broker"]["status"] == "ok" and checks["tracker"].get("status") == "ok"
    status = "degraded" if healthy and alarms["degraded"] else ("ok" if healthy else "error")
    return {"status": status, **checks}


@never_cache
def healthz(request):
    """The full report, for monitors and the uptime history: 503 on "error" (database or broker down, tracker
    stale), 200 on "degraded" and "ok". Load balancers probe /healthz/ready instead."""
    report = health_report()
    if report["database"]["status"] == "ok":
        _web_heartbeat()
    return JsonResponse(report, status=503 if report["status"] == "error" else 200)


@never_cache
def healthz_ready(request):
    """For load balancers: 200 while this process can file, else 503 (out of rotation). Each call is also this
    web process's heartbeat (throttled), so the status page lists every web process the balancer probes."""
    report = readiness()
    if report["ready"]:
        _web_heartbeat()
    return JsonResponse(report, status=200 if report["ready"] else 503)


def _web_heartbeat() -> None:
    from .ops.runtime import web_heartbeat

    web_heartbeat()
