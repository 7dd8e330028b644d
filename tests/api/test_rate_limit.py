"""Each client has its own request budget (RECLAMACIONES_API_RATE), counted in the shared cache by the portal's
limiter; over it, a 429 with Retry-After and a Spanish JSON error. The token endpoint is limited per address."""

from __future__ import annotations

import pytest

from reclamaciones.api.services import api_client_create, api_token_issue
from reclamaciones.book.models import Complaint

from .conftest import API, Api, filing_body

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_over_the_clients_rate_is_429_with_retry_after(api, shop, settings):
    settings.RECLAMACIONES_API_RATE = "3/h"

    statuses = [api.get("/establecimientos/").status_code for _ in range(3)]
    refused = api.post("/hojas/", filing_body(shop))

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"].startswith("Hiciste demasiadas peticiones en poco tiempo. Vuelve a intentarlo dentro de ")
    assert not Complaint.objects.exists()  # refused before anything is filed


def test_the_budget_is_per_client_not_per_address(api, client, provider, settings):
    settings.RECLAMACIONES_API_RATE = "2/h"
    other, _secret = api_client_create(name="Otra integración", provider_id=provider.pk)
    other_api = Api(client, api_token_issue(client=other)[1])

    for _ in range(2):
        api.get("/establecimientos/")

    assert api.get("/establecimientos/").status_code == 429
    assert other_api.get("/establecimientos/").status_code == 200  # same address, its own budget


def test_the_token_endpoint_is_limited_per_address(client, settings):
    settings.RECLAMACIONES_API_OAUTH_RATE = "2/h"
    body = "grant_type=client_credentials&client_id=lrc_x&client_secret=lr_y"

    def ask():
        return client.generic("POST", API + "/oauth/token", body, content_type="application/x-www-form-urlencoded")

    assert [ask().status_code for _ in range(2)] == [401, 401]
    refused = ask()
    assert refused.status_code == 429
    assert refused.json()["error"] == "slow_down"
    assert refused["Retry-After"]
