"""End to end with a real Celery worker process and Redis broker: a hoja filed on the web reaches the store's
receiver through the worker, signed; with the broker down at filing time, the relay delivers it later, once."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import Complaint
from reclamaciones.webhooks import tasks
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEvent
from reclamaciones.webhooks.selectors import webhook_due_ids

from ..celery_support import PrivateRedis, producer_broker, wait_until
from ..factories import VALID_FILING, EstablishmentFactory

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(monkeypatch):
    """The worker process reads its settings from the environment: let it call the local receiver."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "true")


def _file(client, establishment) -> Complaint:
    response = client.post(reverse("reclamaciones:file", args=[establishment.slug]), VALID_FILING)
    assert response.status_code == 302
    return Complaint.objects.get(establishment=establishment)


def _delivered(complaint):
    return wait_until(
        lambda: WebhookDelivery.objects.filter(complaint=complaint, status=WebhookDelivery.Status.DELIVERED).first(),
        timeout=30,
        interval=0.2,
    )


@pytest.mark.redis
def test_the_worker_delivers_a_filed_hoja_signed(
    client, machine_redis_url, start_worker, worker_env, receiver, endpoint_for, documented_verify
):
    establishment = EstablishmentFactory()
    endpoint = endpoint_for(establishment, events=[WebhookEvent.FILED])
    worker = start_worker(machine_redis_url)

    with producer_broker(machine_redis_url):
        complaint = _file(client, establishment)

    assert _delivered(complaint), worker.output()
    worker.wait_idle()
    [request] = receiver.requests
    assert json.loads(request.body)["data"]["hoja"]["number"] == complaint.display_number
    assert documented_verify(endpoint.secret, request.headers["X-Libro-Signature"], request.body)


def test_a_broker_outage_at_filing_delays_the_delivery_but_never_loses_it(
    client, settings, tmp_path, start_worker, worker_env, receiver, endpoint_for
):
    settings.WEBHOOKS_RELAY_GRACE_SECONDS = 1
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        establishment = EstablishmentFactory()
        endpoint_for(establishment, events=[WebhookEvent.FILED])
        worker = start_worker(broker.url)
        broker.stop()

        with producer_broker(broker.url):
            complaint = _file(client, establishment)  # the consumer still files
            delivery = WebhookDelivery.objects.get(complaint=complaint)
            assert delivery.status == WebhookDelivery.Status.PENDING
            assert receiver.requests == []

            broker.start()
            assert wait_until(lambda: webhook_due_ids(now=timezone.now(), limit=10) == [delivery.pk])
            tasks.webhook_relay.delay()
            tasks.webhook_relay.delay()  # two beats by mistake

            assert _delivered(complaint), worker.output()
            worker.wait_idle()
    finally:
        broker.stop()
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Libro-Delivery"] == str(delivery.delivery_id)
