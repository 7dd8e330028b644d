"""The tracking and PDF links carry the consumer's secret token, and whoever holds it acts as the consumer (accepts
a settlement offer at /seguimiento/<token>/propuesta/). A client gets them only for the hojas it filed for its
buyer; for hojas the consumer filed on the web, on paper or through another client they are null, on every read."""

from __future__ import annotations

import pytest

from reclamaciones.api.services import api_client_create, api_token_issue
from reclamaciones.book.models import Complaint, Status

from ..factories import hoja_answered, hoja_filed, hoja_offered
from .conftest import Api, filing_body
from .test_changes import LIST_QUERIES

pytestmark = pytest.mark.django_db


def _reads(api, hoja) -> list[dict]:
    """The hoja as each read of the API returns it: by id, by number and in the change feed."""
    feed = [h for h in api.get("/hojas/").json()["results"] if h["id"] == hoja.pk]
    return [
        api.get(f"/hojas/{hoja.pk}/").json(),
        api.get(f"/establecimientos/{hoja.establishment_code}/hojas/{hoja.display_number}/").json(),
        *feed,
    ]


def test_a_hoja_the_consumer_filed_on_the_web_carries_no_secret_link(api, shop, client, no_lag):
    web = hoja_offered(hoja_filed(shop))  # filed on the web by the consumer, the store's offer pending

    reads = _reads(api, web)

    assert len(reads) == 3
    for body in reads:
        assert body["id"] == web.pk
        assert body["tracking_url"] is None
        assert body["pdf_url"] is None
        assert web.tracking_token not in str(body)
    web.refresh_from_db()
    assert web.status == Status.SETTLEMENT_OFFERED  # the store has nothing to accept its own offer with


def test_the_filing_client_gets_its_buyers_links_on_every_read(api, shop, no_lag):
    filed = api.post("/hojas/", filing_body(shop)).json()
    hoja = Complaint.objects.get(pk=filed["id"])

    for body in [filed, *_reads(api, hoja)]:
        assert body["tracking_url"].endswith(f"/seguimiento/{hoja.tracking_token}/")
        assert body["pdf_url"].endswith(f"/seguimiento/{hoja.tracking_token}/hoja.pdf")


def test_another_client_of_the_provider_gets_no_links_for_hojas_it_did_not_file(api, client, provider, shop, no_lag):
    other, _secret = api_client_create(name="Marketplace", provider_id=provider.pk)
    other_api = Api(client, api_token_issue(client=other)[1])
    hoja = Complaint.objects.get(pk=api.post("/hojas/", filing_body(shop)).json()["id"])

    for body in _reads(other_api, hoja):
        assert body["tracking_url"] is None
        assert body["pdf_url"] is None
        assert body["buyer_reference"] == "cliente-8841"


def test_withholding_the_links_adds_no_query(api, shop, store, no_lag, django_assert_num_queries):
    for where in (shop, store):
        api.post("/hojas/", filing_body(where))
        hoja_answered(hoja_filed(where))

    with django_assert_num_queries(LIST_QUERIES):
        results = api.get("/hojas/").json()["results"]
    assert [h["tracking_url"] is None for h in results] == [h["channel"] != "api" for h in results]
    assert len(results) == 4
