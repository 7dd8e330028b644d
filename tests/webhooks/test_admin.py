"""The webhooks in the Django admin: the secret shown once, URL refusals in Spanish, the read-only delivery log
with its "send again" action and failure banner, all scoped like the rest of the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from reclamaciones.access import Role
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

from ..factories import EstablishmentFactory, hoja_filed, staff_user

pytestmark = pytest.mark.django_db

ENDPOINTS = "admin:reclamaciones_webhookendpoint_changelist"
DELIVERIES = "admin:reclamaciones_webhookdelivery_changelist"


def _change(model: str, pk: int) -> str:
    return reverse(f"admin:reclamaciones_{model}_change", args=[pk])


def _form(provider, url, **overrides) -> dict:
    return {
        "provider": provider.pk,
        "description": "Tienda en línea",
        "url": url,
        "events": [WebhookEvent.FILED, WebhookEvent.ANSWERED],
        "is_active": "on",
        **overrides,
    }


def test_a_new_endpoint_shows_its_secret_once(admin_client, establishment, receiver):
    response = admin_client.post(
        reverse("admin:reclamaciones_webhookendpoint_add"), _form(establishment.provider, receiver.url())
    )

    endpoint = WebhookEndpoint.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in html
    assert "no volveremos a mostrarlo" in html
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == [WebhookEvent.FILED, WebhookEvent.ANSWERED]
    assert endpoint.secret not in admin_client.get(_change("webhookendpoint", endpoint.pk)).content.decode()
    assert endpoint.secret not in admin_client.get(reverse(ENDPOINTS)).content.decode()


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_signing(admin_client, establishment, endpoint_for):
    endpoint = endpoint_for(establishment)
    old = endpoint.secret

    response = admin_client.post(reverse(ENDPOINTS), {"action": "rotate_secret", "_selected_action": [endpoint.pk]})

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.previous_secret == old
    assert endpoint.secret in response.content.decode()
    assert old not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://169.254.169.254/latest/meta-data/", "dirección interna"),
        ("http://tienda.example.com/hooks", "https://"),
        ("https://127.0.0.1:8000/admin/", "dirección interna"),
    ],
)
def test_an_unsafe_url_is_refused_in_spanish(admin_client, establishment, url, says):
    response = admin_client.post(reverse("admin:reclamaciones_webhookendpoint_add"), _form(establishment.provider, url))

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_hostile_text_is_refused_or_escaped(admin_client, establishment, receiver):
    response = admin_client.post(
        reverse("admin:reclamaciones_webhookendpoint_add"),
        _form(establishment.provider, receiver.url() + "\x00<script>", description="<script>alert(1)</script>"),
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()

    admin_client.post(
        reverse("admin:reclamaciones_webhookendpoint_add"),
        _form(establishment.provider, receiver.url(), description="<script>alert(1)</script>"),
    )
    html = admin_client.get(reverse(ENDPOINTS)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Scope ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def shops(db):
    mine = EstablishmentFactory(name="Tienda Miraflores")
    sibling = EstablishmentFactory(name="Tienda Arequipa", provider=mine.provider)  # same provider, not theirs
    other = EstablishmentFactory(name="Otra Empresa")
    return {"mine": mine, "sibling": sibling, "other": other}


@pytest.fixture
def scoped(client, shops):
    user = staff_user("supervisora", Role.SUPERVISOR, establishments=[shops["mine"]])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="reclamaciones", codename__regex=r"^(view|add|change)_webhook(endpoint|delivery)$"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def hooks(shops, endpoint_for):
    endpoints = {
        "mine": endpoint_for(shops["mine"], establishments=[shops["mine"]], path="/mine"),
        "whole_provider": endpoint_for(shops["mine"], path="/whole"),
        "other": endpoint_for(shops["other"], path="/other"),
    }
    hojas = {name: hoja_filed(shop) for name, shop in shops.items()}
    return {"endpoints": endpoints, "hojas": hojas}


def test_a_scoped_user_sees_only_their_providers_endpoints(scoped, hooks):
    html = scoped.get(reverse(ENDPOINTS)).content.decode()

    assert _change("webhookendpoint", hooks["endpoints"]["mine"].pk) in html
    assert _change("webhookendpoint", hooks["endpoints"]["whole_provider"].pk) in html
    assert _change("webhookendpoint", hooks["endpoints"]["other"].pk) not in html
    assert scoped.get(_change("webhookendpoint", hooks["endpoints"]["other"].pk), follow=True).redirect_chain


def test_a_scoped_user_sees_only_deliveries_about_their_hojas(scoped, hooks):
    html = scoped.get(reverse(DELIVERIES)).content.decode()

    for name, hoja in hooks["hojas"].items():
        for delivery in WebhookDelivery.objects.filter(complaint=hoja):
            assert (_change("webhookdelivery", delivery.pk) in html) is (name == "mine")
    theirs = WebhookDelivery.objects.filter(complaint=hooks["hojas"]["sibling"]).first()
    assert scoped.get(_change("webhookdelivery", theirs.pk), follow=True).redirect_chain


def test_an_endpoint_reaching_beyond_the_users_scope_cannot_be_changed_by_them(scoped, hooks, receiver):
    whole = hooks["endpoints"]["whole_provider"]
    url = _change("webhookendpoint", whole.pk)

    response = scoped.post(url, _form(whole.provider, receiver.url("/stolen")))
    rotated = scoped.post(reverse(ENDPOINTS), {"action": "rotate_secret", "_selected_action": [whole.pk]})

    whole.refresh_from_db()
    assert response.status_code == 403
    assert whole.url.endswith("/whole")
    assert whole.secret not in rotated.content.decode()
    assert not whole.previous_secret


def test_a_scoped_user_must_limit_a_new_endpoint_to_their_establishments(scoped, shops, receiver):
    add = reverse("admin:reclamaciones_webhookendpoint_add")

    whole = scoped.post(add, _form(shops["mine"].provider, receiver.url()))
    sibling = scoped.post(add, _form(shops["mine"].provider, receiver.url(), establishments=[shops["sibling"].pk]))
    assert "Elige los establecimientos que atiendes" in whole.content.decode()
    assert sibling.status_code == 200
    assert not WebhookEndpoint.objects.exists()

    scoped.post(add, _form(shops["mine"].provider, receiver.url(), establishments=[shops["mine"].pk]))
    assert list(WebhookEndpoint.objects.get().establishments.all()) == [shops["mine"]]


def test_failed_deliveries_show_a_banner_and_can_be_sent_again(scoped, hooks, receiver):
    mine = WebhookDelivery.objects.filter(complaint=hooks["hojas"]["mine"]).first()
    theirs = WebhookDelivery.objects.filter(complaint=hooks["hojas"]["sibling"]).first()
    WebhookDelivery.objects.filter(pk__in=[mine.pk, theirs.pk]).update(status=WebhookDelivery.Status.FAILED)

    html = scoped.get(reverse(DELIVERIES)).content.decode()
    assert "1 entrega(s) de webhook fallaron" in html  # theirs is not counted for this user

    scoped.post(reverse(DELIVERIES), {"action": "resend", "_selected_action": [mine.pk, theirs.pk]})

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == WebhookDelivery.Status.PENDING
    assert mine.attempts == 0
    assert theirs.status == WebhookDelivery.Status.FAILED


def test_the_delivery_log_is_read_only(admin_client, hooks):
    delivery = WebhookDelivery.objects.first()

    html = admin_client.get(_change("webhookdelivery", delivery.pk)).content.decode()

    assert 'name="payload"' not in html
    assert 'name="status"' not in html
    assert admin_client.get(reverse("admin:reclamaciones_webhookdelivery_add")).status_code == 403


def test_the_webhook_admin_pages_are_in_spanish(admin_client, hooks):
    from ..access.test_admin_spanish import english_in, page_text

    endpoint, delivery = WebhookEndpoint.objects.first(), WebhookDelivery.objects.first()
    urls = [
        reverse(ENDPOINTS),
        reverse("admin:reclamaciones_webhookendpoint_add"),
        _change("webhookendpoint", endpoint.pk),
        reverse(DELIVERIES),
        _change("webhookdelivery", delivery.pk),
    ]
    leftovers = {}
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        if found := english_in(page_text(response)):
            leftovers[url] = found
    secret_page = admin_client.post(reverse(ENDPOINTS), {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    if found := english_in(page_text(secret_page)):
        leftovers["secret"] = found
    assert leftovers == {}
