"""A consumer files a hoja in a real browser, on a phone-sized screen and with the keyboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reclamaciones.book.models import Complaint
from reclamaciones.outbox.models import OutboundMessage

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


def _fill_and_send(page, detail: str) -> None:
    page.get_by_label("Nombre completo").fill("María Núñez Ñahui")
    page.get_by_label("Número de documento").fill("45805689")
    page.get_by_label("Correo electrónico", exact=True).fill("maria@example.pe")
    page.get_by_label("Detalle").fill(detail)
    page.get_by_role("button", name="Enviar hoja de reclamación").click()
    expect(page.get_by_role("heading", name=re.compile("Registramos tu"))).to_be_visible()


def test_back_then_send_shows_the_same_hoja_and_back_edit_send_files_a_new_one(page, book_url):
    page.goto(book_url)
    _fill_and_send(page, "La refrigeradora llegó abollada.")
    first = Complaint.objects.get()

    page.go_back()  # the form comes back filled in; sending it again is the same hoja
    expect(page.get_by_label("Detalle")).to_be_visible()
    if page.get_by_label("Detalle").input_value() != "La refrigeradora llegó abollada.":
        _fill_and_send(page, "La refrigeradora llegó abollada.")  # a browser that did not keep the values
    else:
        page.get_by_role("button", name="Enviar hoja de reclamación").click()
        expect(page.get_by_role("heading", name=re.compile("Registramos tu"))).to_be_visible()
    expect(page.locator("body")).to_contain_text(f"Nº {first.display_number}")
    assert Complaint.objects.count() == 1

    page.go_back()  # a genuinely new hoja: same page, other content
    _fill_and_send(page, "Además, la garantía no cubre el motor.")
    assert Complaint.objects.count() == 2
    second = Complaint.objects.exclude(pk=first.pk).get()
    expect(page.locator("body")).to_contain_text(f"Nº {second.display_number}")

    page.go_back()  # and that one, sent twice, is still one hoja
    _fill_and_send(page, "Además, la garantía no cubre el motor.")
    assert Complaint.objects.count() == 2


def test_the_detail_counter_counts_line_breaks_once_and_a_long_paste_is_kept(page, book_url, screenshot):
    page.goto(book_url)
    detail = page.get_by_label("Detalle")
    detail.fill("uno\ndos\ntres")
    counter = page.locator("#id_detail-count")
    expect(counter).to_have_text("12 / 4000 caracteres")

    detail.fill("x" * 4010)  # a paste over the limit: not cut, the counter says by how much
    assert len(detail.input_value()) == 4010
    expect(counter).to_contain_text("te pasaste por 10")
    screenshot("over-the-limit")
    page.get_by_role("button", name="Enviar hoja de reclamación").click()
    expect(page.locator("#resumen-errores")).to_contain_text("Escribe como máximo 4000 caracteres (llevas 4010)")
    assert Complaint.objects.count() == 0


def test_the_rate_limited_page_keeps_the_text_and_offers_the_other_ways_on_a_phone(
    page, live_server, settings, screenshot
):
    settings.RECLAMACIONES_FILING_RATE = "1/h"
    store = EstablishmentFactory(name="Tienda Miraflores", slug="miraflores", phone="(01) 615-0000")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("reclamaciones:file", args=[store.slug]))
    _fill_and_send(page, "Primera hoja.")
    page.goto(live_server.url + reverse("reclamaciones:file", args=[store.slug]))

    page.get_by_label("Nombre completo").fill("José Ñique")
    page.get_by_label("Número de documento").fill("45805689")
    page.get_by_label("Domicilio", exact=True).fill("Jr. Los Ficus 1356")
    page.get_by_label("Detalle").fill("Otra hoja, desde la misma conexión.")
    page.get_by_role("button", name="Enviar hoja de reclamación").click()

    expect(page.get_by_role("alert")).to_contain_text("podrás enviarla dentro de")
    expect(page.locator("#otras-vias")).to_contain_text("Pide el Libro de Reclamaciones en el establecimiento")
    expect(page.locator("#otras-vias").get_by_role("link", name="(01) 615-0000")).to_be_visible()
    expect(page.get_by_label("Detalle")).to_have_value("Otra hoja, desde la misma conexión.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("rate-limited-phone")
    assert Complaint.objects.count() == 1


WHITE = (255, 255, 255)


def _rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(part) for part in re.findall(r"\d+", css)[:3])


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_home_page_fits_a_phone_with_the_book_button_on_the_first_screen(page, live_server, book_url, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("reclamaciones:home"))

    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]  # it was 12 px wider
    button = page.get_by_text("Registrar un reclamo o queja")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]  # visible without scrolling
    screenshot("home-phone")


def test_the_form_has_an_h1_fields_and_focus_that_can_be_seen_and_no_prefilled_amount(page, book_url, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(book_url)

    expect(page.get_by_role("heading", level=1)).to_have_text("HOJA DE RECLAMACIÓN")
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    name = page.get_by_label("Nombre completo")
    reclamo = page.get_by_label("RECLAMO")
    for field in (name, reclamo, page.get_by_label("Tipo de documento")):  # WCAG 1.4.11: 3:1 for borders
        assert _contrast(_rgb(field.evaluate("e => getComputedStyle(e).borderTopColor")), WHITE) >= 3
    for field in (name, reclamo):
        field.focus()
        ring = field.evaluate(
            "e => { const s = getComputedStyle(e); "
            "return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor] }"
        )
        assert ring[0] == "solid", ring
        assert ring[1] >= 2, ring
        assert _contrast(_rgb(ring[2]), WHITE) >= 3, ring
    name.focus()
    screenshot("form-focus")
    assert page.get_by_label("Monto reclamado").get_attribute("placeholder") is None  # "0.00" looked filled in


def test_favicon_ico_leads_to_the_book_icon(page, live_server):
    response = page.request.get(live_server.url + "/favicon.ico")  # follows the redirect

    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    page.goto(live_server.url + reverse("reclamaciones:home"))
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server.url + icon).status == 200


def test_with_the_2026_rules_the_consumer_reviews_corrects_and_confirms(page, book_url, settings, screenshot):
    """Issue 14 §2 (draft art. 5-A, RECLAMACIONES_RULES_2026): the review page at phone and laptop widths, the
    warning for a missing e-mail, back to the form with everything typed, then confirmed and numbered."""
    settings.RECLAMACIONES_RULES_2026 = True
    page.set_viewport_size(PHONE)
    page.goto(book_url)
    page.get_by_label("Nombre completo").fill("María Núñez Ñahui")
    page.get_by_label("Número de documento").fill("45805689")
    page.get_by_label("Domicilio", exact=True).fill("Jr. Los Ficus 1356, Santa Anita")
    page.get_by_label("RECLAMO").check()
    page.get_by_label("Detalle").fill("La refrigeradora llegó con la puerta abollada.")
    page.get_by_role("button", name="Revisar mi hoja").click()

    expect(page.get_by_role("heading", name="Revisa y confirma tu hoja")).to_be_visible()
    expect(page.locator("#avisos")).to_contain_text("No escribiste un correo electrónico")
    expect(page.locator("#sheet-number")).to_contain_text("se asigna al confirmar")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("review-phone")
    assert Complaint.objects.count() == 0

    page.get_by_role("button", name="Corregir mis datos").click()
    expect(page.get_by_label("Detalle")).to_have_value("La refrigeradora llegó con la puerta abollada.")
    page.get_by_label("Correo electrónico", exact=True).fill("maria@example.pe")
    page.get_by_role("button", name="Revisar mi hoja").click()
    expect(page.locator("#avisos")).to_have_count(0)
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot("review-laptop")

    page.get_by_role("button", name="Confirmar y enviar mi hoja").click()
    expect(page.get_by_role("heading", name="Registramos tu reclamo")).to_be_visible()
    complaint = Complaint.objects.get()
    assert complaint.consumer_email == "maria@example.pe"
    assert complaint.events.get(type="filed").data["confirmation"] == {"confirmed": True, "warnings": []}
