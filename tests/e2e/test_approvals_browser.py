"""The supervisor's bulk assignment from the queue and the approval step, in a real browser at laptop (1366 px)
and phone (390 px) widths (issue 13, capability 1). Screenshots land in test-artifacts/ (look at them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reclamaciones.access import Scope
from reclamaciones.book.services import complaint_file
from reclamaciones.handling.models import StaffProfile
from reclamaciones.handling.services import complaint_classify

from ..factories import EstablishmentFactory, cause_get, filing_kwargs
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"
NAMES = ["María Núñez Ñahui", "José Pérez Villanueva", "Lucía Fernández", "Pedro Quispe Mamani"]


def _user(username: str, role: str, shop, first_name: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@andina.example.pe", PASSWORD, first_name=first_name, is_staff=True
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])  # groups are flushed by transactional tests
    StaffProfile.objects.create(user=user).establishments.add(shop)
    return user


@pytest.fixture
def shop():
    """A shop whose supervisors approve agents' offers and reclassifications; an agent, a second agent, a
    supervisor and four open reclamos (the first one classified, so an offer may be proposed)."""
    shop = EstablishmentFactory(
        name="Tienda San Isidro",
        slug="san-isidro",
        offers_need_approval=True,
        reclassifications_need_approval=True,
    )
    _user("ana", "agent", shop, "Ana")
    _user("beto", "agent", shop, "Beto")
    _user("sofia", "supervisor", shop, "Sofía")
    now = timezone.now()
    hojas = [
        complaint_file(
            **filing_kwargs(
                establishment=shop, consumer_name=name, doc_number=f"4580{i:04d}", filed_at=now - timedelta(days=2 + i)
            )
        )
        for i, name in enumerate(NAMES)
    ]
    complaint_classify(complaint_id=hojas[0].pk, cause=cause_get(), scope=Scope.everything())
    return {"shop": shop, "hojas": hojas}


def _log_in(page, url, username):
    page.context.clear_cookies()
    page.goto(url)
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"


def test_a_supervisor_assigns_hojas_in_bulk_from_the_queue(page, live_server, shop, screenshot):
    queue = live_server.url + reverse("staff:queue")
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, queue, "sofia")
    expect(page.get_by_role("heading", name="Bandeja de hojas")).to_be_visible()
    first, second = shop["hojas"][0], shop["hojas"][1]

    page.get_by_label(f"Seleccionar la hoja Nº {first.display_number}").check()
    page.get_by_label(f"Seleccionar la hoja Nº {second.display_number}").check()
    expect(page.get_by_text("2 seleccionadas")).to_be_visible()
    page.get_by_label("Asignar las seleccionadas a").select_option(label="Beto")
    screenshot("1366-selected")
    page.get_by_role("button", name="Asignar", exact=True).click()

    expect(page.get_by_text("Listo: 2 hojas asignadas a Beto.")).to_be_visible()
    assert page.locator(".queue-table tbody tr", has_text="Beto").count() == 2
    _no_sideways_scroll(page)
    screenshot("1366-done")

    # The keyboard alone: "Todas las de esta página" with the space bar checks every row.
    everything = page.get_by_label("Todas las de esta página (4)")
    everything.focus()
    page.keyboard.press("Space")
    expect(page.get_by_text("4 seleccionadas")).to_be_visible()

    # A phone: the cards carry the checkboxes; nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(queue)
    page.get_by_label(f"Seleccionar Nº {shop['hojas'][2].display_number}").check()
    expect(page.get_by_text("1 seleccionada", exact=True)).to_be_visible()
    page.get_by_label("Asignar las seleccionadas a").select_option(label="Sin asignar (devolver a la bandeja)")
    _no_sideways_scroll(page)
    screenshot("390-selected")
    page.get_by_role("button", name="Asignar", exact=True).click()
    expect(page.get_by_text("1 hoja ya estaba así")).to_be_visible()
    _no_sideways_scroll(page)


def test_an_agents_offer_waits_for_the_supervisor_who_approves_it(page, live_server, shop, screenshot):
    hoja = shop["hojas"][0]
    detail = live_server.url + reverse("staff:detail", args=[hoja.pk])

    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, detail, "ana")
    expect(page.get_by_text("supervisión aprueba tus propuestas de solución y reclasificaciones")).to_be_visible()
    page.get_by_text("Propuesta de solución", exact=False).first.click()
    page.get_by_label("Propuesta").fill("Te cambiamos la laptop por una nueva; la recoges desde el lunes.")
    page.get_by_role("button", name="Enviar propuesta por correo").click()
    expect(page.get_by_text("Tu propuesta quedó por aprobar")).to_be_visible()
    expect(page.get_by_text("Esperando la decisión de supervisión")).to_be_visible()
    _no_sideways_scroll(page)
    screenshot("390-agent-pending")
    page.locator("#aprobaciones").screenshot(path=ARTIFACTS / "approvals-390-agent-pending.png")

    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, live_server.url + reverse("staff:team"), "sofia")
    expect(page.get_by_role("heading", name="Por aprobar")).to_be_visible()
    screenshot("1366-team")
    page.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(page)
    page.locator("#por-aprobar").screenshot(path=ARTIFACTS / "approvals-390-team.png")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name=f"Nº {hoja.display_number} · Propuesta de solución").click()
    expect(page.get_by_role("heading", name="Aprobación de supervisión")).to_be_visible()
    screenshot("1366-supervisor-panel")
    page.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(page)
    screenshot("390-supervisor-panel")
    page.locator("#aprobaciones").screenshot(path=ARTIFACTS / "approvals-390-supervisor-panel.png")
    page.get_by_role("button", name="Aprobar y enviar al consumidor").click()
    expect(page.get_by_text("Propuesta aprobada y enviada al consumidor por correo")).to_be_visible()


def test_a_returned_reclassification_shows_its_reason_to_the_agent(page, live_server, shop, screenshot):
    hoja = shop["hojas"][1]
    detail = live_server.url + reverse("staff:detail", args=[hoja.pk])
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, detail, "ana")
    page.get_by_text("Reclasificar").first.click()
    page.get_by_label("Motivo", exact=False).first.fill("Es sobre la atención en caja, no sobre el producto.")
    page.get_by_role("button", name="Reclasificar", exact=True).click()
    expect(page.get_by_text("La reclasificación quedó por aprobar")).to_be_visible()

    _log_in(page, detail, "sofia")
    page.get_by_text("Devolver con un motivo").click()
    page.get_by_role("button", name="Devolver sin enviar").click()
    expect(page.get_by_text("Indica por qué la devuelves")).to_be_visible()
    screenshot("1366-return-error")
    page.get_by_label("Motivo de la devolución").fill("Hay un producto fallado: sigue siendo reclamo.")
    page.get_by_role("button", name="Devolver sin enviar").click()
    expect(page.get_by_text("Devuelta a Ana con tu motivo")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, detail, "ana")
    expect(page.locator(".approval-returned")).to_contain_text("Hay un producto fallado: sigue siendo reclamo.")
    _no_sideways_scroll(page)
    screenshot("390-agent-returned")
    page.locator("#aprobaciones").screenshot(path=ARTIFACTS / "approvals-390-agent-returned.png")
