"""Signed webhooks: every event a store subscribed to is a delivery row written in the transaction of the event,
then a Celery task, then a delivered mark, on the outbox's model (outbox.services):

- `webhook_emit` runs inside the transaction that files, answers, escalates or settles a hoja; the delivery
  tasks are queued on commit. A broker outage only delays them: `webhook_relay` (beat, every minute) dispatches
  what is still owed.
- `webhook_deliver` claims the row with a lease (one atomic UPDATE, no lock held while talking HTTP), so
  duplicated tasks and two relays never send what was already delivered or is being sent.
- The outbox's retry policy (`retry_delay`: doubled per attempt, capped) with its own settings; only the relay
  dispatches a retry, and the claim refuses a delivery before its next attempt is due. After the last attempt
  the delivery is failed, logged as an error and shown in the admin (a banner and a filter), where it can be
  sent again.

The payload is thin: ids, number, establishment code, status, legal deadline and the API URL to fetch the rest.
Nothing the consumer typed is in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..access import Scope
from ..book.models import Complaint, Establishment, Provider
from ..deadlines.clock import lima_midnight
from ..outbox.services import retry_delay
from . import signing, transport
from .keys import delivery_key, event_id, event_key
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import Route, webhook_due_ids, webhook_endpoint_reach, webhook_overdue_untold, webhook_routes
from .tasks import webhook_deliver as webhook_deliver_task
from .tasks import webhook_fanout as webhook_fanout_task

logger = logging.getLogger(__name__)

API_HOJA_PATH = "/api/v1/hojas/{pk}/"  # the API's read of one hoja (issue 14 §3), by Complaint primary key
USER_AGENT = "LibroDeReclamaciones-Webhooks/1.0"
# What webhook_payload reads of a hoja (and nothing the consumer typed).
PAYLOAD_FIELDS = (
    "pk",
    "establishment_id",
    "number",
    "year",
    "establishment_code",
    "kind",
    "status",
    "channel",
    "filed_at",
    "due_date",
)

MSG_NO_EVENTS = "Elige al menos un evento."
MSG_UNKNOWN_EVENT = "Evento desconocido: {event}."
MSG_OUT_OF_SCOPE = "Solo puedes elegir establecimientos que atiendes."
MSG_OTHER_PROVIDER = "Elige establecimientos del mismo proveedor del webhook."
MSG_WHOLE_PROVIDER = (
    "Elige los establecimientos que atiendes: sin elegir ninguno, el webhook recibiría las hojas de todos los "
    "establecimientos del proveedor."
)
MSG_PROVIDER_OUT_OF_SCOPE = "No atiendes ningún establecimiento de este proveedor."
MSG_ENDPOINT_INACTIVE = "El webhook está desactivado: la entrega no se envió."


class WebhookDeliveryError(Exception):
    """The attempt failed; the row records why and when it is tried again (or that it was given up)."""


def _retry_delay(attempts: int) -> timedelta:
    return retry_delay(
        attempts=attempts,
        base_seconds=settings.WEBHOOKS_RETRY_BASE_SECONDS,
        max_seconds=settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )


def _grace() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_RELAY_GRACE_SECONDS)


# Endpoints ------------------------------------------------------------------------------------------------------


def webhook_endpoint_check(
    *, scope: Scope, provider: Provider, url: str, events: Iterable[str], establishment_ids: Iterable[int]
) -> None:
    """Raise ValidationError (Spanish, per field) unless `scope` may point these events of `provider` at `url`:
    a public https URL, known events, establishments of that provider that `scope` sees; and a scoped user
    cannot leave the list empty (all the provider's establishments) unless they see every one of them."""
    errors: dict[str, list[str]] = {}
    refused = transport.url_refusal(url)
    if refused:
        errors["url"] = [refused]
    events = list(events)
    if not events:
        errors["events"] = [MSG_NO_EVENTS]
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        errors["events"] = [MSG_UNKNOWN_EVENT.format(event=unknown[0])]
    chosen = set(establishment_ids)
    theirs = set(Establishment.objects.filter(provider=provider).values_list("pk", flat=True))
    if not any(scope.allows(pk) for pk in theirs):
        errors["provider"] = [MSG_PROVIDER_OUT_OF_SCOPE]
    elif chosen - theirs:
        errors["establishments"] = [MSG_OTHER_PROVIDER]
    elif not all(scope.allows(pk) for pk in chosen or theirs):
        errors["establishments"] = [MSG_OUT_OF_SCOPE if chosen else MSG_WHOLE_PROVIDER]
    if errors:
        raise ValidationError(errors)


def webhook_endpoint_create(
    *,
    scope: Scope,
    provider: Provider,
    url: str,
    events: list[str],
    establishment_ids: Iterable[int] = (),
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (to be shown once: the admin never shows it again)."""
    establishment_ids = list(establishment_ids)
    webhook_endpoint_check(scope=scope, provider=provider, url=url, events=events, establishment_ids=establishment_ids)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            provider=provider, url=url, events=list(events), description=description, secret=signing.secret_new()
        )
        endpoint.establishments.set(establishment_ids)
    return endpoint, endpoint.secret


def webhook_endpoint_editable(*, scope: Scope, endpoint: WebhookEndpoint) -> bool:
    """May `scope` change (or rotate the secret of) `endpoint`: only if it sees every establishment it reaches."""
    return all(scope.allows(pk) for pk in webhook_endpoint_reach(endpoint=endpoint))


def webhook_secret_rotate(*, scope: Scope, endpoint_id: int, now: datetime | None = None) -> str:
    """A new secret for the endpoint, returned once. The previous one keeps signing (a second v1=) for
    WEBHOOKS_SECRET_OVERLAP_HOURS, so the store can deploy the new one without a failed verification."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if not webhook_endpoint_editable(scope=scope, endpoint=endpoint):
            raise ValidationError(MSG_OUT_OF_SCOPE)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(hours=settings.WEBHOOKS_SECRET_OVERLAP_HOURS)
        endpoint.secret = signing.secret_new()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    return endpoint.secret


# Emission -------------------------------------------------------------------------------------------------------


def webhook_payload(*, event: str, key: str, complaint: Complaint, occurred_at: datetime) -> dict:
    """What the store receives: enough to act and to fetch the rest through the API, no personal data. Without
    its "id", which is per endpoint (webhook_emit adds it)."""
    return {
        "event_id": event_id(key=key),
        "type": event,
        "occurred_at": occurred_at.isoformat(),
        "data": {
            "hoja": {
                "id": complaint.pk,
                "number": complaint.display_number,
                "establishment_code": complaint.establishment_code,
                "kind": complaint.kind,
                "status": complaint.status,
                "channel": complaint.channel,
                "filed_at": complaint.filed_at.isoformat(),
                "due_date": complaint.due_date.isoformat(),
            },
            "url": settings.PORTAL_BASE_URL + API_HOJA_PATH.format(pk=complaint.pk),
        },
    }


def webhook_emit(
    *,
    event: str,
    complaints: Iterable[Complaint],
    now: datetime | None = None,
    fresh: bool = False,
    routes: dict[int, list[Route]] | None = None,
    created_by: Callable[[Complaint], datetime] | None = None,
) -> int:
    """Write, in the caller's transaction, one delivery per subscribed endpoint for each hoja of `complaints`
    (an overdue hoja is news once per due date it misses). Idempotent: an event already recorded for an endpoint
    is skipped. The deliveries are handed to the workers when the transaction commits. Returns how many were
    written. A constant number of queries: the endpoints (none if the caller passes `routes`, read earlier with
    webhook_routes), the keys already recorded (none for `fresh` hojas: the caller knows nothing is recorded
    about them yet) and one INSERT. `created_by`: a hoja's event goes only to endpoints created by then."""
    now = now or timezone.now()
    complaints = list(complaints)
    if not complaints:
        return 0
    if routes is None:
        routes = webhook_routes(event=event, establishment_ids={c.establishment_id for c in complaints})
    rows = []
    for complaint in complaints:
        due = complaint.due_date if event == WebhookEvent.OVERDUE else None
        key = event_key(event=event, complaint_id=complaint.pk, due_date=due)
        payload = webhook_payload(event=event, key=key, complaint=complaint, occurred_at=now)
        since = created_by(complaint) if created_by is not None else None
        for endpoint_id, endpoint_created_at in routes.get(complaint.establishment_id, []):
            if since is not None and endpoint_created_at > since:
                continue
            idempotency_key = delivery_key(key=key, endpoint_id=endpoint_id)
            rows.append(
                WebhookDelivery(
                    endpoint_id=endpoint_id,
                    complaint_id=complaint.pk,
                    event=event,
                    idempotency_key=idempotency_key,
                    # Signed and fixed here, so the same on every retry: what the receiver deduplicates on.
                    payload={"id": event_id(key=idempotency_key), **payload},
                    due_date=due,
                    occurred_at=now,
                    next_attempt_at=now,
                    lease_until=now + _grace(),  # dispatched on commit: the relay waits before taking it over
                )
            )
    if rows and not fresh:
        # The sweep finds an overdue hoja again every 15 minutes: known events are not even offered to the INSERT.
        known = set(
            WebhookDelivery.objects.filter(idempotency_key__in=[row.idempotency_key for row in rows]).values_list(
                "idempotency_key", flat=True
            )
        )
        rows = [row for row in rows if row.idempotency_key not in known]
    if not rows:
        return 0
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent twin loses quietly
    delivery_ids = [row.delivery_id for row in rows]  # ours: a skipped duplicate's uuid matches no row
    transaction.on_commit(lambda: _dispatch_new(delivery_ids))
    return len(rows)


def webhook_overdue_since(complaint: Complaint) -> datetime:
    """When a hoja became overdue: the start (Lima) of the day after its due date."""
    return lima_midnight(complaint.due_date + timedelta(days=1))


def webhook_emit_overdue(*, complaint_ids: Iterable[int], now: datetime | None = None) -> int:
    """complaint.overdue for the hojas the deadline sweep found past their due date. The sweep finds them again
    every 15 minutes: one query (an anti-join) keeps those not announced yet for this due date, so a sweep with
    nothing new costs just that. Only endpoints that existed when the hoja became overdue hear of it: one
    created today is not sent the overdue hojas of last year. An endpoint inactive at that first announcement
    misses it (the others were told: the hoja is not announced again for this due date)."""
    complaint_ids = list(complaint_ids)
    if not complaint_ids:
        return 0
    untold = webhook_overdue_untold(complaint_ids=complaint_ids, event=WebhookEvent.OVERDUE, fields=PAYLOAD_FIELDS)
    return webhook_emit(
        event=WebhookEvent.OVERDUE, complaints=untold, now=now, fresh=True, created_by=webhook_overdue_since
    )


def _dispatch_new(delivery_ids: list) -> None:
    ids = list(
        WebhookDelivery.objects.filter(delivery_id__in=delivery_ids, status=WebhookDelivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if len(ids) == 1:
        webhook_dispatch(delivery_pk=ids[0])
    elif ids:
        # One publish for many (a sweep finding a hundred overdue hojas): a fan-out task queues each delivery.
        try:
            webhook_fanout_task.delay(ids)
        except Exception:
            logger.warning("webhooks: could not queue %s deliveries; the relay will send them", len(ids), exc_info=True)


def webhook_dispatch(*, delivery_pk: int, now: datetime | None = None) -> None:
    """Hand a delivery to a worker. Never raises: with the broker down, the relay dispatches it later.
    `now` is passed on only when a caller injected one (tests simulating hours of outage)."""
    args = (delivery_pk,) if now is None else (delivery_pk, now.isoformat())
    try:
        webhook_deliver_task.delay(*args)
    except Exception:
        logger.warning("webhooks: could not queue delivery %s; the relay will send it", delivery_pk, exc_info=True)


# Delivery -------------------------------------------------------------------------------------------------------


def webhook_request(*, delivery: WebhookDelivery, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of an attempt: signed now, with every secret the endpoint signs with right now."""
    body = signing.body_encode(delivery.payload)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"{USER_AGENT} (+{settings.PORTAL_BASE_URL})",
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.delivery_id),
        signing.ATTEMPT_HEADER: str(delivery.attempts),
        signing.SIGNATURE_HEADER: signing.signature_header(
            secrets=delivery.endpoint.signing_secrets(now), timestamp=timestamp, body=body
        ),
    }
    return body, headers


def webhook_deliver(*, delivery_pk: int, now: datetime | None = None) -> bool:
    """Send one delivery if nobody has delivered or is sending it. True when this call delivered it.
    Raises WebhookDeliveryError when the attempt failed (the row records it and when to retry)."""
    now = now or timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_pk)
        .filter(
            Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=WebhookDelivery.Status.SENDING, lease_until__lt=now)
        )
        .update(
            status=WebhookDelivery.Status.SENDING,
            lease_until=now + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_pk)
    if not delivery.endpoint.is_active:
        _record_failure(delivery, now, error=MSG_ENDPOINT_INACTIVE, give_up=True)
        raise WebhookDeliveryError(MSG_ENDPOINT_INACTIVE)
    body, headers = webhook_request(delivery=delivery, now=now)
    try:
        result = transport.post(url=delivery.endpoint.url, body=body, headers=headers)
    except transport.TransportRefused as exc:
        _record_failure(delivery, now, error=f"Dirección rechazada: {exc}")
        raise WebhookDeliveryError(str(exc)) from exc
    except Exception as exc:  # network: refused, reset, timeout, TLS, malformed answer
        _record_failure(delivery, now, error=f"{type(exc).__name__}: {exc}")
        raise WebhookDeliveryError(str(exc)) from exc
    if not 200 <= result.status < 300:
        # A redirect is an answer too: following it would send the signed body somewhere nobody checked.
        _record_failure(delivery, now, error=f"HTTP {result.status}", status=result.status, response=result.body)
        raise WebhookDeliveryError(f"HTTP {result.status}")

    delivered_at = max(timezone.now(), now)  # never before the attempt (a test's clock may run ahead)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.DELIVERED,
        delivered_at=delivered_at,
        lease_until=None,
        last_status_code=result.status,
        last_error="",
        last_response=result.body,
        updated_at=delivered_at,
    )
    return True


def _record_failure(
    delivery: WebhookDelivery,
    now: datetime,
    *,
    error: str,
    status: int | None = None,
    response: str = "",
    give_up: bool = False,
) -> None:
    gave_up = give_up or delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if gave_up else WebhookDelivery.Status.PENDING,
        lease_until=None,
        last_status_code=status,
        last_error=error[:2000],
        last_response=response,
        next_attempt_at=now + _retry_delay(delivery.attempts),
        updated_at=now,
    )
    if gave_up:
        logger.error("webhooks: delivery %s given up after %s attempts: %s", delivery.pk, delivery.attempts, error)
    else:
        logger.warning("webhooks: delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)


def webhook_relay(*, now: datetime | None = None) -> int:
    """Re-dispatch every delivery still owed (broker was down, worker died, a retry is due). Returns how many."""
    injected = now
    now = now or timezone.now()
    ids = webhook_due_ids(now=now, limit=settings.WEBHOOKS_RELAY_BATCH)
    if not ids:
        return 0
    # The queue holds what was dispatched: the next passes leave it alone for the grace period.
    WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.PENDING).update(lease_until=now + _grace())
    for delivery_pk in ids:
        webhook_dispatch(delivery_pk=delivery_pk, now=injected)
    return len(ids)


def webhook_resend(*, scope: Scope, delivery_pk: int) -> bool:
    """Staff action: put a failed (or pending) delivery about a hoja in `scope` back in line now, with a fresh
    attempt budget. The same X-Libro-Delivery id: a receiver that did get it can drop it. True if re-queued."""
    now = timezone.now()
    deliveries = scope.filter(WebhookDelivery.objects.filter(pk=delivery_pk), path="complaint__establishment")
    updated = deliveries.filter(status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.PENDING]).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, lease_until=now + _grace(), attempts=0
    )
    if updated:
        transaction.on_commit(lambda: webhook_dispatch(delivery_pk=delivery_pk))
    return bool(updated)
