"""Reads. Views and services ask here, with the joins already chosen."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .deadlines import NATIONAL_CALENDAR, BusinessCalendar
from .models import Complaint, Establishment, OutboundMessage


def business_calendar_get() -> BusinessCalendar:
    """The calendar deadlines are computed with: Peru's national holidays (extra días no laborables come
    with the deadline-tracking work)."""
    return NATIONAL_CALENDAR


def establishment_list_public() -> QuerySet[Establishment]:
    return Establishment.objects.filter(is_active=True).select_related("provider").order_by("name")


def establishment_get_public(*, slug: str) -> Establishment:
    """The active establishment whose book lives at /libro/<slug>/ (raises Establishment.DoesNotExist)."""
    return establishment_list_public().get(slug=slug)


def complaint_get_by_token(*, token: str) -> Complaint:
    """The hoja behind a tracking link (raises Complaint.DoesNotExist)."""
    return Complaint.objects.select_related("establishment__provider").get(tracking_token=token)


def outbox_due_ids(*, now, limit: int) -> list[int]:
    """Messages the relay must (re)dispatch: pending and due, or stuck in a send whose lease expired."""
    return list(
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
