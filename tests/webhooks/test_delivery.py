"""Delivering a webhook to a real HTTP receiver on localhost: signed so the store can verify it with the snippet
of docs/webhooks.md, retried on the outbox's backoff through hours of outage, given up (visible, re-sendable)
after the last attempt, never followed through a redirect, and the response logged truncated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.outbox.services import retry_span
from reclamaciones.webhooks import keys, signing
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from reclamaciones.webhooks.services import (
    WebhookDeliveryError,
    webhook_deliver,
    webhook_emit,
    webhook_relay,
    webhook_resend,
    webhook_secret_rotate,
)

from ..factories import hoja_filed

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(establishment, endpoint_for):
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    hoja_filed(establishment)
    return WebhookDelivery.objects.get()


def _fresh(delivery) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=delivery.pk)


def test_a_delivery_reaches_the_receiver_signed_and_verifiable(delivery, receiver, documented_verify):
    assert webhook_deliver(delivery_pk=delivery.pk) is True

    [request] = receiver.requests
    secret = delivery.endpoint.secret
    headers = request.headers
    assert request.path == "/hooks/libro"
    assert json.loads(request.body) == delivery.payload
    assert headers["X-Libro-Event"] == "complaint.filed"
    assert headers["X-Libro-Delivery"] == str(delivery.delivery_id)
    assert headers["User-Agent"].startswith("LibroDeReclamaciones-Webhooks/1.0")
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert documented_verify(secret, headers["X-Libro-Signature"], request.body) is True
    # The snippet refuses what a store must refuse: another secret, a changed body, an old timestamp.
    assert documented_verify("whsec_otro", headers["X-Libro-Signature"], request.body) is False
    assert documented_verify(secret, headers["X-Libro-Signature"], request.body.replace(b"}", b" }", 1)) is False
    timestamp = int(headers["X-Libro-Signature"].split(",")[0][2:])
    assert documented_verify(secret, headers["X-Libro-Signature"], request.body, now=timestamp + 301) is False
    assert documented_verify(secret, "t=abc,v1=00", request.body) is False

    delivered = _fresh(delivery)
    assert delivered.status == WebhookDelivery.Status.DELIVERED
    assert (delivered.attempts, delivered.last_status_code, delivered.last_error) == (1, 204, "")
    assert delivered.delivered_at is not None


def _signed_now(secret: str, body: bytes) -> tuple[int, str]:
    timestamp = int(timezone.now().timestamp())
    return timestamp, signing.signature(secret=secret, timestamp=timestamp, body=body)


@pytest.mark.parametrize(
    "header",
    [
        "t={t},garbage",  # a part that is not key=value
        "t={t},v1=ñ",  # non-ASCII: compare_digest would raise TypeError
        "t={t},v1={good},garbage",  # a valid signature does not excuse the rest
        "t={t},v1={good},=x",
        "t={t},t={t},v1={good}",  # two timestamps: which one was signed?
        "t=,v1={good}",
        "t=+{t},v1={good}",  # int() would take it
        "t=١٢٣,v1={good}",  # Arabic-Indic digits: int() would take them too
        "t={t}.0,v1={good}",
        "v1={good}",  # no timestamp
        "t={t}",  # no signature
        "t={t},v1=",
        "",
        ",",
        "t={t},,v1={good}",
        "t={t},v1={good}\u00a0",
    ],
)
def test_the_documented_snippet_refuses_a_malformed_header_without_raising(documented_verify, header):
    secret, body = "whsec_x", b'{"id":"1"}'
    timestamp, good = _signed_now(secret, body)
    header = header.format(t=timestamp, good=good)

    assert documented_verify(secret, header, body) is False


def test_the_documented_snippet_refuses_what_is_not_a_header(documented_verify):
    assert documented_verify("whsec_x", None, b"{}") is False  # request.headers.get() of a missing header
    assert documented_verify("whsec_x", b"t=1,v1=00", b"{}") is False


def test_the_documented_snippet_ignores_other_schemes_and_spaces(documented_verify):
    secret, body = "whsec_x", b'{"id":"1"}'
    timestamp, good = _signed_now(secret, body)

    assert documented_verify(secret, f"t={timestamp}, v1={'0' * 64}, v2=future, v1={good}", body) is True


def test_the_payload_id_is_the_same_on_every_attempt_and_differs_per_endpoint_and_event(
    establishment, endpoint_for, receiver
):
    """Receivers deduplicate on the signed payload's id (X-Libro-Delivery is not signed): fixed at emission."""
    endpoint_for(establishment, path="/a")
    endpoint_for(establishment, path="/b")
    hoja = hoja_filed(establishment)
    webhook_emit(event=WebhookEvent.ANSWERED, complaints=[hoja])
    filed = list(WebhookDelivery.objects.filter(event=WebhookEvent.FILED).order_by("endpoint_id"))
    answered = list(WebhookDelivery.objects.filter(event=WebhookEvent.ANSWERED).order_by("endpoint_id"))
    first = filed[0]
    receiver.answer(500)
    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=first.pk)
    receiver.answer(204)
    assert webhook_deliver(delivery_pk=first.pk, now=timezone.now() + timedelta(hours=1)) is True
    assert webhook_resend(scope=Scope.everything(), delivery_pk=first.pk) is False  # delivered: nothing to redo

    ids = [json.loads(request.body)["id"] for request in receiver.requests]
    assert len(ids) == 2
    assert ids[0] == ids[1] == first.payload["id"]
    assert len({d.payload["id"] for d in filed + answered}) == 4  # per endpoint and per event
    assert {d.payload["event_id"] for d in filed} == {filed[0].payload["event_id"]}  # the event, shared
    # Derived, not random: an emission repeated (a retried request) would carry the very same id.
    assert first.payload["id"] == keys.event_id(key=first.idempotency_key)


def test_delivered_after_commit_through_the_task(
    establishment, endpoint_for, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(establishment)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hoja = hoja_filed(establishment)
    assert receiver.requests == []  # nothing leaves before the filing commits

    for callback in callbacks:
        callback()  # test settings run Celery eagerly: the task runs here

    [request] = receiver.requests
    assert json.loads(request.body)["data"]["hoja"]["id"] == hoja.pk
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_a_failed_attempt_waits_the_backoff_and_only_then_is_retried(delivery, receiver, settings):
    receiver.answer(500, b"caido", times=2)
    now = timezone.now()

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk, now=now)
    failed = _fresh(delivery)
    assert failed.status == WebhookDelivery.Status.PENDING
    assert (failed.last_status_code, failed.last_error, failed.last_response) == (500, "HTTP 500", "caido")
    assert failed.next_attempt_at == now + timedelta(seconds=settings.WEBHOOKS_RETRY_BASE_SECONDS)

    # Before it is due, nobody retries it: not a duplicated task, not the relay.
    assert webhook_deliver(delivery_pk=delivery.pk, now=now + timedelta(seconds=29)) is False
    assert webhook_relay(now=now + timedelta(seconds=29)) == 0
    assert len(receiver.requests) == 1

    later = failed.next_attempt_at
    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk, now=later)
    assert _fresh(delivery).next_attempt_at == later + timedelta(seconds=2 * settings.WEBHOOKS_RETRY_BASE_SECONDS)

    assert webhook_relay(now=_fresh(delivery).next_attempt_at) == 1  # eager: the relay's task delivers it
    delivered = _fresh(delivery)
    assert delivered.status == WebhookDelivery.Status.DELIVERED
    assert delivered.attempts == 3
    assert len({r.headers["X-Libro-Delivery"] for r in receiver.requests}) == 1  # the same id on every attempt
    assert [r.headers["X-Libro-Attempt"] for r in receiver.requests] == ["1", "2", "3"]


def test_a_receiver_down_for_hours_gets_the_delivery_when_it_is_back(delivery, receiver):
    receiver.stop()
    clock = timezone.now()
    while clock < delivery.created_at + timedelta(hours=6):
        webhook_relay(now=clock)  # eager: each dispatched attempt runs now, and fails (connection refused)
        clock = max(_fresh(delivery).next_attempt_at, clock + timedelta(seconds=1))
    down = _fresh(delivery)
    assert down.status == WebhookDelivery.Status.PENDING
    assert "ConnectionRefusedError" in down.last_error
    assert 10 <= down.attempts <= 20  # 30 s, 1 min, ... then hourly

    receiver.start()  # same port
    webhook_relay(now=down.next_attempt_at)

    [request] = receiver.requests
    assert request.headers["X-Libro-Delivery"] == str(delivery.delivery_id)
    assert _fresh(delivery).status == WebhookDelivery.Status.DELIVERED
    assert webhook_relay(now=down.next_attempt_at + timedelta(hours=1)) == 0
    assert len(receiver.requests) == 1


def test_after_the_last_attempt_the_delivery_is_failed_and_can_be_sent_again(delivery, receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    receiver.answer(503, times=3)
    clock = timezone.now()
    for _ in range(3):
        with pytest.raises(WebhookDeliveryError):
            webhook_deliver(delivery_pk=delivery.pk, now=clock)
        clock = _fresh(delivery).next_attempt_at

    failed = _fresh(delivery)
    assert failed.status == WebhookDelivery.Status.FAILED
    assert webhook_relay(now=clock + timedelta(days=30)) == 0  # given up: the relay leaves it alone
    assert len(receiver.requests) == 3

    assert webhook_resend(scope=Scope.everything(), delivery_pk=delivery.pk) is True
    assert webhook_deliver(delivery_pk=delivery.pk) is True
    assert receiver.requests[-1].headers["X-Libro-Delivery"] == str(delivery.delivery_id)
    assert _fresh(delivery).status == WebhookDelivery.Status.DELIVERED


def test_a_redirect_is_not_followed(delivery, receiver):
    receiver.answer(302, headers={"Location": receiver.url("/elsewhere")})

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)

    assert [r.path for r in receiver.requests] == ["/hooks/libro"]
    assert _fresh(delivery).last_status_code == 302


def test_the_logged_response_is_truncated(delivery, receiver, settings):
    receiver.answer(500, b"<html>" + b"x" * 100_000)

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)

    assert len(_fresh(delivery).last_response) == settings.WEBHOOKS_RESPONSE_LOG_BYTES


def test_a_deactivated_endpoint_is_not_called(delivery, receiver):
    WebhookEndpoint.objects.update(is_active=False)

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)

    assert receiver.requests == []
    assert _fresh(delivery).status == WebhookDelivery.Status.FAILED


def test_during_a_rotation_both_secrets_verify_and_afterwards_only_the_new_one(
    delivery, receiver, documented_verify, establishment, settings
):
    old = delivery.endpoint.secret
    now = timezone.now()
    new = webhook_secret_rotate(scope=Scope.everything(), endpoint_id=delivery.endpoint_id, now=now)
    assert new != old
    assert new.startswith("whsec_")

    webhook_deliver(delivery_pk=delivery.pk, now=now)
    [request] = receiver.requests
    header = request.headers["X-Libro-Signature"]
    assert header.count("v1=") == 2
    assert documented_verify(old, header, request.body, now=now.timestamp())
    assert documented_verify(new, header, request.body, now=now.timestamp())

    hoja_filed(establishment)
    after = now + timedelta(hours=settings.WEBHOOKS_SECRET_OVERLAP_HOURS, seconds=1)
    webhook_deliver(delivery_pk=WebhookDelivery.objects.exclude(pk=delivery.pk).get().pk, now=after)
    header = receiver.requests[-1].headers["X-Libro-Signature"]
    assert header.count("v1=") == 1
    assert documented_verify(new, header, receiver.requests[-1].body, now=after.timestamp())
    assert not documented_verify(old, header, receiver.requests[-1].body, now=after.timestamp())


def test_a_send_stuck_in_a_dead_worker_is_taken_over_after_its_lease(delivery, receiver, settings):
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.SENDING, attempts=1, lease_until=now + timedelta(seconds=60)
    )
    assert webhook_relay(now=now) == 0  # its worker may still be sending

    assert webhook_relay(now=now + timedelta(seconds=61)) == 1

    assert len(receiver.requests) == 1
    assert _fresh(delivery).status == WebhookDelivery.Status.DELIVERED


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(delivery, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    receiver.hold.clear()  # it reads the request and never answers

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)
    receiver.hold.set()

    failed = _fresh(delivery)
    assert failed.status == WebhookDelivery.Status.PENDING
    assert "timed out" in failed.last_error


def test_the_default_schedule_outlasts_72_hours_and_the_lease_outlasts_a_killed_attempt(settings):
    span = retry_span(
        max_attempts=settings.WEBHOOKS_MAX_ATTEMPTS,
        base_seconds=settings.WEBHOOKS_RETRY_BASE_SECONDS,
        max_seconds=settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )

    assert span >= timedelta(hours=72)
    assert settings.WEBHOOKS_LEASE_SECONDS > settings.CELERY_TASK_TIME_LIMIT
