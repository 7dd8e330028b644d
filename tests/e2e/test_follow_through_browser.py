"""Issue 13 §3 in a real browser: an agent records on the hoja's page that the promised remedy was carried out,
and the consumer sees it on the tracking page; at laptop (1366 px) and phone (390 px) widths, with screenshots
in test-artifacts/ (look at them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reclamaciones.handling.followup_models import RemedyRecord
from reclamaciones.handling.models import StaffProfile

from ..factories import EstablishmentFactory, hoja_answered, hoja_filed
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"


@pytest.fixture
def shop():
    return EstablishmentFactory(name="Tienda San Isidro", slug="san-isidro")


@pytest.fixture
def agent(shop):
    user = User.objects.create_user("rosa", "rosa@andina.example.pe", PASSWORD, first_name="Rosa", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="agent")[0])  # groups are flushed by transactional tests
    StaffProfile.objects.create(user=user).establishments.add(shop)
    return user


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") == width


def test_an_agent_records_the_remedy_and_the_consumer_sees_it(page, live_server, shop, agent, screenshot):
    ARTIFACTS.mkdir(exist_ok=True)
    hoja = hoja_answered(hoja_filed(shop, filed_at=timezone.now() - timedelta(days=3)), by=agent)
    detail = live_server.url + reverse("staff:detail", args=[hoja.pk])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(detail)
    page.get_by_label("Usuario").fill("rosa")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto(detail)

    panel = page.locator("#cumplimiento")
    expect(panel).to_contain_text("Solución pendiente de cumplir")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(detail)
        _fits(page, width)
        panel.scroll_into_view_if_needed()
        panel.screenshot(path=ARTIFACTS / f"follow-through-remedy-panel-pending-{width}.png")
        screenshot(f"detail-pending-{width}")

    # A date in the future comes back next to its field, with what was typed.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(detail)
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Fecha en que se cumplió").fill(tomorrow.isoformat())
    page.get_by_label("Qué se hizo").fill("Te devolvimos S/ 120.00 a tu tarjeta <b>Visa</b>.")
    page.get_by_label("Referencia de la constancia").fill("NC B001-000123")
    panel.locator("button[type=submit]").click()
    expect(page.locator("#remedy-done_on-error")).to_contain_text("posterior a hoy")
    expect(page.get_by_label("Qué se hizo")).to_have_value("Te devolvimos S/ 120.00 a tu tarjeta <b>Visa</b>.")
    panel.screenshot(path=ARTIFACTS / "follow-through-remedy-panel-error-1366.png")

    page.get_by_label("Fecha en que se cumplió").fill(timezone.localdate().isoformat())
    panel.locator("button[type=submit]").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text(["Cumplimiento registrado."])
    expect(panel).to_contain_text(f"Cumplida el {timezone.localdate():%d/%m/%Y}")
    expect(panel).to_contain_text("<b>Visa</b>")  # shown as typed, never as markup
    assert RemedyRecord.objects.filter(complaint=hoja).count() == 1
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(detail)
        _fits(page, width)
        panel.screenshot(path=ARTIFACTS / f"follow-through-remedy-panel-done-{width}.png")

    track = live_server.url + reverse("reclamaciones:track", args=[hoja.tracking_token])
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(track)
        expect(page.get_by_role("heading", name="Cumplimos la solución")).to_be_visible()
        expect(page.locator("#cumplimiento")).to_contain_text("NC B001-000123")
        _fits(page, width)
        page.screenshot(path=ARTIFACTS / f"follow-through-remedy-tracking-{width}.png", full_page=True)
        screenshot(f"tracking-{width}")
