"""SSRF: an endpoint URL must be https and public. Refused when it is saved (a clear Spanish message) and again
at send time, when the connection goes to the very address that was checked."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from reclamaciones.access import Scope
from reclamaciones.webhooks import transport
from reclamaciones.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from reclamaciones.webhooks.services import WebhookDeliveryError, webhook_deliver, webhook_endpoint_create

from ..factories import hoja_filed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("ftp://hooks.example.com/x", "https://"),
        ("https://127.0.0.1/x", "dirección interna (127.0.0.1)"),
        ("https://localhost:8000/x", "dirección interna"),
        ("https://10.0.0.7/x", "dirección interna (10.0.0.7)"),
        ("https://192.168.1.1/x", "dirección interna"),
        ("https://172.16.0.1/x", "dirección interna"),
        ("https://169.254.169.254/latest/meta-data/", "dirección interna (169.254.169.254)"),
        ("https://100.64.0.1/x", "dirección interna"),
        ("https://0.0.0.0/x", "dirección interna"),
        ("https://[::1]/x", "dirección interna (::1)"),
        ("https://[::ffff:127.0.0.1]/x", "dirección interna"),
        ("https://[fe80::1]/x", "dirección interna"),
        ("https://2130706433/x", "dirección interna"),  # 127.0.0.1 written as a number
        ("https://user:pass@hooks.example.com/x", "usuario ni contraseña"),
        ("https://hooks.example.com\x00.evil/x", "URL completa"),
        ("https://hooks.example.com/\r\nX-Injected: 1", "URL completa"),
        ("https://no-existe.invalid/x", "No encontramos el dominio"),
        ("https://[::1/x", "URL completa"),
        ("https:///x", "URL completa"),
    ],
)
def test_unsafe_urls_are_refused_with_a_spanish_message(url, says):
    refusal = transport.url_refusal(url)

    assert refusal is not None
    assert says in refusal


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::5db8:d70e",  # NAT64 of a public IPv4: the translator is not ours to trust either
        "64:ff9b:1::a00:1",  # NAT64 local-use prefix, 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 relayed through 169.254.169.254
        "2002:5db8:d70e::1",  # 6to4 through a public IPv4: deprecated, refused whole
        "::127.0.0.1",  # IPv4-compatible
        "::a9fe:a9fe",
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "fec0::1",  # site-local
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_ipv6_forms_carrying_an_ipv4_address_are_refused(address, settings):
    """Python 3.11 calls these is_global; a translator or relay on the way can hand them to an internal host."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False

    refusal = transport.url_refusal(f"https://[{address}]/hook")

    assert refusal is not None
    assert "dirección interna" in refusal


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_a_native_public_ipv6_address_is_accepted(address):
    assert transport.url_refusal(f"https://[{address}]/hook") is None


def test_a_public_https_url_is_accepted(monkeypatch):
    # DNS leaves the machine: the one thing mocked. The address is a public one (documentation ranges are not).
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("93.184.215.14", 443))])

    assert transport.url_refusal("https://hooks.tienda.pe/libro") is None


def test_one_private_answer_among_public_ones_is_refused(monkeypatch):
    answers = [("93.184.215.14", 443), ("10.1.2.3", 443)]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", a) for a in answers])

    assert "10.1.2.3" in transport.url_refusal("https://hooks.tienda.pe/libro")


def test_the_service_refuses_an_internal_endpoint(establishment):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_create(
            scope=Scope.everything(),
            provider=establishment.provider,
            url="https://169.254.169.254/latest/meta-data/",
            events=[WebhookEvent.FILED],
        )

    assert "dirección interna" in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_an_address_that_turned_internal_is_refused_at_send_time(establishment, endpoint_for, receiver, settings):
    endpoint_for(establishment, events=[WebhookEvent.FILED])  # saved while private addresses were allowed
    hoja_filed(establishment)
    delivery = WebhookDelivery.objects.get()
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Dirección rechazada: La URL apunta a una dirección interna (127.0.0.1)")
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_http_is_refused_at_send_time_unless_allowed(establishment, endpoint_for, receiver, settings):
    endpoint_for(establishment, events=[WebhookEvent.FILED])
    hoja_filed(establishment)
    delivery = WebhookDelivery.objects.get()
    settings.WEBHOOKS_ALLOW_HTTP = False

    with pytest.raises(WebhookDeliveryError):
        webhook_deliver(delivery_pk=delivery.pk)

    assert receiver.requests == []


def test_the_connection_goes_to_the_address_checked_under_the_name_given(
    establishment, endpoint_for, receiver, monkeypatch
):
    """DNS rebinding: the request goes to the address the check saw, with the endpoint's host name in Host."""
    endpoint = endpoint_for(establishment, events=[WebhookEvent.FILED])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://hooks.tienda.test:{receiver.port}/libro")
    hoja_filed(establishment)
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])  # the one resolution of the send; a second one would raise StopIteration

    def resolve(host, *args, **kwargs):
        if host == "hooks.tienda.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), receiver.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    assert webhook_deliver(delivery_pk=WebhookDelivery.objects.get().pk) is True

    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.tienda.test:{receiver.port}"
