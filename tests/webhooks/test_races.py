"""No delivery is sent twice when duplicated tasks and two relays race for it (PostgreSQL, real threads, a
real receiver): the claim is one atomic UPDATE, and no lock is held while the request is in flight."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from reclamaciones.webhooks.models import WebhookDelivery, WebhookEvent
from reclamaciones.webhooks.services import webhook_deliver, webhook_relay

from ..celery_support import wait_until
from ..factories import hoja_filed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 8


def test_racing_tasks_and_relays_send_a_delivery_once(establishment, endpoint_for, receiver):
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    receiver.answer(503)  # the attempt made when the filing commits fails: the delivery waits for its retry
    hoja_filed(establishment)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (WebhookDelivery.Status.PENDING, 1, 1)
    due = delivery.next_attempt_at
    receiver.hold.clear()  # the winner's request stays in flight while the others try
    barrier = threading.Barrier(RACERS)
    results: list[bool] = []

    def racer():
        try:
            barrier.wait()
            results.append(webhook_deliver(delivery_pk=delivery.pk, now=due))
        finally:
            connection.close()

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: len(receiver.requests) == 2, timeout=20)
    assert wait_until(lambda: len(results) == RACERS - 1, timeout=20)  # the losers return at once
    # While the winner talks HTTP: no database lock is held on the row (NOWAIT would raise) and two relays see
    # nothing to do (the winner's lease holds it).
    with transaction.atomic():
        in_flight = WebhookDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
    assert in_flight.status == WebhookDelivery.Status.SENDING
    assert webhook_relay(now=due) == 0
    assert webhook_relay(now=due) == 0
    assert webhook_deliver(delivery_pk=delivery.pk, now=due) is False  # a task delivered twice by the broker

    receiver.hold.set()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert len(receiver.requests) == 2  # the failed attempt at commit, then one winner
    done = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (done.status, done.attempts) == (WebhookDelivery.Status.DELIVERED, 2)
