"""Reads of the outbox: messages due for dispatch, failures, and who receives staff notices and alarms."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import (
    Q,
)

from .models import OutboundMessage


def staff_emails_by_establishment(*, role: str, establishment_ids: Iterable[int]) -> dict[int, list[str]]:
    """E-mails of the active staff of `role` who work for each establishment (one query)."""
    wanted = set(establishment_ids)
    rows = (
        get_user_model()
        .objects.filter(groups__name=role, is_active=True, staff_profile__isnull=False)
        .exclude(email="")
        .values_list("email", "staff_profile__all_establishments", "staff_profile__establishments")
    )
    emails: dict[int, list[str]] = {pk: [] for pk in wanted}
    for email, everywhere, establishment_id in rows:
        for pk in wanted if everywhere else ({establishment_id} & wanted):
            if email not in emails[pk]:
                emails[pk].append(email)
    return emails


def superuser_emails() -> list[str]:
    """E-mails of the active administrators (the last resort of an alarm nobody else would receive)."""
    return list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def outbox_failed_count() -> int:
    """Messages given up after their whole retry schedule (index status, next_attempt_at)."""
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count()


def outbox_due_ids(*, now, limit: int) -> list[int]:
    """Messages the relay must (re)dispatch: pending, due and not waiting in the queue already, or stuck in a
    send whose lease expired (outbox.services explains the leases)."""
    return list(
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            | Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
