"""Writes of the operations history: the minute sample of /healthz's checks, the process heartbeats and the
pruning of both. Everything here is system-wide (no establishment's data), so nothing takes a scope."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..health import CHECKS
from .models import HealthSpan, ProcessHeartbeat

# Statuses of a check that do not make it fail: the integrity verification that never ran yet only means a
# fresh install (/healthz does not degrade for it); "unknown" is a check skipped while the database is down.
_NOT_FAILING = {"ok", "never_ran:integrity", "unknown"}

# A control character (NUL included: PostgreSQL refuses it in text) never reaches a row.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sample_coverage() -> timedelta:
    """How long a sample is trusted: the sampling interval plus half of it for a task that runs late."""
    return timedelta(seconds=settings.RECLAMACIONES_HEALTH_SAMPLE_SECONDS * 1.5)


def failing_checks(report: dict) -> list[str]:
    """The checks of a health_report that are not fine, in CHECKS order."""
    failing = []
    for name in CHECKS:
        status = report.get(name, {}).get("status", "unknown")
        if status not in _NOT_FAILING and f"{status}:{name}" not in _NOT_FAILING:
            failing.append(name)
    return failing


def _compact(report: dict) -> dict:
    """What a row keeps of a report: each check's status, plus the error class or count that explains it."""
    detail = {}
    for name in CHECKS:
        check = report.get(name)
        if check is None:
            continue
        extra = check.get("error") or check.get("failed") or check.get("broken") or ""
        detail[name] = f"{check.get('status')}:{extra}" if extra else str(check.get("status"))
    return detail


def database_now() -> datetime:
    """PostgreSQL's clock at this statement. Samples come from workers on any host: stamped with one clock, a
    host whose clock is behind does not have its samples dropped as older than the last one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def health_sample_record(*, report: dict, now: datetime | None = None) -> HealthSpan | None:
    """Record one sample, at the database's time unless `now` is given: it extends the current run when the
    state is the same and the previous sample is recent enough (within sample_coverage), else it starts a new
    run. A sample older than the last one recorded (a task delivered late) is dropped. Returns the run, or None
    when dropped."""
    status, failing = report["status"], failing_checks(report)
    with transaction.atomic():
        # Locks the current run: two samplers at once (a retried task, two beats by mistake) queue up here.
        last = HealthSpan.objects.select_for_update().order_by("-last_sample_at").first()
        now = now or database_now()  # read after the lock: a sampler that waited is stamped after the other
        if last is not None and now <= last.last_sample_at:
            return None
        if (
            last is not None
            and now - last.last_sample_at <= sample_coverage()
            and (last.status, last.failing) == (status, failing)
        ):
            last.last_sample_at, last.samples, last.detail = now, last.samples + 1, _compact(report)
            last.save(update_fields=["last_sample_at", "samples", "detail"])
            return last
        return HealthSpan.objects.create(
            status=status, failing=failing, started_at=now, last_sample_at=now, detail=_compact(report)
        )


def health_history_prune(*, now: datetime | None = None) -> dict:
    """Forget runs that ended before the retention window, and processes not seen for as long."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RECLAMACIONES_HEALTH_RETENTION_DAYS)
    spans, _ = HealthSpan.objects.filter(last_sample_at__lt=cutoff).delete()
    processes, _ = ProcessHeartbeat.objects.filter(last_seen_at__lt=cutoff).delete()
    return {"spans": spans, "processes": processes}


def clean_label(value: str, *, max_length: int) -> str:
    """A hostname, version or state as it may be stored: no control characters, bounded."""
    return _CONTROL.sub("", str(value))[:max_length]


def process_heartbeat_record(
    *,
    role: str,
    hostname: str,
    pid: int,
    started_at: datetime,
    version: str = "",
    state: str = "",
    now: datetime | None = None,
) -> ProcessHeartbeat:
    """This process is alive now, by the database's clock like the samples (one row per host, pid and role,
    updated in place)."""
    now = now or database_now()
    heartbeat, _ = ProcessHeartbeat.objects.update_or_create(
        hostname=clean_label(hostname, max_length=255),
        pid=pid,
        role=role,
        defaults={
            "started_at": started_at,
            "last_seen_at": now,
            "version": clean_label(version, max_length=64),
            "state": clean_label(state, max_length=100),
        },
    )
    return heartbeat


def process_heartbeat_forget(*, role: str, hostname: str, pid: int) -> None:
    """A process that stops cleanly leaves the list at once (a killed one stays, flagged as stale)."""
    ProcessHeartbeat.objects.filter(hostname=clean_label(hostname, max_length=255), pid=pid, role=role).delete()
