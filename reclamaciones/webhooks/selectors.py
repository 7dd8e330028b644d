"""Reads of the webhooks: which endpoints hear of an event, deliveries due for dispatch, failures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..access import Scope
from ..book.models import Complaint, Establishment
from .models import WebhookDelivery, WebhookEndpoint


class Route(NamedTuple):
    endpoint_id: int
    created_at: datetime  # an overdue hoja is news only to endpoints that existed when it became overdue


def webhook_routes(*, event: str, establishment_ids: Iterable[int]) -> dict[int, list[Route]]:
    """For each establishment of `establishment_ids`, the active endpoints subscribed to `event` that cover it
    (its provider's endpoints, unless they are limited to other establishments). One query."""
    wanted = set(establishment_ids)
    rows = (
        WebhookEndpoint.objects.filter(is_active=True, provider__establishments__in=wanted)
        .order_by()
        .values_list("pk", "created_at", "events", "provider__establishments", "establishments")
    )
    covered: dict[int, set[int]] = defaultdict(set)  # endpoint -> establishments it is limited to
    provider_establishments: dict[int, set[int]] = defaultdict(set)
    subscribed: dict[int, datetime] = {}
    for endpoint_id, created_at, events, provider_establishment, limited_to in rows:
        if event not in (events or []):
            continue
        subscribed[endpoint_id] = created_at
        provider_establishments[endpoint_id].add(provider_establishment)
        if limited_to is not None:
            covered[endpoint_id].add(limited_to)
    routes: dict[int, list[Route]] = defaultdict(list)
    for endpoint_id in sorted(subscribed):
        for establishment_id in (covered.get(endpoint_id) or provider_establishments[endpoint_id]) & wanted:
            routes[establishment_id].append(Route(endpoint_id, subscribed[endpoint_id]))
    return dict(routes)


def webhook_overdue_untold(*, complaint_ids: Iterable[int], event: str, fields: Iterable[str]) -> QuerySet[Complaint]:
    """Of `complaint_ids` (hojas past their due date), those no endpoint was told about for their current due
    date yet, and whose provider has an active endpoint for `event` at all: an anti-join, so the sweep, which
    finds the same overdue hojas every 15 minutes, reads none of them again once they were announced."""
    told = WebhookDelivery.objects.filter(complaint=OuterRef("pk"), event=event, due_date=OuterRef("due_date"))
    listening = WebhookEndpoint.objects.filter(
        provider=OuterRef("establishment__provider"), is_active=True, events__contains=[event]
    )
    return (
        Complaint.objects.filter(pk__in=list(complaint_ids))
        .filter(~Exists(told), Exists(listening))
        .order_by("pk")
        .only(*fields)
    )


def webhook_endpoints_in(*, scope: Scope) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the providers `scope` works for (a provider is in scope through any of its
    establishments)."""
    endpoints = WebhookEndpoint.objects.all()
    if scope.is_everything:
        return endpoints
    providers = Establishment.objects.filter(pk__in=scope.establishment_ids).values("provider_id")
    return endpoints.filter(provider_id__in=providers)


def webhook_endpoint_reach(*, endpoint: WebhookEndpoint) -> set[int]:
    """The establishments whose hojas `endpoint` hears of."""
    limited = set(endpoint.establishments.values_list("pk", flat=True)) if endpoint.pk else set()
    return limited or set(Establishment.objects.filter(provider_id=endpoint.provider_id).values_list("pk", flat=True))


def webhook_due_ids(*, now: datetime, limit: int) -> list[int]:
    """Deliveries the relay must (re)dispatch: pending, due and not waiting in the queue already, or stuck in a
    send whose lease expired (index status, next_attempt_at)."""
    return list(
        WebhookDelivery.objects.filter(
            Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            | Q(status=WebhookDelivery.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_failed_count(*, scope: Scope) -> int:
    """Deliveries given up after their whole retry schedule, about hojas in `scope`."""
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
    return scope.filter(failed, path="complaint__establishment").count()
