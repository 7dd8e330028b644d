"""Issue 14 §4: each of the four events writes one delivery per subscribed endpoint, in the transaction of the
event, and none for an endpoint that did not subscribe, is limited to other establishments, belongs to another
provider or is inactive. The payload is thin: nothing the consumer typed."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.api.services import api_client_create, api_token_issue
from reclamaciones.book.backup import complaint_transcribe
from reclamaciones.book.models import Complaint
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.handling.settlement import settlement_offer_accept
from reclamaciones.webhooks import signing
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from reclamaciones.webhooks.services import webhook_emit, webhook_emit_overdue

from ..api.conftest import Api, filing_body
from ..book.fuzz_support import HOSTILE_CONTENT
from ..factories import (
    VALID_FILING,
    EstablishmentFactory,
    filing_kwargs,
    hoja_answered,
    hoja_filed,
    hoja_offered,
    staff_user,
)

pytestmark = pytest.mark.django_db

ALL = list(WebhookEvent.values)


def _deliveries(event: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event=event).order_by("endpoint_id"))


@pytest.fixture
def endpoints(establishment, endpoint_for):
    """Around `establishment`: two endpoints that must hear of its hojas, and four that must not."""
    sibling = EstablishmentFactory(provider=establishment.provider, name="Tienda Arequipa")
    other_provider = EstablishmentFactory(name="Otra empresa")
    inactive = endpoint_for(establishment, path="/inactive")
    WebhookEndpoint.objects.filter(pk=inactive.pk).update(is_active=False)
    return {
        "all": endpoint_for(establishment, path="/all"),
        "limited": endpoint_for(establishment, establishments=[establishment], path="/limited"),
        "sibling_only": endpoint_for(establishment, establishments=[sibling], path="/sibling"),
        "not_subscribed": endpoint_for(establishment, events=[WebhookEvent.SETTLED], path="/settled-only"),
        "other_provider": endpoint_for(other_provider, path="/other"),
        "inactive": inactive,
    }


def _told(event: str, complaint: Complaint, endpoints) -> set[str]:
    names = {e.pk: name for name, e in endpoints.items()}
    rows = WebhookDelivery.objects.filter(event=event, complaint=complaint)
    return {names[row.endpoint_id] for row in rows}


def test_a_hoja_filed_on_the_web_is_told_to_each_subscribed_endpoint_once(client, establishment, endpoints):
    response = client.post(reverse("reclamaciones:file", args=[establishment.slug]), VALID_FILING)
    assert response.status_code == 302
    complaint = Complaint.objects.get()

    assert _told(WebhookEvent.FILED, complaint, endpoints) == {"all", "limited"}
    delivery = WebhookDelivery.objects.filter(complaint=complaint).first()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.payload["type"] == "complaint.filed"
    assert delivery.payload["data"]["hoja"]["number"] == complaint.display_number


def test_a_transcribed_backup_sheet_is_told_as_filed(establishment, endpoints):
    Establishment = type(establishment)
    Establishment.objects.filter(pk=establishment.pk).update(created_at=timezone.now() - timedelta(days=30))
    establishment.refresh_from_db()
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    paper = timezone.now() - timedelta(days=1)

    done = complaint_transcribe(
        scope=Scope.of(agent),
        establishment=establishment,
        backup_sheet_number="000000012-2026",
        paper_filed_at=paper,
        **filing_kwargs(),
    )

    assert _told(WebhookEvent.FILED, done.complaint, endpoints) == {"all", "limited"}
    [payload] = {d.payload["data"]["hoja"]["channel"] for d in _deliveries(WebhookEvent.FILED)}
    assert payload == "backup"


def test_an_answer_is_told_once_to_the_subscribed_endpoints(establishment, endpoints):
    hoja = hoja_filed(establishment)

    hoja = hoja_answered(hoja)

    assert _told(WebhookEvent.ANSWERED, hoja, endpoints) == {"all", "limited"}
    assert {d.payload["data"]["hoja"]["status"] for d in _deliveries(WebhookEvent.ANSWERED)} == {"answered"}


def test_a_settlement_accepted_is_told_as_settled(establishment, endpoints):
    hoja = hoja_offered(establishment=establishment)

    settlement_offer_accept(offer_id=hoja.settlement_offers.get().pk)

    assert _told(WebhookEvent.SETTLED, hoja, endpoints) == {"all", "limited", "not_subscribed"}
    assert {d.payload["data"]["hoja"]["status"] for d in _deliveries(WebhookEvent.SETTLED)} == {"settled"}


def _lima_noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_an_overdue_hoja_is_told_once_per_missed_due_date(establishment, endpoints):
    overdue, on_time = hoja_filed(establishment), hoja_filed(establishment)
    Complaint.objects.filter(pk=on_time.pk).update(due_date=timezone.localdate() + timedelta(days=60))
    after = _lima_noon(overdue.due_date + timedelta(days=3))

    deadlines_sweep(scope=Scope.everything(), now=after)
    deadlines_sweep(scope=Scope.everything(), now=after + timedelta(days=1))  # escalated again: told once

    assert _told(WebhookEvent.OVERDUE, overdue, endpoints) == {"all", "limited"}
    assert WebhookDelivery.objects.filter(event=WebhookEvent.OVERDUE).count() == 2
    assert not WebhookDelivery.objects.filter(complaint=on_time, event=WebhookEvent.OVERDUE).exists()

    # The deadline moves (a pause, a recomputation) and is missed again: news again.
    moved = overdue.due_date + timedelta(days=7)
    Complaint.objects.filter(pk=overdue.pk).update(due_date=moved)
    deadlines_sweep(scope=Scope.everything(), now=_lima_noon(moved + timedelta(days=3)))
    assert WebhookDelivery.objects.filter(event=WebhookEvent.OVERDUE).count() == 4


def test_the_sweep_reads_an_announced_overdue_hoja_no_more(establishment, endpoints, django_assert_num_queries):
    """Every 15 minutes the sweep finds the same overdue hojas: once announced for their due date, the anti-join
    drops them in SQL (one query, no reload of the hojas, no IN-list of keys)."""
    overdue = hoja_filed(establishment)
    after = _lima_noon(overdue.due_date + timedelta(days=3))
    deadlines_sweep(scope=Scope.everything(), now=after)
    assert WebhookDelivery.objects.filter(event=WebhookEvent.OVERDUE).count() == 2

    with django_assert_num_queries(1) as captured:
        assert webhook_emit_overdue(complaint_ids=[overdue.pk], now=after + timedelta(minutes=15)) == 0
    [query] = captured.captured_queries
    assert "NOT EXISTS" in query["sql"]
    assert "idempotency_key" not in query["sql"]


def test_a_provider_without_overdue_endpoints_costs_the_sweep_one_query(
    establishment, endpoint_for, django_assert_num_queries
):
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    overdue = hoja_filed(establishment)

    with django_assert_num_queries(1):  # the anti-join finds no provider listening: nothing loaded
        assert webhook_emit_overdue(complaint_ids=[overdue.pk], now=_lima_noon(overdue.due_date + timedelta(3))) == 0


def test_an_endpoint_created_after_a_hoja_went_overdue_is_not_told_about_it(establishment, endpoint_for):
    old_news = hoja_filed(establishment)  # overdue long before the store registered its endpoint
    fresh_news = hoja_filed(establishment)
    Complaint.objects.filter(pk=old_news.pk).update(due_date=old_news.due_date - timedelta(days=200))
    endpoint = endpoint_for(establishment, events=[WebhookEvent.OVERDUE])
    created = timezone.localdate(endpoint.created_at)
    Complaint.objects.filter(pk=fresh_news.pk).update(due_date=created)  # overdue from tomorrow's start

    deadlines_sweep(scope=Scope.everything(), now=_lima_noon(created + timedelta(days=2)))

    told = WebhookDelivery.objects.filter(event=WebhookEvent.OVERDUE)
    assert list(told.values_list("complaint_id", "due_date")) == [(fresh_news.pk, created)]


def test_a_filing_rolled_back_leaves_no_delivery(establishment, endpoints):
    written_inside = []

    def file_then_fail():
        with transaction.atomic():
            hoja_filed(establishment)
            written_inside.append(WebhookDelivery.objects.count())
            raise RuntimeError("something after the filing failed")

    with pytest.raises(RuntimeError):
        file_then_fail()

    assert written_inside == [2]  # written inside the filing's transaction...
    assert WebhookDelivery.objects.count() == 0  # ...and gone with it: nothing announced that did not happen


def test_emitting_the_same_event_twice_writes_it_once(establishment, endpoints):
    hoja = hoja_filed(establishment)

    webhook_emit(event=WebhookEvent.FILED, complaints=[hoja])

    assert WebhookDelivery.objects.filter(complaint=hoja).count() == 2


def test_the_payload_is_thin_and_holds_nothing_the_consumer_typed(establishment, endpoints):
    hoja = hoja_filed(establishment, **HOSTILE_CONTENT)

    for delivery in WebhookDelivery.objects.filter(complaint=hoja):
        body = signing.body_encode(delivery.payload).decode()
        assert set(delivery.payload) == {"id", "event_id", "type", "occurred_at", "data"}
        assert set(delivery.payload["data"]["hoja"]) == {
            "id",
            "number",
            "establishment_code",
            "kind",
            "status",
            "channel",
            "filed_at",
            "due_date",
        }
        assert delivery.payload["data"]["url"] == f"https://reclamos.example.pe/api/v1/hojas/{hoja.pk}/"
        for typed in (hoja.consumer_name, hoja.consumer_address, hoja.consumer_email, hoja.detail, hoja.request):
            assert typed not in body
        assert "<script>" not in body
        assert hoja.doc_number not in body


def test_the_event_id_is_shared_by_endpoints_and_the_payload_and_delivery_ids_are_not(establishment, endpoints):
    hoja = hoja_filed(establishment)
    deliveries = list(WebhookDelivery.objects.filter(complaint=hoja))

    assert len({d.payload["event_id"] for d in deliveries}) == 1
    assert len({d.payload["id"] for d in deliveries}) == len(deliveries) == 2  # what receivers dedupe on
    assert len({d.delivery_id for d in deliveries}) == len(deliveries) == 2


@pytest.mark.parametrize("count", [1, 4])
def test_emission_costs_the_same_queries_however_many_endpoints(
    establishment, endpoint_for, django_assert_num_queries, count
):
    for n in range(count):
        endpoint_for(establishment, path=f"/e{n}")
    hoja = hoja_filed(establishment)

    with django_assert_num_queries(3):  # the endpoints, the keys already recorded, one INSERT
        assert webhook_emit(event=WebhookEvent.ANSWERED, complaints=[hoja]) == count
    with django_assert_num_queries(2):  # the endpoints, the keys: nothing new to write
        assert webhook_emit(event=WebhookEvent.ANSWERED, complaints=[hoja]) == 0


def _filing_queries(establishment) -> int:
    with CaptureQueriesContext(connection) as queries:
        hoja_filed(establishment)
    return len(queries)


def test_filing_adds_one_query_for_its_webhooks_however_many_endpoints(establishment, endpoint_for):
    """The endpoints are read in any case; with endpoints, one INSERT more (no lookup: the hoja is new)."""
    hoja_filed(establishment)  # the book's first hoja reads no predecessor's seal: compare later ones
    without = _filing_queries(establishment)
    endpoint_for(establishment, path="/e0")
    with_one = _filing_queries(establishment)
    for n in range(1, 4):
        endpoint_for(establishment, path=f"/e{n}")
    with_four = _filing_queries(establishment)

    assert with_one == with_four == without + 1
    assert WebhookDelivery.objects.count() == 1 + 4


def _transcribe(establishment):
    type(establishment).objects.filter(pk=establishment.pk).update(created_at=timezone.now() - timedelta(days=30))
    establishment.refresh_from_db()
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    return complaint_transcribe(
        scope=Scope.of(agent),
        establishment=establishment,
        backup_sheet_number="000000012-2026",
        paper_filed_at=timezone.now() - timedelta(days=1),
        **filing_kwargs(),
    )


def _file_through_the_api(client, establishment):
    api_client, _secret = api_client_create(name="Tienda online", provider_id=establishment.provider_id)
    _row, token = api_token_issue(client=api_client, label="producción")
    return Api(client, token).post("/hojas/", filing_body(establishment))


@pytest.mark.parametrize("channel", ["web", "backup", "api"])
def test_filing_reads_the_endpoints_before_taking_the_books_numbering_lock(
    establishment, endpoint_for, channel, client
):
    """Concurrent filings into one book queue on its counter row: under that lock only the deliveries' INSERT."""
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    with CaptureQueriesContext(connection) as captured:
        if channel == "web":
            hoja_filed(establishment)
        elif channel == "backup":
            _transcribe(establishment)
        else:
            assert _file_through_the_api(client, establishment).status_code == 201
    sql = [q["sql"] for q in captured.captured_queries]
    lock = next(i for i, q in enumerate(sql) if "ON CONFLICT" in q and "last_number" in q)
    endpoints = [i for i, q in enumerate(sql) if 'FROM "reclamaciones_webhookendpoint"' in q]
    written = [i for i, q in enumerate(sql) if 'INSERT INTO "reclamaciones_webhookdelivery"' in q]

    assert endpoints
    assert max(endpoints) < lock
    assert len(written) == 1
    assert written[0] > lock
    assert WebhookDelivery.objects.get().event == WebhookEvent.FILED


def test_without_endpoints_emission_costs_one_query(establishment, django_assert_num_queries):
    hoja = hoja_filed(establishment)

    with django_assert_num_queries(1):
        assert webhook_emit(event=WebhookEvent.ANSWERED, complaints=[hoja]) == 0
