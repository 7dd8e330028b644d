"""A client sees and files only for its provider's establishments, or the ones chosen on it: anything else does
not exist (404, as in the back office). The admin of clients is scoped like the rest of the admin."""

from __future__ import annotations

import pytest

from reclamaciones.access import Role
from reclamaciones.api.models import ApiClient
from reclamaciones.api.services import MSG_WHOLE_PROVIDER, api_client_create, api_token_issue
from reclamaciones.book.models import Complaint

from ..factories import hoja_filed, staff_user
from .conftest import Api, filing_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(client, provider, shop, store):
    """A client of the same provider limited to `shop`."""
    api_client, _secret = api_client_create(name="Solo web", provider_id=provider.pk, establishment_ids=[shop.pk])
    _row, plain = api_token_issue(client=api_client)
    return Api(client, plain)


def test_another_providers_hoja_does_not_exist(api, shop, stranger):
    mine, theirs = hoja_filed(shop), hoja_filed(stranger)

    assert api.get(f"/hojas/{mine.pk}/").status_code == 200
    response = api.get(f"/hojas/{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.get(f"/establecimientos/{stranger.code}/hojas/{theirs.display_number}/").json()["id"] != theirs.pk


def test_the_same_code_at_another_provider_files_into_mine(api, shop, stranger):
    response = api.post("/hojas/", filing_body(stranger))  # stranger.code == shop.code == "WEB-01"

    assert response.status_code == 201
    assert Complaint.objects.get().establishment == shop


def test_a_limited_client_neither_reads_nor_files_for_an_excluded_establishment(limited, shop, store):
    in_store = hoja_filed(store)

    assert limited.get(f"/hojas/{in_store.pk}/").status_code == 404
    assert limited.get(f"/establecimientos/{store.code}/hojas/{in_store.display_number}/").status_code == 404
    refused = limited.post("/hojas/", filing_body(store))
    assert refused.status_code == 404
    assert not Complaint.objects.filter(establishment=store).exclude(pk=in_store.pk).exists()
    assert [e["code"] for e in limited.get("/establecimientos/").json()["results"]] == [shop.code]
    assert limited.get("/hojas/").json()["results"] == []


def test_the_establishments_in_scope(api, shop, store, stranger):
    results = api.get("/establecimientos/").json()["results"]

    assert [e["code"] for e in results] == ["LIMA-01", "WEB-01"]
    assert results[1]["book_url"].endswith(f"/libro/{shop.slug}/")


def test_a_hoja_by_its_number(api, shop):
    hoja = hoja_filed(shop)

    for number in (hoja.display_number, f"{hoja.number}-{hoja.year}"):
        assert api.get(f"/establecimientos/{shop.code}/hojas/{number}/").json()["id"] == hoja.pk
    assert api.get(f"/establecimientos/{shop.code}/hojas/no-es-un-numero/").status_code == 404
    assert api.get(f"/establecimientos/{shop.code}/hojas/000000099-{hoja.year}/").status_code == 404


# The admin -------------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_of_shop(shop):
    from django.contrib.auth.models import Permission

    user = staff_user("sofia", Role.SUPERVISOR, establishments=[shop], password="clave-segura-2026")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_apiclient", "change_apiclient"]))
    return user


def test_a_scoped_staff_user_sees_only_the_clients_of_their_provider(client, api_client, stranger, staff_of_shop):
    theirs, _secret = api_client_create(name="Cliente ajeno", provider_id=stranger.provider_id)
    client.force_login(staff_of_shop)

    listing = client.get("/admin/reclamaciones/apiclient/")
    other = client.get(f"/admin/reclamaciones/apiclient/{theirs.pk}/change/")
    searched = client.get("/admin/reclamaciones/apiclient/", {"q": "ajeno"})

    assert listing.status_code == 200
    assert "Tienda online" in listing.content.decode()
    assert "Cliente ajeno" not in listing.content.decode()
    assert other.status_code == 302  # the admin's "no existe", as for any object out of scope
    assert "Cliente ajeno" not in searched.content.decode()


def test_creating_a_client_shows_its_secret_once(admin_client, provider, shop):
    response = admin_client.post(
        "/admin/reclamaciones/apiclient/add/",
        {
            "name": "Marketplace",
            "provider": provider.pk,
            "establishments": [shop.pk],
            "is_active": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    created = ApiClient.objects.get(name="Marketplace")
    assert created.client_id in page
    assert "no se volverá a mostrar" in page
    secret = page.split("client_secret</th><td><code>")[1].split("</code>")[0]
    assert created.secret_sha256
    assert secret not in str(ApiClient.objects.values_list().get(pk=created.pk))
    assert list(created.establishments.all()) == [shop]


def test_the_token_action_shows_a_working_token_once(admin_client, client, api_client):
    response = admin_client.post(
        "/admin/reclamaciones/apiclient/",
        {"action": "token_create", "_selected_action": [api_client.pk]},
    )

    plain = response.content.decode().split("<code>")[1].split("</code>")[0]
    assert plain.startswith("lr_")
    assert Api(client, plain).get("/establecimientos/").status_code == 200


def test_establishments_of_another_provider_are_refused_on_a_client(admin_client, provider, stranger):
    response = admin_client.post(
        "/admin/reclamaciones/apiclient/add/",
        {
            "name": "Mezclado",
            "provider": provider.pk,
            "establishments": [stranger.pk],
            "is_active": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert "Elige solo establecimientos del proveedor del cliente." in response.content.decode()
    assert not ApiClient.objects.filter(name="Mezclado").exists()


def test_a_staff_user_who_only_views_clients_cannot_create_tokens(client, api_client, staff_of_shop):
    from django.contrib.auth.models import Permission

    from reclamaciones.api.models import ApiToken

    staff_of_shop.user_permissions.remove(Permission.objects.get(codename="change_apiclient"))
    client.force_login(staff_of_shop)

    client.post("/admin/reclamaciones/apiclient/", {"action": "token_create", "_selected_action": [api_client.pk]})

    assert not ApiToken.objects.filter(client=api_client).exists()


# A scoped user never hands a store more than they may read ------------------------------------------------------


@pytest.fixture
def staff_of_store(store):
    """A supervisor of `store` only, who may add and change API clients (the provider also has `shop`)."""
    from django.contrib.auth.models import Permission

    user = staff_user("pepe", Role.SUPERVISOR, establishments=[store], password="clave-segura-2026")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_apiclient", "add_apiclient", "change_apiclient"])
    )
    return user


def _client_form(provider, **fields) -> dict:
    return {
        "name": "Mi integración",
        "provider": provider.pk,
        "is_active": "on",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        **fields,
    }


def test_a_scoped_user_cannot_create_a_client_for_the_whole_provider(client, provider, shop, store, staff_of_store):
    client.force_login(staff_of_store)

    whole = client.post("/admin/reclamaciones/apiclient/add/", _client_form(provider))
    beyond = client.post("/admin/reclamaciones/apiclient/add/", _client_form(provider, establishments=[shop.pk]))

    assert MSG_WHOLE_PROVIDER in whole.content.decode()
    assert beyond.status_code == 200  # shop is not among the choices: the form is shown again
    assert not ApiClient.objects.exists()
    client.post("/admin/reclamaciones/apiclient/add/", _client_form(provider, establishments=[store.pk]))
    assert list(ApiClient.objects.get().establishments.all()) == [store]


def test_a_user_who_sees_every_establishment_may_create_a_whole_provider_client(client, provider, shop, store):
    from django.contrib.auth.models import Permission

    user = staff_user("ana", Role.SUPERVISOR, establishments=[shop, store])
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_apiclient", "add_apiclient"]))
    client.force_login(user)

    client.post("/admin/reclamaciones/apiclient/add/", _client_form(provider))

    assert list(ApiClient.objects.get().establishments.all()) == []


@pytest.mark.parametrize("reach", ["other_establishment", "whole_provider"])
def test_a_scoped_user_cannot_change_mint_tokens_or_rotate_secrets_beyond_their_scope(
    client, provider, shop, api_client, staff_of_store, reach
):
    from reclamaciones.api.models import ApiToken

    if reach == "other_establishment":
        theirs, _secret = api_client_create(name="Solo web", provider_id=provider.pk, establishment_ids=[shop.pk])
    else:
        theirs = api_client  # every establishment of the provider, `shop` included
    secret_before = theirs.secret_sha256
    client.force_login(staff_of_store)

    listing = client.get("/admin/reclamaciones/apiclient/").content.decode()
    changed = client.post(f"/admin/reclamaciones/apiclient/{theirs.pk}/change/", _client_form(provider, name="Mía"))
    minted = client.post(
        "/admin/reclamaciones/apiclient/", {"action": "token_create", "_selected_action": [theirs.pk]}, follow=True
    )
    rotated = client.post(
        "/admin/reclamaciones/apiclient/", {"action": "secret_rotate", "_selected_action": [theirs.pk]}, follow=True
    )

    theirs.refresh_from_db()
    assert theirs.name in listing  # seen through the provider, read-only
    assert changed.status_code == 403
    assert theirs.name != "Mía"
    assert "<code>lr_" not in minted.content.decode()
    assert not ApiToken.objects.filter(client=theirs).exists()
    assert theirs.secret_sha256 == secret_before
    assert "leen hojas de establecimientos que no atiendes" in rotated.content.decode()


def test_a_scoped_user_manages_a_client_within_their_scope(client, provider, shop, store, staff_of_store):
    mine, _secret = api_client_create(name="Solo tienda", provider_id=provider.pk, establishment_ids=[store.pk])
    secret_before = mine.secret_sha256
    client.force_login(staff_of_store)

    minted = client.post("/admin/reclamaciones/apiclient/", {"action": "token_create", "_selected_action": [mine.pk]})
    client.post("/admin/reclamaciones/apiclient/", {"action": "secret_rotate", "_selected_action": [mine.pk]})
    emptied = client.post(f"/admin/reclamaciones/apiclient/{mine.pk}/change/", _client_form(provider))

    plain = minted.content.decode().split("<code>")[1].split("</code>")[0]
    assert Api(client, plain).get("/establecimientos/").json()["results"][0]["code"] == store.code
    mine.refresh_from_db()
    assert mine.secret_sha256 != secret_before
    assert MSG_WHOLE_PROVIDER in emptied.content.decode()  # unticking every establishment widens it: refused
    assert list(mine.establishments.all()) == [store]
