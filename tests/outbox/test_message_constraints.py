"""An outbound message marked sent always has its sent_at (database constraint)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reclamaciones.outbox.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "sent_at", "violates"),
    [
        pytest.param(OutboundMessage.Status.PENDING, None, False, id="pending-without-sent_at"),
        pytest.param(OutboundMessage.Status.FAILED, None, False, id="failed-without-sent_at"),
        pytest.param(OutboundMessage.Status.SENT, "now", False, id="sent-with-sent_at"),
        pytest.param(OutboundMessage.Status.SENT, None, True, id="sent-without-sent_at"),
    ],
)
def test_outbox_sent_has_sent_at(status, sent_at, violates):
    values = {
        "kind": OutboundMessage.Kind.SHEET_COPY,
        "recipient": "maria@example.pe",
        "idempotency_key": "test:1",
        "status": status,
        "sent_at": timezone.now() if sent_at == "now" else sent_at,
    }
    if violates:
        with pytest.raises(IntegrityError, match="outbox_sent_has_sent_at"), transaction.atomic():
            OutboundMessage.objects.create(**values)
        assert not OutboundMessage.objects.exists()
    else:
        OutboundMessage.objects.create(**values)
        assert OutboundMessage.objects.count() == 1


def test_marking_a_message_sent_without_sent_at_is_refused_by_the_database():
    message = OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.SHEET_COPY, recipient="maria@example.pe", idempotency_key="test:2"
    )

    with pytest.raises(IntegrityError, match="outbox_sent_has_sent_at"), transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENT)

    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.PENDING
