"""A consumer files a hoja in a real browser, on a phone-sized screen and with the keyboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reclamaciones.models import Complaint, OutboundMessage

from ..factories import EstablishmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def book_url(live_server):
    establishment = EstablishmentFactory(name="Tienda San Isidro", slug="san-isidro")
    return live_server.url + reverse("reclamaciones:file", args=[establishment.slug])


def test_minor_toggle_reveals_the_parent_fields_and_the_page_fits_a_phone(page, book_url, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(book_url)
    guardian = page.locator("#guardian-fields")
    minor = page.get_by_label("Soy menor de edad")

    expect(guardian).to_be_hidden()
    expect(minor).to_have_attribute("aria-expanded", "false")
    minor.check()
    expect(guardian).to_be_visible()
    expect(minor).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Nombre del padre, madre o representante")).to_be_visible()
    minor.uncheck()
    expect(guardian).to_be_hidden()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    screenshot("form-phone")


def test_errors_are_announced_and_reachable_with_the_keyboard(page, book_url, screenshot):
    page.goto(book_url)
    page.get_by_label("Nombre completo").fill("José Ñique")
    page.get_by_role("button", name="Enviar hoja de reclamación").press("Enter")

    summary = page.locator("#resumen-errores")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Escribe el número de tu documento de identidad.")
    expect(page.get_by_label("Nombre completo")).to_have_value("José Ñique")
    summary.get_by_role("link", name="Detalle").press("Enter")
    expect(page).to_have_url(re.compile(r"#id_detail$"))
    screenshot("errors")
    assert Complaint.objects.count() == 0


def test_consumer_files_with_the_keyboard_and_a_double_click_files_once(page, book_url, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(book_url)
    page.get_by_label("Nombre completo").fill("María Núñez Ñahui")
    page.get_by_label("Número de documento").fill("45805689")
    page.get_by_label("Correo electrónico", exact=True).fill("maria@example.pe")
    page.get_by_label("RECLAMO").check()
    page.get_by_label("Detalle").fill("El pedido llegó incompleto y nadie me respondió por teléfono.")
    page.get_by_label("Pedido").fill("Que me envíen lo que falta.")
    page.get_by_role("button", name="Enviar hoja de reclamación").dblclick()

    expect(page.get_by_role("heading", name="Registramos tu reclamo")).to_be_visible()
    complaint = Complaint.objects.get()
    expect(page.locator("body")).to_contain_text(f"Nº {complaint.display_number}")
    expect(page.locator("body")).to_contain_text(f"Fecha límite de respuesta: {complaint.due_date:%d/%m/%Y}")
    expect(page.get_by_role("link", name="Descargar hoja en PDF")).to_be_visible()
    screenshot("confirmation-phone")
    assert OutboundMessage.objects.filter(complaint=complaint).count() == 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar hoja en PDF").click()
    assert download.value.suggested_filename == f"hoja-de-reclamacion-{complaint.display_number}.pdf"
