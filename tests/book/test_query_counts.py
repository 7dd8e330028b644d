"""Pinned query count of the consumer's tracking page (/seguimiento/<token>/): the timeline, the offers and
the answer are read in a fixed number of queries however long the hoja's history is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.handling.services import complaint_note_add
from reclamaciones.handling.settlement import settlement_offer_reject
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.services import outbox_enqueue

from ..factories import hoja_answered, hoja_assigned, hoja_offered, staff_user

pytestmark = pytest.mark.django_db

# measured: the same with 1 and 4 offers, 2 and 8 notes, 2 and 8 messages; +1 since issue 14 §1: the hoja's
# documents (consumer's and provider's) in one query, however many there are (tests/book/test_attachments_access.py)
TRACKING_QUERIES = 4


def _more_history(hoja, agent, n: int, start: int) -> None:
    for i in range(start, start + n):
        complaint_note_add(complaint_id=hoja.pk, text=f"Nota interna {i}", scope=Scope.of(agent))
        outbox_enqueue(
            kind=OutboundMessage.Kind.REMINDER,
            recipient=f"agente{i}@andina.example.pe",
            idempotency_key=f"reminder:{hoja.pk}:{i}",
            complaint=hoja,
        )


def _offer_rejected(hoja, agent) -> None:
    offered = hoja_offered(hoja, by=agent)
    settlement_offer_reject(offer_id=offered.settlement_offers.latest("pk").pk)


def test_the_tracking_page_runs_a_fixed_number_of_queries(client, establishment, django_assert_num_queries):
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    hoja = hoja_assigned(to=agent, establishment=establishment)
    _offer_rejected(hoja, agent)
    _more_history(hoja, agent, 2, 0)
    url = reverse("reclamaciones:track", args=[hoja.tracking_token])

    with django_assert_num_queries(TRACKING_QUERIES):
        assert client.get(url).status_code == 200

    for _ in range(3):
        _offer_rejected(hoja, agent)
    _more_history(hoja, agent, 6, 2)
    with django_assert_num_queries(TRACKING_QUERIES):
        assert client.get(url).status_code == 200


def test_the_answered_tracking_page_runs_a_fixed_number_of_queries(client, establishment, django_assert_num_queries):
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    hoja = hoja_assigned(to=agent, establishment=establishment)
    _offer_rejected(hoja, agent)
    _more_history(hoja, agent, 2, 0)
    hoja = hoja_answered(hoja, by=agent)
    url = reverse("reclamaciones:track", args=[hoja.tracking_token])

    with django_assert_num_queries(ANSWERED_TRACKING_QUERIES):
        assert client.get(url).status_code == 200

    _more_history(hoja, agent, 6, 2)
    with django_assert_num_queries(ANSWERED_TRACKING_QUERIES):
        assert client.get(url).status_code == 200


ANSWERED_TRACKING_QUERIES = 3  # +1 since issue 14 §1: the hoja's documents, one query
