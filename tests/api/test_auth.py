"""Who may call the API: static bearer tokens (hashed, revocable, last use recorded) and OAuth2 client
credentials (short-lived access tokens); anything else is a 401 in Spanish."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from reclamaciones.api.models import ApiClient, ApiToken
from reclamaciones.api.services import api_client_create, api_token_issue, api_token_revoke, secret_digest

from .conftest import API, oauth_token_expired

pytestmark = pytest.mark.django_db


def _assert_401(response, message_part: str = "token"):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    assert message_part in response.json()["error"]["message"]


def test_a_static_token_opens_the_api(api):
    response = api.get("/establecimientos/")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_no_token_a_wrong_one_or_another_scheme_is_401(api):
    _assert_401(api.get("/establecimientos/", token=""))
    _assert_401(api.get("/establecimientos/", token="lr_no-es-un-token"))
    _assert_401(api.client.get(API + "/establecimientos/", headers={"Authorization": f"Basic {api.token}"}))


def test_a_revoked_token_is_401_at_once(api, api_client):
    assert api.get("/establecimientos/").status_code == 200

    api_token_revoke(token_ids=ApiToken.objects.filter(client=api_client).values_list("pk", flat=True))

    _assert_401(api.get("/establecimientos/"))


def test_a_deactivated_client_is_401(api, api_client):
    ApiClient.objects.filter(pk=api_client.pk).update(is_active=False)

    _assert_401(api.get("/establecimientos/"))


def test_an_expired_access_token_says_so(api, api_client):
    _assert_401(api.get("/establecimientos/", token=oauth_token_expired(api_client)), "venció")


def test_tokens_are_stored_as_digests_and_record_their_last_use(api, api_client):
    row = ApiToken.objects.get(client=api_client)
    assert row.token_sha256 == secret_digest(api.token)
    assert api.token not in str(ApiToken.objects.values_list().get())
    assert row.last_used_at is None

    api.get("/establecimientos/")

    row.refresh_from_db()
    api_client.refresh_from_db()
    assert row.last_used_at is not None
    assert api_client.last_used_at == row.last_used_at


# OAuth2 client credentials --------------------------------------------------------------------------------------


@pytest.fixture
def credentials(provider, shop):
    client, secret = api_client_create(name="Integración OAuth", provider_id=provider.pk)
    return client, secret


def _token_request(client, body: str, **headers):
    return client.generic(
        "POST", API + "/oauth/token", body, content_type="application/x-www-form-urlencoded", headers=headers
    )


def test_client_credentials_in_the_body_give_a_short_lived_token_that_works(client, credentials, settings):
    api_client, secret = credentials
    settings.RECLAMACIONES_API_ACCESS_TOKEN_SECONDS = 900

    response = _token_request(
        client, f"grant_type=client_credentials&client_id={api_client.client_id}&client_secret={secret}"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    row = ApiToken.objects.get(client=api_client)
    assert row.kind == ApiToken.Kind.OAUTH
    assert timedelta(seconds=890) < row.expires_at - timezone.now() <= timedelta(seconds=900)
    read = client.get(API + "/establecimientos/", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert read.status_code == 200


def test_client_credentials_by_http_basic(client, credentials):
    api_client, secret = credentials
    basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()

    response = _token_request(client, "grant_type=client_credentials", Authorization=f"Basic {basic}")

    assert response.status_code == 200
    assert response.json()["access_token"].startswith("lr_")


def test_a_wrong_secret_is_invalid_client_in_rfc_6749_shape(client, credentials):
    api_client, _secret = credentials

    response = _token_request(
        client, f"grant_type=client_credentials&client_id={api_client.client_id}&client_secret=lr_otra"
    )

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "client_id o client_secret incorrectos, o el cliente está desactivado.",
    }
    assert not ApiToken.objects.exists()


def test_other_grants_and_bodies_are_refused(client, credentials):
    api_client, secret = credentials

    password = _token_request(client, f"grant_type=password&client_id={api_client.client_id}&client_secret={secret}")
    as_json = client.post(API + "/oauth/token", {"grant_type": "client_credentials"}, content_type="application/json")
    bad_basic = _token_request(client, "grant_type=client_credentials", Authorization="Basic %%%no-base64")

    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    assert bad_basic.status_code == 401
    assert bad_basic.json()["error"] == "invalid_client"


def test_a_rotated_secret_stops_the_old_one(client, credentials):
    from reclamaciones.api.services import api_client_credentials_set

    api_client, old = credentials
    new = api_client_credentials_set(client=api_client)

    body = "grant_type=client_credentials&client_id={}&client_secret={}"
    assert _token_request(client, body.format(api_client.client_id, old)).status_code == 401
    assert _token_request(client, body.format(api_client.client_id, new)).status_code == 200


def test_issuing_access_tokens_drops_the_expired_ones(api_client):
    oauth_token_expired(api_client)
    static, _plain = api_token_issue(client=api_client)

    api_token_issue(client=api_client, kind=ApiToken.Kind.OAUTH)

    kinds = sorted(ApiToken.objects.filter(client=api_client).values_list("kind", flat=True))
    assert kinds == ["oauth", "static"]
    assert ApiToken.objects.filter(pk=static.pk).exists()
