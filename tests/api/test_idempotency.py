"""Idempotency-Key on every authenticated POST: the same key and body replay the first response and file nothing
twice (also when two requests race on PostgreSQL); the same key with another body is a 422; keys expire."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from reclamaciones.api import views as api_views
from reclamaciones.api.models import IdempotencyKey
from reclamaciones.book.models import Complaint
from reclamaciones.outbox.models import OutboundMessage

from .conftest import API, filing_body


@pytest.mark.django_db
def test_the_key_is_required_and_well_formed(api, shop):
    missing = api.post("/hojas/", filing_body(shop), key=None)
    short = api.post("/hojas/", filing_body(shop), key="abc")
    spaced = api.post("/hojas/", filing_body(shop), key="clave con espacios y más")

    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in missing.json()["error"]["message"]
    assert short.status_code == spaced.status_code == 400
    assert short.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_response(api, shop):
    key = str(uuid.uuid4())
    body = filing_body(shop)

    first = api.post("/hojas/", body, key=key)
    reordered = json.loads(json.dumps(dict(reversed(list(body.items())))))
    again = api.post("/hojas/", reordered, key=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again["Location"] == first["Location"]
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SHEET_COPY).count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(api, shop):
    key = str(uuid.uuid4())
    api.post("/hojas/", filing_body(shop), key=key)

    response = api.post("/hojas/", filing_body(shop, detail="Otro detalle"), key=key)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert "otra petición distinta" in response.json()["error"]["message"]
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(api, shop):
    key = str(uuid.uuid4())

    refused = api.post("/hojas/", filing_body(shop, doc_number="12"), key=key)
    corrected = api.post("/hojas/", filing_body(shop), key=key)

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_client(api, shop, provider, client):
    from reclamaciones.api.services import api_client_create, api_token_issue

    from .conftest import Api

    other, _secret = api_client_create(name="Otra integración", provider_id=provider.pk)
    other_api = Api(client, api_token_issue(client=other)[1])
    key = str(uuid.uuid4())

    assert api.post("/hojas/", filing_body(shop), key=key).status_code == 201
    assert other_api.post("/hojas/", filing_body(shop), key=key).status_code == 201
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_an_expired_key_is_free_again_and_expired_keys_are_purged(api, shop, settings):
    settings.RECLAMACIONES_API_IDEMPOTENCY_HOURS = 24
    key, old_key = str(uuid.uuid4()), str(uuid.uuid4())
    api.post("/hojas/", filing_body(shop), key=key)
    api.post("/hojas/", filing_body(shop, detail="Otra compra"), key=old_key)
    record = IdempotencyKey.objects.get(key=key)
    assert timedelta(hours=23, minutes=59) < record.expires_at - timezone.now() <= timedelta(hours=24)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = api.post("/hojas/", filing_body(shop, detail="Una hoja nueva"), key=key)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Complaint.objects.count() == 3
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [key]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_file_one_hoja(token, shop, monkeypatch):
    """Request A files and, before committing, waits; request B with the same key must then wait on A's key row
    (seen as a lock wait in pg_stat_activity) and, once A commits, replay A's response."""
    filed, release = threading.Event(), threading.Event()
    real_file = api_views.complaint_file

    def file_then_hold(**kwargs):
        complaint = real_file(**kwargs)
        if not filed.is_set():
            filed.set()
            release.wait(30)
        return complaint

    monkeypatch.setattr(api_views, "complaint_file", file_then_hold)
    key, body = str(uuid.uuid4()), json.dumps(filing_body(shop))
    responses = {}

    def post(name):
        try:
            responses[name] = Client().generic(
                "POST",
                API + "/hojas/",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
        finally:
            connections.close_all()

    first = threading.Thread(target=post, args=("a",))
    first.start()
    assert filed.wait(30)
    second = threading.Thread(target=post, args=("b",))
    second.start()
    with connection.cursor() as cursor:
        for _ in range(300):  # until B waits on A's uncommitted key (a wait, not a timed assertion)
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.1)
        else:
            pytest.fail("the second request never waited on the first one's key")
    release.set()
    first.join(30)
    second.join(30)

    a, b = responses["a"], responses["b"]
    assert a.status_code == b.status_code == 201
    assert b.json() == a.json()
    assert b["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
