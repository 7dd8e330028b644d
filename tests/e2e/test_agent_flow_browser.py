"""The agent's flow in a real browser (issue 13, capability 5), at laptop (1366 px) and phone (390 px) widths:
the keyboard shortcuts (static/js/shortcuts.js: j/k, o, "/", "?" on the queue; n, r, "?" on the hoja; never
while typing), a saved personal view, "Siguiente hoja" and the search over the consumer's detail. Screenshots
land in test-artifacts/ (look at them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reclamaciones.book.models import Complaint
from reclamaciones.book.services import complaint_file
from reclamaciones.handling.models import SavedQueueView, StaffProfile

from ..factories import EstablishmentFactory, filing_kwargs, hoja_answered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"

DETAILS = [
    "Me cobró dos veces el mismo producto en la caja 3.",
    "El pedido no llegó en la fecha prometida.",
    "Cobro indebido de una comisión que nadie me explicó.",
    "La atención fue descortés y no me entregaron comprobante.",
    "Me cobraron el envío aunque la compra superaba el mínimo.",
]


@pytest.fixture
def desk():
    """An agent of one shop with five open hojas (three of them about a charge: "cobro")."""
    shop = EstablishmentFactory(name="Tienda San Isidro", slug="san-isidro")
    user = User.objects.create_user("rosa", "rosa@andina.example.pe", PASSWORD, first_name="Rosa", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="agent")[0])  # groups are flushed by transactional tests
    StaffProfile.objects.create(user=user).establishments.add(shop)
    now = timezone.now()
    names = ["María Núñez Ñahui", "José Pérez", "Lucía Fernández", "Pedro Quispe", "Zoila Ccori"]
    for i, (name, detail) in enumerate(zip(names, DETAILS, strict=True)):
        complaint_file(
            **filing_kwargs(
                establishment=shop,
                consumer_name=name,
                doc_number=f"4580{i:04d}",
                detail=detail,
                filed_at=now - timedelta(days=2 + 3 * i),
            )
        )
    return user


def _log_in(page, url):
    page.goto(url)
    page.get_by_label("Usuario").fill("rosa")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def _csp_watch(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


def _focused_row_text(page) -> str:
    return page.evaluate("document.activeElement.closest('tr, li').innerText")


def test_an_agent_works_the_queue_from_the_keyboard(page, live_server, desk, screenshot):
    violations = _csp_watch(page)
    queue = live_server.url + reverse("staff:queue")
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, queue)
    expect(page.get_by_role("heading", name="Bandeja de hojas")).to_be_visible()

    # "/" goes to the search; typing there never fires a shortcut ("j", "o", "?" are just letters).
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Buscar")
    expect(search).to_be_focused()
    page.keyboard.type("cobro ?jo")
    expect(search).to_have_value("cobro ?jo")
    expect(page.locator("#atajos")).not_to_be_visible()
    search.fill("cobro")
    page.keyboard.press("Enter")
    table = page.locator(".queue-table")
    # The search reads the detail, accents aside: "cobró", "Cobro" ("cobraron" does not hold "cobro").
    expect(table).to_contain_text("María Núñez Ñahui")
    expect(table).to_contain_text("Lucía Fernández")
    expect(table).not_to_contain_text("José Pérez")
    expect(table).not_to_contain_text("Zoila Ccori")

    # j / k move a visible focus down and up the rows (the most urgent first: Lucía filed before María).
    page.keyboard.press("j")
    assert "Lucía Fernández" in _focused_row_text(page)
    page.keyboard.press("j")
    assert "María Núñez Ñahui" in _focused_row_text(page)
    page.keyboard.press("j")  # the last row stays marked
    assert "María Núñez Ñahui" in _focused_row_text(page)
    expect(page.locator("tr.kbd-current")).to_have_count(1)
    page.keyboard.press("k")
    assert "Lucía Fernández" in _focused_row_text(page)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    screenshot("queue-keyboard-1366")

    # "?" opens the help (also a visible button); Escape closes it and gives the focus back.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Atajos de teclado")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Abrir la hoja marcada")
    screenshot("queue-help-1366")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    page.get_by_role("button", name="Atajos de teclado").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Entendido").click()
    expect(dialog).not_to_be_visible()

    # Save this view under a name: it shows above the table, marked as the one open.
    page.get_by_text("Guardar esta vista").click()
    page.get_by_label("Nombre de la vista").fill("Cobros")
    page.get_by_role("button", name="Guardar", exact=True).click()
    expect(page.get_by_text("Vista «Cobros» guardada")).to_be_visible()
    expect(page.locator(".saved-views a[aria-current='true']")).to_have_text("Cobros")
    assert SavedQueueView.objects.get(owner=desk).query == "q=cobro"
    screenshot("queue-saved-view-1366")

    # "o" opens the marked hoja (the first one, if none is marked); "n" the next hoja of this view.
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page.get_by_role("heading", name="Hoja Nº")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Lucía Fernández")
    expect(page.get_by_role("link", name="Siguiente hoja")).to_be_visible()
    screenshot("detail-flow-1366")
    # Typing a note: "n" and "r" are letters there.
    note = page.get_by_label("Nota interna")
    note.fill("")
    note.type("nr?")
    expect(note).to_have_value("nr?")
    expect(page.locator("main")).to_contain_text("Lucía Fernández")
    note.fill("")
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("main")).to_contain_text("María Núñez Ñahui")
    expect(page.get_by_text("Última hoja de la vista")).to_be_visible()
    page.keyboard.press("n")  # nothing after the last one: it stays
    expect(page.locator("main")).to_contain_text("María Núñez Ñahui")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Atajos de teclado")).to_contain_text("Siguiente hoja")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.get_by_role("heading", name="Responder")).to_be_visible()
    assert violations == []


def test_the_flow_fits_a_phone(page, live_server, desk, screenshot):
    violations = _csp_watch(page)
    page.set_viewport_size({"width": 390, "height": 844})
    SavedQueueView.objects.create(owner=desk, name="Vencidas de mi tienda", query="vencidas=on")
    SavedQueueView.objects.create(owner=desk, name="Cobros", query="q=cobro")
    _log_in(page, live_server.url + reverse("staff:queue") + "?estado=abiertas")
    expect(page.get_by_role("heading", name="Bandeja de hojas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    expect(page.get_by_role("link", name="Vencidas de mi tienda")).to_be_visible()
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(".queue-card.kbd-current")).to_have_count(1)
    screenshot("queue-390")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Atajos de teclado")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    screenshot("queue-help-390")
    page.keyboard.press("Escape")

    page.locator(".queue-card .sheet-link").first.click()
    expect(page.get_by_role("link", name="Siguiente hoja")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("detail-flow-390")
    page.get_by_role("button", name="Guardar y siguiente").last.click()  # the note's: empty, so it stays
    expect(page.get_by_text("Revisa los campos marcados.")).to_be_visible()
    page.get_by_label("Nota interna").fill("Llamé: pide la devolución.")
    page.get_by_role("button", name="Guardar y siguiente").last.click()
    expect(page.get_by_text("Nota guardada en el historial.")).to_be_visible()

    page.goto(live_server.url + reverse("staff:saved-views"))
    expect(page.get_by_role("heading", name="Mis vistas de la bandeja")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("saved-views-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot("saved-views-1366")
    assert violations == []


def test_a_pending_remedy_view_is_worked_through_with_save_and_next(page, live_server, desk, screenshot):
    """Answered hojas whose remedy is not yet recorded: from the «Solución pendiente de cumplir» view, recording
    it with «Guardar y siguiente» lands on the view's next hoja."""
    violations = _csp_watch(page)
    for complaint in Complaint.objects.order_by("pk")[:2]:
        hoja_answered(complaint, by=desk)
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, live_server.url + reverse("staff:queue") + "?estado=por-cumplir")
    rows = page.locator(".queue-table .sheet-link")
    expect(rows).to_have_count(2)
    rows.first.click()
    first = page.locator("h1").inner_text()

    panel = page.locator("#cumplimiento")
    panel.get_by_label("Solución cumplida").check()
    panel.get_by_label("Fecha en que se cumplió").fill(timezone.localdate().isoformat())
    panel.get_by_label("Qué se hizo").fill("Te devolvimos S/ 120.00 a tu tarjeta.")
    panel.get_by_label("Referencia de la constancia").fill("NC B001-000123")
    screenshot("remedy-save-next-1366")
    panel.get_by_role("button", name="Guardar y siguiente").click()

    expect(page.get_by_text("Cumplimiento registrado.")).to_be_visible()
    expect(page.locator("h1")).not_to_have_text(first)
    expect(page.get_by_text("Última hoja de la vista")).to_be_visible()
    expect(page.locator("#cumplimiento")).to_contain_text("Solución pendiente de cumplir")
    assert "desde=estado%3Dpor-cumplir" in page.url
    assert violations == []
