"""Reads for the status page: the history runs, the processes and the outbox backlog."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q

from ..access import Scope
from ..outbox.models import OutboundMessage
from .models import HealthSpan, ProcessHeartbeat
from .uptime import Run


def health_runs_since(*, since: datetime) -> list[Run]:
    """The runs that may cover time after `since` (index on last_sample_at), oldest first."""
    rows = (
        HealthSpan.objects.filter(last_sample_at__gte=since)
        .order_by("started_at")
        .values_list("started_at", "last_sample_at", "status", "failing")
    )
    return [Run(started, last, status, tuple(failing)) for started, last, status, failing in rows]


def health_last_sample_at() -> datetime | None:
    return HealthSpan.objects.order_by("-last_sample_at").values_list("last_sample_at", flat=True).first()


def process_heartbeat_list() -> list[ProcessHeartbeat]:
    return list(ProcessHeartbeat.objects.order_by("role", "hostname", "pid"))


def outbox_backlog(*, scope: Scope) -> dict:
    """Messages not sent yet, by status, and the oldest one waiting: one aggregate query. Narrowed to the
    scope's hojas; messages about no hoja (staff notices, alarms) count only for a scope over every
    establishment."""
    unsent = [OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING, OutboundMessage.Status.FAILED]
    # Scope.filter leaves the whole table to a scope over every establishment, hoja-less messages included.
    messages = scope.filter(OutboundMessage.objects.filter(status__in=unsent), path="complaint__establishment")
    waiting = Q(status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING])
    return messages.aggregate(
        pending=Count("pk", filter=Q(status=OutboundMessage.Status.PENDING)),
        sending=Count("pk", filter=Q(status=OutboundMessage.Status.SENDING)),
        failed=Count("pk", filter=Q(status=OutboundMessage.Status.FAILED)),
        oldest_waiting=Min("created_at", filter=waiting),
    )
