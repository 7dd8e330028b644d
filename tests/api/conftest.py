"""Fixtures of the API tests: a provider with two establishments (and a stranger provider with one), a client of
the provider with a static token, and `api`, a caller that speaks JSON with a bearer token."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from reclamaciones.api.models import ApiToken
from reclamaciones.api.services import api_client_create, api_token_issue

from ..factories import VALID_FILING, EstablishmentFactory, ProviderFactory

API = "/api/v1"


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def shop(provider):
    return EstablishmentFactory(provider=provider, code="WEB-01", kind="virtual")


@pytest.fixture
def store(provider):
    return EstablishmentFactory(provider=provider, code="LIMA-01")


@pytest.fixture
def stranger(db):
    """Another provider's establishment, with the same code as `shop`: codes are only unique per provider."""
    return EstablishmentFactory(code="WEB-01")


@pytest.fixture
def api_client(provider, shop, store):
    client, _secret = api_client_create(name="Tienda online", provider_id=provider.pk)
    return client


@pytest.fixture
def token(api_client):
    _row, plain = api_token_issue(client=api_client, label="producción")
    return plain


def filing_body(where, **overrides) -> dict:
    return {"establishment": where.code, **VALID_FILING, "buyer_reference": "cliente-8841", **overrides}


class Api:
    """Django's test client, as an online store calls the API."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def _headers(self, token, key):
        headers = {}
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path, *, token=None, **params):
        return self.client.get(API + path, params, headers=self._headers(token, None))

    def post(self, path, body, *, token=None, key="auto", raw: bytes | None = None, content_type="application/json"):
        key = str(uuid.uuid4()) if key == "auto" else key
        data = raw if raw is not None else json.dumps(body)
        return self.client.generic(
            "POST", API + path, data, content_type=content_type, headers=self._headers(token, key)
        )


@pytest.fixture
def api(client, token):
    return Api(client, token)


@pytest.fixture
def no_lag(settings):
    """The change feed without its settle lag: a change is listed at once."""
    settings.RECLAMACIONES_API_SETTLE_SECONDS = 0
    return settings


def oauth_token_expired(api_client) -> str:
    """An OAuth2 access token issued long enough ago to have expired."""
    _row, plain = api_token_issue(client=api_client, kind=ApiToken.Kind.OAUTH, now=timezone.now() - timedelta(days=1))
    return plain
