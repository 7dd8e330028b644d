"""The whole loop in a real browser: a consumer files, an agent logs in, takes the hoja and answers it, and
the consumer opens the tracking link, reads the answer and rates it. Screenshots of each page land in
test-artifacts/ (look at them)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from playwright.sync_api import expect

from reclamaciones.book.models import Complaint, Status
from reclamaciones.handling.models import ResponseTemplate, StaffProfile, SurveyAnswer

from ..factories import EstablishmentFactory

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
    ResponseTemplate.objects.create(
        name="Cambio del producto", kind="reclamo", body="Hemos dispuesto el cambio de su producto."
    )
    return user


def test_consumer_files_agent_answers_consumer_rates(page, live_server, shop, agent, screenshot):
    page.on("dialog", lambda dialog: dialog.accept())  # "La respuesta no se puede modificar después"

    # 1. The consumer files a reclamo.
    page.goto(live_server.url + reverse("reclamaciones:file", args=[shop.slug]))
    page.get_by_label("Nombre completo").fill("María Núñez Ñahui")
    page.get_by_label("Número de documento").fill("45805689")
    page.get_by_label("Correo electrónico", exact=True).fill("maria@example.pe")
    page.get_by_label("RECLAMO").check()
    page.get_by_label("Detalle").fill("La refrigeradora llegó con la puerta abollada.")
    page.get_by_label("Pedido").fill("Cambio del producto.")
    page.get_by_role("button", name="Enviar hoja de reclamación").click()
    expect(page.get_by_role("heading", name="Registramos tu reclamo")).to_be_visible()
    tracking_url = page.locator("#tracking-link").get_attribute("href")
    complaint = Complaint.objects.get()
    screenshot("1-consumer-confirmation")

    # 2. The agent logs in and finds it in the queue.
    page.goto(live_server.url + reverse("staff:queue"))
    page.get_by_label("Usuario").fill("rosa")
    page.get_by_label("Contraseña").fill(PASSWORD)
    screenshot("2-staff-login")
    page.get_by_role("button", name="Ingresar").click()
    row = page.get_by_role("link", name=complaint.display_number)
    expect(row).to_be_visible()
    screenshot("3-staff-queue")

    # 3. Takes it and answers from a template.
    row.click()
    page.get_by_role("button", name="Tomarla yo").click()
    expect(page.locator("body")).to_contain_text("En atención")
    screenshot("4-staff-detail")
    page.get_by_role("link", name="Responder").first.click()
    page.get_by_label("Partir de una plantilla").select_option(label="Cambio del producto (reclamo)")
    page.get_by_role("button", name="Usar plantilla").click()
    text = page.locator("#answer-form textarea")
    expect(text).to_have_value("Hemos dispuesto el cambio de su producto.")
    text.fill("Hemos dispuesto el cambio de su refrigeradora; la recibirá el jueves.")
    page.get_by_role("button", name="Vista previa").click()
    expect(page.locator("#vista-previa")).to_contain_text("la recibirá el jueves")
    screenshot("5-staff-answer-preview")
    page.locator("#send-button").click()  # "Enviar por correo" (its label follows the chosen channel)
    expect(page.locator("body")).to_contain_text("Respondida")
    screenshot("6-staff-answered")
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED

    # 4. The consumer opens the tracking link, reads the answer and answers the survey.
    page.goto(tracking_url.replace("https://reclamos.example.pe", live_server.url))
    expect(page.locator("body")).to_contain_text("la recibirá el jueves")
    expect(page.locator("body")).not_to_contain_text("Rosa")  # staff names stay internal
    screenshot("7-consumer-answer")
    page.locator("label[for='id_solved_0']").click()
    page.locator("label[for='id_csat_4']").click()
    page.locator("label[for='id_nps_9']").click()
    page.get_by_role("button", name="Enviar mi opinión").click()
    expect(page.get_by_text("¡Gracias por tu opinión!")).to_be_visible()
    screenshot("8-consumer-thanks")
    survey = SurveyAnswer.objects.get(complaint=complaint)
    assert (survey.solved, survey.csat, survey.nps) == (True, 5, 9)


@pytest.fixture
def busy_queue(shop, agent):
    """Hojas the queue's widest cells come from: long overdue ones, long names and a long establishment name."""
    from datetime import timedelta

    from django.utils import timezone

    from reclamaciones.book.services import complaint_file

    from ..factories import filing_kwargs

    mall = EstablishmentFactory(name="Tienda Miraflores · Centro Comercial Larcomar", slug="larcomar")
    agent.staff_profile.establishments.add(mall)
    names = ["María Núñez Ñahui", "José Nahui Pérez", "Ana Lucía Fernández de la Cruz Villanueva", "Pedro Nunez"]
    now = timezone.now()
    for i in range(8):
        complaint_file(
            **filing_kwargs(
                establishment=(shop, mall)[i % 2],
                consumer_name=names[i % 4],
                doc_number=f"4580{i:04d}",
                filed_at=now - timedelta(days=3 + 6 * i),  # some of them weeks overdue
            )
        )


def _log_in(page, url):
    page.goto(url)
    page.get_by_label("Usuario").fill("rosa")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def test_queue_fits_laptops_and_phones_and_finds_names_typed_without_accents(page, live_server, busy_queue, screenshot):
    queue = live_server.url + reverse("staff:queue")
    page.set_viewport_size({"width": 1280, "height": 800})
    _log_in(page, queue)
    expect(page.get_by_role("heading", name="Bandeja de hojas")).to_be_visible()
    expect(page.locator(".queue-table")).to_contain_text("Vencida hace")

    for width in (1280, 1366):  # the status, the last column, was cut off at these widths
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(queue)
        assert page.evaluate("document.documentElement.scrollWidth") == width
        wrap = page.locator(".queue-table-wrap")
        assert wrap.evaluate("(w) => w.scrollWidth <= w.clientWidth")  # nothing to scroll to inside either
        last = page.locator(".queue-table thead th").last
        expect(last).to_have_text("Estado")
        assert (
            last.bounding_box()["x"] + last.bounding_box()["width"]
            <= wrap.bounding_box()["x"] + wrap.bounding_box()["width"]
        )
        screenshot(f"queue-{width}")

    # Search by name, typed without the Ñ or the accents.
    page.get_by_role("searchbox", name="Buscar").fill("nahui")
    page.get_by_role("button", name="Filtrar").click()
    table = page.locator(".queue-table")
    expect(table).to_contain_text("María Núñez Ñahui")
    expect(table).to_contain_text("José Nahui Pérez")
    expect(table).not_to_contain_text("Pedro Nunez")
    page.get_by_role("searchbox", name="Buscar").fill("nunez")
    page.get_by_role("button", name="Filtrar").click()
    expect(table).to_contain_text("María Núñez Ñahui")
    expect(table).to_contain_text("Pedro Nunez")
    expect(table).not_to_contain_text("José Nahui Pérez")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(queue)
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    page.get_by_role("button", name="Abrir el menú").click()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("queue-phone")


def test_a_supervisor_moves_an_agents_hojas_from_the_team_view(page, live_server, busy_queue, agent, shop, screenshot):
    """Issue 13 §1: the team view at laptop and phone widths, and its bulk reassignment."""
    boss = User.objects.create_user("sofia", "sofia@andina.example.pe", PASSWORD, first_name="Sofía", is_staff=True)
    boss.groups.add(Group.objects.get_or_create(name="supervisor")[0])
    StaffProfile.objects.create(user=boss).establishments.add(shop)
    mine = Complaint.objects.filter(establishment=shop)
    mine.update(assignee=agent)  # staff-side field: assignment is not filed content
    team = live_server.url + reverse("staff:team")
    page.goto(team)
    page.get_by_label("Usuario").fill("sofia")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto(team)

    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(team)
        expect(page.get_by_role("heading", name="Equipo", exact=True)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") == width
        screenshot(f"team-{width}")

    page.get_by_label("Hojas abiertas de").select_option(label="Rosa")
    page.get_by_label("Pasarlas a").select_option(label="Sofía")
    page.get_by_role("button", name="Reasignar").click()

    expect(page.get_by_role("status")).to_contain_text("pasaron a Sofía")
    assert set(mine.values_list("assignee", flat=True)) == {boss.pk}
