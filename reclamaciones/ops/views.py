"""/gestion/estado/: the portal's operating status for supervisors, compliance, auditors and administrators
(D.Leg. 1729: claim channels "permanentemente operativos"). System-wide figures only, no consumer data; the
outbox backlog is narrowed to the reader's establishments."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.views import View

from ..access import AreaRequiredMixin, Role
from ..health import health_report
from ..webhooks.selectors import webhook_failed_count
from . import status as words
from .selectors import health_runs_since, outbox_backlog, process_heartbeat_list
from .services import database_now, sample_coverage
from .uptime import availability, incidents, timeline

OPS_READERS = frozenset({Role.SUPERVISOR, Role.COMPLIANCE, Role.AUDITOR})  # superusers hold every role
WINDOWS = (
    ("Últimas 24 horas", timedelta(hours=24)),
    ("Últimos 7 días", timedelta(days=7)),
    ("Últimos 30 días", timedelta(days=30)),
)
INCIDENTS_SHOWN = 50


class StatusView(AreaRequiredMixin, View):
    area_roles = OPS_READERS
    area_name = "el estado del portal"
    area_roles_words = "supervisión, cumplimiento o auditoría"

    def get(self, request):
        now = database_now()  # the clock the samples and heartbeats were stamped with, whatever this host's
        report = health_report()
        coverage = sample_coverage()
        longest = WINDOWS[-1][1]
        runs = health_runs_since(since=now - longest - coverage)
        segments = timeline(runs, start=now - longest, end=now, coverage=coverage)
        last_sample_at = max((run.last_sample_at for run in runs), default=None)
        stale_after = timedelta(seconds=settings.RECLAMACIONES_PROCESS_STALE_SECONDS)
        processes = [
            {"heartbeat": heartbeat, "stale": now - heartbeat.last_seen_at > stale_after}
            for heartbeat in process_heartbeat_list()
        ]
        context = {
            "now": now,
            "status": report["status"],
            "status_label": words.STATUS_LABELS[report["status"]],
            "status_symbol": words.STATUS_SYMBOLS[report["status"]],
            "status_tone": words.STATUS_TONES[report["status"]],
            "checks": words.check_rows(report),
            "sampler_stale": last_sample_at is None or now - last_sample_at > coverage,
            "last_sample_at": last_sample_at,
            "windows": [self._window(label, span, segments, now) for label, span in WINDOWS],
            "incidents": [self._incident(segment, now) for segment in incidents(segments)[:INCIDENTS_SHOWN]],
            "incidents_shown": INCIDENTS_SHOWN,
            "processes": processes,
            "stale_minutes": settings.RECLAMACIONES_PROCESS_STALE_SECONDS // 60,
            "backlog": outbox_backlog(scope=self.scope),
            "backlog_scoped": not self.scope.is_everything,
            # A webhook given up on is otherwise only in the admin: whoever watches the portal sees it here.
            "webhook_failed_count": webhook_failed_count(scope=self.scope),
            "retention_days": settings.RECLAMACIONES_HEALTH_RETENTION_DAYS,
            "nav": "status",
        }
        return self.render("reclamaciones/staff/status.html", context)

    @staticmethod
    def _window(label, span, segments, now) -> dict:
        spent = availability(segments, start=now - span, end=now)
        return {
            "label": label,
            "up": words.percent(spent.up_percent),
            "degraded": words.duration_words(spent.degraded),
            "error": words.percent(spent.error_percent),
            "no_data": words.percent(spent.no_data_percent),
        }

    @staticmethod
    def _incident(segment, now) -> dict:
        return {
            "start": segment.start,
            "end": None if segment.end >= now else segment.end,
            "duration": words.duration_words(segment.duration),
            "label": words.STATUS_LABELS[segment.status],
            "symbol": words.STATUS_SYMBOLS[segment.status],
            "tone": words.STATUS_TONES[segment.status],
            "checks": [words.CHECK_LABELS[name] for name in segment.failing if name in words.CHECK_LABELS],
            "no_data": segment.status == "no_data",
        }
