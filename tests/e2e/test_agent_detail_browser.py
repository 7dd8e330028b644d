"""Issue 13 §2 and §4 in a real browser: the hoja's page shows the consumer's other hojas and warns when a
colleague has it open; the answer page inserts a template where the cursor is, filled with the hoja's data,
without wiping what the agent typed. At laptop and phone widths (look at the screenshots)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from playwright.sync_api import expect

from reclamaciones.book.services import complaint_file
from reclamaciones.handling.models import ResponseTemplate, StaffProfile

from ..factories import EstablishmentFactory, filing_kwargs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"


def _staff(username: str, first_name: str, shop) -> User:
    user = User.objects.create_user(username, f"{username}@andina.example.pe", PASSWORD, first_name=first_name)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get_or_create(name="agent")[0])  # groups are flushed by transactional tests
    StaffProfile.objects.create(user=user).establishments.add(shop)
    return user


def _log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("staff:login"))
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_attached()


@pytest.fixture
def repeat_consumer():
    """One consumer, three hojas in the agents' shop and one in a shop they cannot see."""
    shop = EstablishmentFactory(name="Tienda San Isidro", slug="san-isidro")
    elsewhere = EstablishmentFactory(name="Tienda Arequipa", slug="arequipa")
    hojas = [
        complaint_file(
            **filing_kwargs(
                establishment=where,
                consumer_name="María Núñez Ñahui",
                doc_number="45805689",
                good_description="Refrigeradora Frío 300",
                detail=f"Caso {i}: la refrigeradora llegó con la puerta abollada.",
            )
        )
        for i, where in enumerate([shop, shop, shop, elsewhere])
    ]
    return shop, hojas


def test_the_hoja_shows_the_consumers_other_hojas_and_who_else_has_it_open(
    page, browser, live_server, repeat_consumer, screenshot
):
    shop, hojas = repeat_consumer
    _staff("rosa", "Rosa", shop)
    _staff("lucia", "Lucía", shop)
    current = hojas[2]
    detail = live_server.url + reverse("staff:detail", args=[current.pk])

    # Lucía opened it a moment ago, in her own browser.
    other = browser.new_context()
    lucia = other.new_page()
    _log_in(lucia, live_server, "lucia")
    lucia.goto(detail)
    other.close()

    _log_in(page, live_server, "rosa")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(detail)
        expect(page.locator("#aviso-otros")).to_contain_text("Lucía abrió esta hoja")
        others = page.get_by_role("region", name="Otras hojas de este consumidor")
        for hoja in hojas[:2]:
            expect(others.get_by_role("link", name=f"Nº {hoja.display_number}")).to_be_visible()
        expect(others).not_to_contain_text("Tienda Arequipa")  # another shop's hoja stays out of sight
        expect(others.get_by_role("listitem")).to_have_count(2)
        expect(others).not_to_contain_text(current.display_number)
        assert page.evaluate("document.documentElement.scrollWidth") == width
        screenshot(f"detail-{width}")

    # The link leads to the other hoja and its page lists this one back.
    page.get_by_role("link", name=f"Nº {hojas[0].display_number}").click()
    expect(page.get_by_role("region", name="Otras hojas de este consumidor")).to_contain_text(current.display_number)


def test_a_template_lands_at_the_cursor_filled_with_the_hojas_data_and_keeps_the_draft(
    page, live_server, repeat_consumer, screenshot
):
    shop, hojas = repeat_consumer
    _staff("rosa", "Rosa", shop)
    ResponseTemplate.objects.create(
        name="Cambio del producto",
        kind="reclamo",
        body="Hola, {nombre}: sobre tu hoja Nº {numero}, cambiaremos tu {producto}.",
    )
    hoja = hojas[0]
    _log_in(page, live_server, "rosa")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + reverse("staff:answer", args=[hoja.pk]))
        text = page.locator("#answer-form textarea")
        text.fill("Lamentamos lo ocurrido.\n\nAtentamente, Tienda San Isidro")
        # The cursor goes to the end of the first paragraph: the template must land there.
        text.evaluate("(t) => { t.focus(); t.setSelectionRange(23, 23); }")
        page.get_by_label("Partir de una plantilla").select_option(label="Cambio del producto (reclamo)")
        page.get_by_role("button", name="Usar plantilla").click()
        expect(text).to_have_value(
            "Lamentamos lo ocurrido.\n\n"
            f"Hola, María Núñez Ñahui: sobre tu hoja Nº {hoja.display_number}, cambiaremos tu Refrigeradora Frío 300."
            "\n\nAtentamente, Tienda San Isidro"
        )
        assert page.evaluate("document.documentElement.scrollWidth") == width
        screenshot(f"answer-template-{width}")
