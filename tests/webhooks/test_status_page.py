"""A delivery given up reaches whoever watches the portal: /gestion/estado/ counts the failed webhook deliveries
next to the e-mail backlog, narrowed like it to the reader's establishments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEvent

from ..factories import EstablishmentFactory, hoja_filed, staff_user

pytestmark = pytest.mark.django_db

URL = reverse("staff:status")


@pytest.fixture
def failed(establishment, endpoint_for):
    """One failed delivery about a hoja of `establishment`, two about another provider's establishment."""
    other = EstablishmentFactory(name="Otra empresa")
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    endpoint_for(other, events=[WebhookEvent.FILED], path="/other")
    hoja_filed(establishment)
    hoja_filed(other)
    hoja_filed(other)
    hoja_filed(establishment)  # pending: not counted
    first = WebhookDelivery.objects.filter(complaint__establishment=establishment).order_by("pk").first()
    WebhookDelivery.objects.filter(pk=first.pk).update(status=WebhookDelivery.Status.FAILED)
    WebhookDelivery.objects.filter(complaint__establishment=other).update(status=WebhookDelivery.Status.FAILED)
    return other


def test_a_supervisor_sees_the_failed_webhooks_of_their_establishments(client, establishment, failed):
    client.force_login(staff_user("sup", Role.SUPERVISOR, establishments=[establishment]))

    response = client.get(URL)

    assert response.context["webhook_failed_count"] == 1
    assert "Webhooks abandonados" in response.content.decode()


def test_an_administrator_sees_every_failed_webhook(admin_client, failed):
    response = admin_client.get(URL)

    assert response.context["webhook_failed_count"] == 3


def test_without_failures_the_line_says_zero(client, establishment):
    client.force_login(staff_user("sup", Role.SUPERVISOR, establishments=[establishment]))

    response = client.get(URL)

    assert response.context["webhook_failed_count"] == 0
    assert 'id="webhook-failed">0<' in response.content.decode()
