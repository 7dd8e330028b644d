"""The council dashboard in a real browser: a council member logs in and reads /consejo/ on a book with twelve
weeks of hojas; every chart is drawn (a Chart.js instance on a canvas with a size), the tables fold into "Ver
tabla", and the page works at a phone's width. Screenshots land in test-artifacts/ (look at them)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reclamaciones.book.models import Complaint, Status
from reclamaciones.book.services import complaint_file
from reclamaciones.council.models import ActionItem, ActionStatus
from reclamaciones.handling.models import Cause, Response, StaffProfile, SurveyAnswer

from ..factories import EstablishmentFactory, filing_kwargs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "clave-de-prueba-2026"
NAMES = ["Rosa Quispe Mamani", "Luis Huamán Torres", "Ana Flores Ccori", "Jorge Vargas Díaz", "Elena Rojas Paz"]
CHARTS = ("pareto", "trend", "establishments", "csat", "nps")
# (code, name, hojas in the last 12 weeks, of them in the last 4 weeks)
CAUSES = [
    ("ENT-01", "Retraso en la entrega", 16, 10),
    ("FAC-01", "Cobro no reconocido o duplicado", 9, 3),
    ("PRO-01", "Producto defectuoso o dañado", 7, 2),
    ("ATE-02", "Tiempo de espera excesivo", 5, 1),
    ("DEV-01", "Reembolso no realizado o demorado", 4, 1),
    ("CON-02", "Información engañosa o incompleta", 3, 1),
    ("ENT-03", "Pedido incompleto o equivocado", 2, 0),
    ("ATE-01", "Trato inadecuado del personal", 1, 0),
]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "es-PE"}  # date inputs and Intl as a council member in Lima sees them


@pytest.fixture
def council_member():
    user = User.objects.create_user(
        "carmen", "carmen@andina.example.pe", PASSWORD, first_name="Carmen", last_name="Rojas", is_staff=True
    )
    user.groups.add(Group.objects.get_or_create(name="council")[0])  # groups are flushed by transactional tests
    StaffProfile.objects.create(user=user, all_establishments=True)
    return user


@pytest.fixture
def book(council_member):
    """Twelve weeks of hojas in two establishments: causes in Pareto order, one of them rising lately, some
    answered and rated, a few consumers who came back, and action items in each state that matters."""
    now = timezone.localtime()
    shops = [
        EstablishmentFactory(name="Tienda San Isidro"),
        EstablishmentFactory(name="Tienda Miraflores · Centro Comercial Larcomar"),
    ]
    category, _ = Cause.objects.get_or_create(code="OPS", defaults={"name": "Operaciones"})
    owner = User.objects.create_user("jorge", first_name="Jorge", last_name="Salas")
    n = 0
    for code, name, total, recent in CAUSES:
        cause, _ = Cause.objects.update_or_create(  # the seeded taxonomy is there until a flush
            code=code, defaults={"name": name, "parent": category, "owner": owner if n == 0 else None}
        )
        for i in range(total):
            days_ago = 1 + (i * 5) % 27 if i < recent else 29 + (i * 7) % 54
            complaint = complaint_file(
                **filing_kwargs(
                    establishment=shops[n % 2],
                    # Every fifth hoja comes from one of three consumers who keep coming back.
                    doc_number=f"4{n % 3:07d}" if n % 5 == 0 else f"7{n:07d}",
                    consumer_name=NAMES[n % 3] if n % 5 == 0 else NAMES[n % 5],
                    filed_at=now - timedelta(days=days_ago, hours=n % 5),
                )
            )
            Complaint.objects.filter(pk=complaint.pk).update(cause=cause)
            if n % 3 == 0 and days_ago > 3:
                Response.objects.create(
                    complaint=complaint,
                    text="Respuesta.",
                    channel="email",
                    communicated_at=complaint.filed_at + timedelta(days=2 + n % 9),
                    responded_by=council_member,
                )
                Complaint.objects.filter(pk=complaint.pk).update(status=Status.ANSWERED)
                SurveyAnswer.objects.create(
                    complaint=complaint, csat=1 + n % 5, nps=(n * 3) % 11, solved=n % 2 == 0, answered_at=now
                )
            n += 1
    for _ in range(2):  # not classified yet
        complaint_file(**filing_kwargs(establishment=shops[0], filed_at=now - timedelta(days=2)))
    today = timezone.localdate()
    entregas = Cause.objects.get(code="ENT-01")
    for title, fields in [
        ("Confirmar la fecha de entrega por SMS", {"due_date": today - timedelta(days=4)}),
        (
            "Nuevo proceso de devoluciones",
            {
                "status": ActionStatus.IMPLEMENTED,
                "due_date": today - timedelta(weeks=10),
                "implemented_on": today - timedelta(weeks=9),
                "baseline_rate": Decimal("1.50"),
            },
        ),
        (
            "Capacitar al equipo de caja",
            {
                "status": ActionStatus.EFFECTIVE,
                "due_date": today - timedelta(weeks=14),
                "implemented_on": today - timedelta(weeks=12),
                "baseline_rate": Decimal("2.00"),
                "measured_rate": Decimal("0.75"),
                "verified_at": timezone.now() - timedelta(days=3),
            },
        ),
    ]:
        ActionItem.objects.create(title=title, owner=owner, **fields).causes.add(entregas)
    return shops


def _charts_drawn(page) -> dict:
    """Per chart: whether its box is shown, the canvas's size and whether Chart.js owns the canvas."""
    return page.evaluate(
        """(names) => Object.fromEntries(names.map((name) => {
            const box = document.querySelector(`[data-chart="${name}"]`);
            const canvas = box.querySelector("canvas");
            const rect = canvas.getBoundingClientRect();
            return [name, {shown: !box.hidden, width: rect.width, height: rect.height,
                           chart: Chart.getChart(canvas) !== undefined, hidden: canvas.getAttribute("aria-hidden")}];
        }))""",
        list(CHARTS),
    )


def test_council_member_reads_the_dashboard(page, live_server, book, council_member, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("council:dashboard"))
    page.get_by_label("Usuario").fill("carmen")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Consejo de mejora", level=1)).to_be_visible()
    # The heading shows as soon as it is parsed; the charts are drawn by the scripts at the end of the page,
    # which have run once the load event fired (on a busy CI machine, well after the heading).
    page.wait_for_load_state("load")

    # Every chart is drawn on a canvas with a size, hidden from assistive technology (the tables speak).
    drawn = _charts_drawn(page)
    for name in CHARTS:
        assert drawn[name]["shown"], name
        assert drawn[name]["chart"], name
        assert drawn[name]["width"] > 200, name
        assert drawn[name]["height"] > 100, name
        assert drawn[name]["hidden"] == "true", name
    assert page.evaluate(
        "Chart.getChart(document.querySelector('[data-chart=pareto] canvas')).data.datasets[1].data"
    ) == [
        16,
        9,
        7,
        5,
        4,
        3,
        2,
        1,
    ]
    assert page.evaluate("Chart.defaults.animation") is not False  # animated unless the user asks otherwise

    # The tables fold into "Ver tabla" once their chart is drawn, and open again on demand.
    tables = page.locator("details.chart-table")
    expect(tables).to_have_count(4)
    assert page.evaluate("[...document.querySelectorAll('details.chart-table')].every((d) => !d.open)")
    page.locator("#pareto-title ~ details summary").click()
    expect(page.get_by_role("table", name="Hojas por causa")).to_be_visible()
    expect(page.locator("#flags-title ~ ul")).to_contain_text("Retraso en la entrega")
    expect(page.locator("#flags-title ~ ul")).to_contain_text("Jorge Salas")
    page.locator("#pareto-title ~ details summary").click()

    # With reduced motion, nothing is animated (screenshots then show the charts finished).
    page.emulate_media(reduced_motion="reduce")
    page.reload()
    assert page.evaluate("Chart.defaults.animation") is False
    screenshot("1-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    drawn = _charts_drawn(page)
    for name in CHARTS:
        assert drawn[name]["chart"], name
        assert 0 < drawn[name]["width"] <= 390, name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    screenshot("2-phone")

    page.get_by_role("link", name="Ver todas las acciones").click()
    expect(page.get_by_role("heading", name="Acciones de mejora", level=1)).to_be_visible()
    cards = page.get_by_role("list", name="Acciones de mejora")  # phones get cards, wider screens the table
    expect(cards.get_by_text("Vencida", exact=True)).to_be_visible()
    expect(page.locator("table.action-table")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls inside its box
    screenshot("3-phone-actions")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("table.action-table").get_by_text("Vencida", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table = page.locator(".action-table-wrap")
    assert table.evaluate("(wrap) => wrap.scrollWidth <= wrap.clientWidth")  # every column fits, no scrolling
    screenshot("4-desktop-actions")


def test_meeting_page_fits_a_phone_and_repeat_complainants_link_without_the_document(
    page, live_server, book, council_member, screenshot
):
    from reclamaciones.access import Scope
    from reclamaciones.council.models import CouncilMeeting
    from reclamaciones.council.services import meeting_agenda_generate

    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate(), guests="Carla Ríos, jefa de logística")
    meeting.attendees.add(council_member)
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything())

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("council:meeting", args=[meeting.pk]))
    page.get_by_label("Usuario").fill("carmen")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.locator(".agenda-table").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # the agenda's tables were 590 px wide
    screenshot("meeting-phone")

    # Repeat complainants: the link to their hojas carries an opaque token, never the document.
    repeaters = ("40000000", "40000001", "40000002")  # the fixture's consumers who keep coming back
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("council:dashboard"))
    link = page.locator("#repeat-title ~ .table-responsive tbody a").first
    href = link.get_attribute("href")
    assert "consumidor" in href
    assert not any(doc in href for doc in repeaters)
    link.click()
    expect(page.get_by_role("heading", name="Bandeja de hojas")).to_be_visible()
    expect(page.locator(".queue-table tbody tr").first).to_be_visible()
    documents = {text.split()[-1] for text in page.locator(".queue-table .consumer-cell .cell-sub").all_inner_texts()}
    assert len(documents) == 1  # that consumer's hojas, only theirs
    assert documents <= set(repeaters)
    assert not any(doc in page.url for doc in repeaters)


def test_council_member_reads_and_updates_an_action(page, live_server, book, council_member, screenshot):
    """The action's page: its run chart is drawn (baseline, target, the implementation marker), the table folds
    into "Ver tabla", progress is recorded from the page, and nothing scrolls sideways at 1366 or 390 px."""
    action = ActionItem.objects.get(title="Nuevo proceso de devoluciones")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("council:actions"))
    page.get_by_label("Usuario").fill("carmen")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.locator("table.action-table").get_by_role("link", name="Nuevo proceso de devoluciones", exact=True).click()
    expect(page.get_by_role("heading", name="Nuevo proceso de devoluciones", level=1)).to_be_visible()
    page.wait_for_load_state("load")

    def run_chart() -> dict:
        return page.evaluate(
            """() => {
                const box = document.querySelector('[data-chart="run"]');
                const canvas = box.querySelector("canvas");
                const rect = canvas.getBoundingClientRect();
                const chart = Chart.getChart(canvas);
                return {shown: !box.hidden, width: rect.width, height: rect.height, chart: chart !== undefined,
                        labels: chart ? chart.data.datasets.map((d) => d.label) : [],
                        table_open: document.querySelector("#effect-title ~ details.chart-table").open};
            }"""
        )

    drawn = run_chart()
    assert drawn["shown"]
    assert drawn["chart"]
    assert drawn["width"] > 300
    assert drawn["height"] > 150
    assert drawn["labels"] == ["Hojas por semana", "Línea base (1.50)", "Meta (1.05)"]  # es-PE, as the page
    assert not drawn["table_open"]  # the chart is drawn: its table folds into "Ver tabla"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    expect(page.get_by_text("Otra acción trabaja la misma causa")).to_be_visible()

    page.get_by_label("¿Qué avanzaste?").fill("Nuevo formulario de devoluciones en las dos tiendas.")
    page.get_by_label("Enlace a la evidencia").fill("https://intranet.example.pe/devoluciones")
    page.get_by_role("button", name="Guardar avance").click()
    expect(page.get_by_text("Guardamos el avance.")).to_be_visible()
    history = page.locator("#history-title ~ ol.history")
    expect(history).to_contain_text("Nuevo formulario de devoluciones en las dos tiendas.")
    expect(history.get_by_role("link", name="Ver la evidencia")).to_have_attribute(
        "href", "https://intranet.example.pe/devoluciones"
    )
    page.emulate_media(reduced_motion="reduce")
    page.reload()
    screenshot("action-desktop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("load")
    drawn = run_chart()
    assert drawn["chart"]
    assert 0 < drawn["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    screenshot("action-phone")
    assert action.events.filter(type="progress").count() == 1


def test_the_management_report_page_fits_and_offers_both_files(page, live_server, book, council_member, screenshot):
    """Issue 13 §8: the month's report at laptop and phone widths, with its PDF and XLSX links working."""
    report = live_server.url + reverse("council:report")
    page.goto(report)
    page.get_by_label("Usuario").fill("carmen")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()

    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(report)
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") == width
        screenshot(f"report-{width}")

    links = page.get_by_role("link", name="Descargar")
    assert links.count() == 2, "the page links its PDF and its XLSX"
    for i in range(links.count()):
        url = page.evaluate("(a) => a.href", links.nth(i).element_handle())  # the absolute URL the browser resolved
        response = page.request.get(url)
        assert response.status == 200
        assert response.headers["content-type"].split(";")[0] in {
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }


def _login(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Usuario").fill("carmen")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()


def test_council_member_prepares_holds_and_closes_a_meeting(page, live_server, book, council_member, screenshot):
    """Issue 13 §6: a meeting scheduled, held and minuted on /consejo/reuniones/ without the admin: the agenda
    carries "Todas las acciones abiertas", attendance and notes are recorded, an action is decided, and "Cerrar
    acta" makes the minutes read-only and e-mails them. At 1366 and 390 px, nothing scrolls sideways."""
    from reclamaciones.council.models import CouncilMeeting
    from reclamaciones.outbox.models import OutboundMessage

    today = timezone.localdate()
    page.set_viewport_size({"width": 1366, "height": 900})
    _login(page, live_server.url + reverse("council:meetings"))
    page.get_by_role("link", name="Programar reunión").click()
    expect(page.get_by_role("heading", name="Programar una reunión del consejo", level=1)).to_be_visible()

    page.get_by_role("button", name="Programar reunión").click()  # nothing filled: errors next to the fields
    expect(page.locator("#held_on-error")).to_have_text("Elige la fecha de la reunión.")
    expect(page.locator("#place-error")).to_contain_text("Indica dónde se reúnen")
    expect(page.locator("#attendees-error")).to_have_text("Elige al menos un asistente.")
    screenshot("meeting-form-errors-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("meeting-form-390")

    page.get_by_label("Fecha").fill(today.isoformat())
    page.get_by_label("Hora").fill("09:30")
    page.get_by_label("Lugar o enlace de la videollamada").fill("https://meet.example.pe/consejo-mejora-semanal")
    page.get_by_label("Establecimiento").select_option(label="Tienda San Isidro")
    page.get_by_label("Carmen Rojas (carmen)").check()
    page.get_by_role("button", name="Programar reunión").click()
    expect(page.get_by_text("Programamos la reunión y armamos su agenda.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Reunión del {today:%d/%m/%Y} · 09:30", level=1)).to_be_visible()
    standing = page.locator("#acciones-abiertas")
    expect(standing).to_contain_text("Todas las acciones abiertas")
    expect(standing).to_contain_text("Confirmar la fecha de entrega por SMS")
    expect(standing).to_contain_text("vencida")
    expect(standing).not_to_contain_text("Capacitar al equipo de caja")  # verified: no longer open
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("meeting-open-390")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("radio", name="Presente").check()
    page.locator("#acta").get_by_label("7. Todas las acciones abiertas").fill("El SMS sale la próxima semana.")
    page.get_by_label("Acta: resumen general").fill("Se revisaron las entregas tardías.")
    page.get_by_role("button", name="Guardar asistencia y acta").click()
    expect(page.get_by_text("Guardamos la asistencia y el acta.")).to_be_visible()

    page.get_by_text("Registrar una acción acordada").click()
    decision = page.locator("#acuerdos form")
    decision.get_by_label("Título").fill("Avisar por WhatsApp el día de la entrega")
    decision.get_by_label("Causas").select_option(label="ENT-01 · Retraso en la entrega")
    decision.get_by_label("Responsable").select_option(label="Carmen Rojas (carmen)")
    decision.get_by_label("Fecha límite de implementación").fill((today + timedelta(days=21)).isoformat())
    decision.get_by_role("button", name="Registrar acción").click()
    expect(page.get_by_text("Registramos la acción «Avisar por WhatsApp el día de la entrega».")).to_be_visible()
    screenshot("meeting-minutes-1366")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.get_by_role("button", name="Cerrar acta").click()
    expect(page.get_by_text("Cerramos el acta y la enviamos a los asistentes.")).to_be_visible()
    expect(page.get_by_text("Acta cerrada", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar acta")).to_have_count(0)
    expect(page.locator("#acta")).to_contain_text("El SMS sale la próxima semana.")
    expect(page.locator("#acuerdos")).to_contain_text("Avisar por WhatsApp el día de la entrega")
    screenshot("meeting-closed-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("meeting-closed-390")

    meeting = CouncilMeeting.objects.get()
    assert meeting.closed_at is not None
    assert meeting.attendance == {str(council_member.pk): True}
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.MEETING_MINUTES).count() == 1
    page.goto(live_server.url + reverse("council:meetings"))
    expect(page.get_by_text("Cerrada", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("meetings-list-390")


def test_council_member_edits_an_action_without_the_admin(page, live_server, book, council_member, screenshot):
    """Issue 13 §6: title, owner (only people who can act) and dates changed on the action's page; bad input is
    refused next to the field and each change shows old → new in the history. At 1366 and 390 px."""
    action = ActionItem.objects.get(title="Confirmar la fecha de entrega por SMS")
    new_due = timezone.localdate() + timedelta(days=30)
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server.url + reverse("council:action", args=[action.pk]))
    page.get_by_role("link", name="Editar título, responsable y fechas").click()
    form = page.locator("#editar")
    expect(form.get_by_label("Título")).to_be_visible()
    expect(form.get_by_label("Responsable")).to_contain_text("(no puede actualizar la acción)")  # Jorge: no role

    form.get_by_label("Título").fill("")
    form.get_by_label("Meta de reducción (%)").fill("0")
    form.get_by_role("button", name="Guardar cambios").click()
    expect(page.locator("#title-error")).to_have_text("Escribe el título de la acción.")
    expect(page.locator("#target_reduction_pct-error")).to_have_text(
        "La meta es un porcentaje de reducción entre 1 y 100."
    )
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    screenshot("action-edit-errors-390")

    form.get_by_label("Título").fill("Confirmar por SMS la fecha y la hora de entrega")
    form.get_by_label("Responsable").select_option(label="Carmen Rojas (carmen)")
    form.get_by_label("Fecha límite de implementación").fill(new_due.isoformat())
    form.get_by_label("Meta de reducción (%)").fill("40")
    form.get_by_role("button", name="Guardar cambios").click()
    expect(page.get_by_text("Guardamos los cambios de la acción.")).to_be_visible()
    history = page.locator("#history-title ~ ol.history")
    expect(history).to_contain_text("Datos de la acción cambiados")
    expect(history).to_contain_text("Responsable: «Jorge Salas» → «Carmen Rojas».")
    expect(history).to_contain_text(f"→ «{new_due:%d/%m/%Y}».")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("council:action", args=[action.pk]) + "?editar=1#editar")
    expect(page.get_by_role("heading", name="Confirmar por SMS la fecha y la hora de entrega", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot("action-edit-1366")
    action.refresh_from_db()
    assert action.owner == council_member
    assert action.events.filter(type="edited").count() == 1
