"""Back office (/gestion/): login and lockout, the permission matrix, scoping, the queue (filters, search,
query count), exports and every action end to end through the views."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.book.models import Complaint, ComplaintEvent, ResponseChannel, Status
from reclamaciones.deadlines.rules import business_days_left
from reclamaciones.deadlines.selectors import business_calendar_get
from reclamaciones.deadlines.services import deadlines_sweep
from reclamaciones.handling.models import Response, ResponseTemplate, SettlementOffer, StaffProfile
from reclamaciones.handling.services import (
    MSG_CAUSE_REQUIRED,
    MSG_LETTER_DATE,
    MSG_NOT_ASSIGNABLE,
    MSG_OFFER_PENDING,
    MSG_SAME_KIND,
    complaint_assign,
    response_send,
)
from reclamaciones.handling.settlement import MSG_ONLY_RECLAMOS
from reclamaciones.outbox.models import OutboundMessage

from .factories import EstablishmentFactory, cause_get

pytestmark = pytest.mark.django_db
LIMA = ZoneInfo("America/Lima")
PASSWORD = "clave-de-prueba-2026"
STALE_WARNING = "El seguimiento de plazos no se ejecuta"


# Fixtures ------------------------------------------------------------------------------------------------------


def _staff(username: str, role: str | None, *establishments, everywhere: bool = False, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@andina.example.pe",
        password=PASSWORD,
        first_name=username.capitalize(),
        is_staff=True,
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        StaffProfile.objects.create(user=user, all_establishments=everywhere).establishments.set(establishments)
    return user


@pytest.fixture
def other_establishment():
    return EstablishmentFactory(name="Tienda Arequipa")


@pytest.fixture
def agent(establishment):
    return _staff("ana", Role.AGENT, establishment)


@pytest.fixture
def agent_b(other_establishment):
    return _staff("berta", Role.AGENT, other_establishment)


@pytest.fixture
def users(establishment, agent):
    """One user per role, all working for `establishment` only (the superuser sees everything)."""
    return {
        "anonymous": None,
        "no-role": _staff("nadie", None),
        "agent": agent,
        "supervisor": _staff("sofia", Role.SUPERVISOR, establishment),
        "council": _staff("carlos", Role.COUNCIL, establishment),
        "auditor": _staff("aurora", Role.AUDITOR, establishment),
        "superuser": _staff("root", None, is_superuser=True),
    }


@pytest.fixture
def hoja(file_complaint):
    return file_complaint(filed_at=timezone.now() - timedelta(days=1))


@pytest.fixture
def hoja_b(file_complaint, other_establishment):
    return file_complaint(
        establishment=other_establishment,
        consumer_name="Pedro Quispe Mamani",
        doc_number="40112233",
        filed_at=timezone.now() - timedelta(days=1),
    )


def _login(client, user) -> None:
    if user is not None:
        client.force_login(user)


# Login, logout, lockout, password reset ------------------------------------------------------------------------


@pytest.fixture
def _axes_clean():
    axes_reset()
    yield
    axes_reset()


def test_anonymous_is_sent_to_the_spanish_login_page(client):
    response = client.get(reverse("staff:queue"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:login')}?next=/gestion/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Ingresa a la gestión de reclamos" in page.content.decode()
    assert '<html lang="es-PE">' in page.content.decode()


@pytest.mark.usefixtures("_axes_clean")
def test_login_then_logout(client, agent):
    response = client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    assert client.get(reverse("staff:queue")).status_code == 200

    assert client.get(reverse("staff:logout")).status_code == 405  # logout is a POST (CSRF-safe)
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:login')}?sesion=cerrada"
    assert "Cerraste sesión" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("staff:queue")).status_code == 302


@pytest.mark.usefixtures("_axes_clean")
def test_wrong_password_says_so_in_spanish(client, agent):
    response = client.post(reverse("staff:login"), {"username": "ana", "password": "no-es"})

    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos" in response.content.decode()


@pytest.mark.usefixtures("_axes_clean")
def test_lockout_after_repeated_failures(client, agent):
    responses = [client.post(reverse("staff:login"), {"username": "ana", "password": f"mala-{n}"}) for n in range(6)]

    assert [r.status_code for r in responses[:4]] == [200] * 4
    locked = responses[-1]
    assert locked.status_code == 429
    assert "Acceso bloqueado por seguridad" in locked.content.decode()
    assert "1 hora" in locked.content.decode()
    # Even the right password is refused while locked...
    assert client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD}).status_code == 429
    # ...and only that username from that address is locked.
    _staff("otra", Role.AGENT)
    assert client.post(reverse("staff:login"), {"username": "otra", "password": PASSWORD}).status_code == 302

    axes_reset(username="ana")
    assert client.post(reverse("staff:login"), {"username": "ana", "password": PASSWORD}).status_code == 302


@pytest.mark.usefixtures("_axes_clean")
def test_password_reset_by_email_in_spanish(client, agent, mailoutbox):
    response = client.post(reverse("staff:password_reset"), {"email": agent.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:password_reset_done")
    assert "Revisa tu correo" in client.get(response["Location"]).content.decode()
    [message] = mailoutbox
    assert message.to == [agent.email]
    assert message.subject == "Restablece tu contraseña de la gestión de reclamos"
    assert "Recibimos un pedido para restablecer la contraseña" in message.body
    assert message.alternatives
    assert "Crear una nueva contraseña" in message.alternatives[0][0]
    link = re.search(r"https://reclamos\.example\.pe(/gestion/clave/\S+/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Crea tu nueva contraseña" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Otra-clave-larga-77", "new_password2": "Otra-clave-larga-77"},
    )
    assert done["Location"] == reverse("staff:password_reset_complete")
    assert "Listo: tu contraseña cambió" in client.get(done["Location"]).content.decode()
    response = client.post(reverse("staff:login"), {"username": "ana", "password": "Otra-clave-larga-77"})
    assert response.status_code == 302


def test_password_reset_page_for_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("staff:password_reset"), {"email": "nadie@example.pe"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_a_user_without_a_staff_role_gets_a_spanish_403(client, users):
    client.force_login(users["no-role"])

    response = client.get(reverse("staff:queue"))

    assert response.status_code == 403
    assert "no tiene un rol en la gestión de reclamos" in response.content.decode()


# Permission matrix -----------------------------------------------------------------------------------------------

ROLES = ["anonymous", "no-role", "agent", "supervisor", "council", "auditor", "superuser"]
ACTORS = {"agent", "supervisor", "superuser"}
ANSWER = {"text": "Le devolvemos el importe.", "channel": "email"}

# (url name, method, needs a hoja, POST data, status for someone who may act, status for a reader)
URLS = [
    ("queue", "get", False, None, 200, 200),
    ("export-csv", "get", False, None, 200, 200),
    ("export-xlsx", "get", False, None, 200, 200),
    ("detail", "get", True, None, 200, 200),
    ("pdf", "get", True, None, 200, 200),
    ("answer", "get", True, None, 200, 403),
    ("answer", "post", True, ANSWER, 200, 403),  # the preview
    ("answer-send", "post", True, ANSWER, 302, 403),
    ("assign", "post", True, {"assign-assignee": ""}, 302, 403),
    ("note", "post", True, {"note-text": "Llamé al cliente."}, 302, 403),
    ("reclassify", "post", True, {"reclassify-kind": "queja", "reclassify-reason": "Es sobre la atención."}, 302, 403),
    ("offer", "post", True, {"offer-text": "Le cambiamos el equipo."}, 302, 403),
    ("close", "post", True, {}, 302, 403),
]


def _expected(role: str, needs_hoja: bool, in_scope: bool, acting: int, reading: int) -> int:
    if role == "anonymous":
        return 302  # to the login page
    if role == "no-role":
        return 403
    if needs_hoja and not in_scope and role != "superuser":
        return 404  # never reveal that a hoja outside one's scope exists
    return acting if role in ACTORS else reading


@pytest.mark.parametrize("scope", ["in-scope", "out-of-scope"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "needs_hoja", "data", "acting", "reading"),
    URLS,
    ids=[f"{u[1]}-{u[0]}" for u in URLS],
)
def test_permission_matrix(client, users, hoja, hoja_b, role, scope, name, method, needs_hoja, data, acting, reading):
    _login(client, users[role])
    target = hoja if scope == "in-scope" else hoja_b
    url = reverse(f"staff:{name}", args=[target.pk] if needs_hoja else [])

    response = getattr(client, method)(url, data or {})

    assert response.status_code == _expected(role, needs_hoja, scope == "in-scope", acting, reading)
    if response.status_code == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("staff:login"))


@pytest.mark.parametrize("name", ["assign", "note", "reclassify", "offer", "answer-send", "close"])
def test_actions_are_post_only(client, agent, hoja, name):
    client.force_login(agent)

    assert client.get(reverse(f"staff:{name}", args=[hoja.pk])).status_code == 405


def test_out_of_scope_and_missing_hojas_look_the_same(client, agent, hoja_b):
    client.force_login(agent)

    missing = client.get(reverse("staff:detail", args=[hoja_b.pk + 1000]))
    hidden = client.get(reverse("staff:detail", args=[hoja_b.pk]))

    assert missing.status_code == hidden.status_code == 404
    assert hidden.content == missing.content


def test_readers_see_the_detail_without_any_action(client, users, hoja):
    for role in ("council", "auditor"):
        client.force_login(users[role])
        html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
        assert "Vista de solo lectura" in html
        for name in ("assign", "note", "reclassify", "offer", "close", "answer"):
            assert reverse(f"staff:{name}", args=[hoja.pk]) not in html


# Scoping: an agent of one establishment never sees another's hojas ------------------------------------------------


def test_an_agent_sees_only_the_hojas_of_their_establishments(client, agent_b, hoja, hoja_b):
    client.force_login(agent_b)

    queue = client.get(reverse("staff:queue"))
    assert [row.complaint for row in queue.context["rows"]] == [hoja_b]
    assert hoja.consumer_name not in queue.content.decode()
    assert client.get(reverse("staff:detail", args=[hoja.pk])).status_code == 404
    assert client.get(reverse("staff:pdf", args=[hoja.pk])).status_code == 404

    rows = _csv_rows(client.get(reverse("staff:export-csv")))
    assert [r["Número"] for r in rows] == [hoja_b.display_number]
    sheet = _xlsx_rows(client.get(reverse("staff:export-xlsx")))
    assert [r[0] for r in sheet[1:]] == [hoja_b.display_number]
    # Asking for the other establishment does not widen the scope: the filter is ignored.
    forced = client.get(reverse("staff:export-csv"), {"establecimiento": hoja.establishment_id})
    assert [r["Número"] for r in _csv_rows(forced)] == [hoja_b.display_number]
    assert [r["Consumidor"] for r in _csv_rows(forced)] == ["Pedro Quispe Mamani"]


def test_the_establishment_filter_lists_only_establishments_in_scope(client, agent, hoja, hoja_b, establishment):
    client.force_login(agent)

    form = client.get(reverse("staff:queue")).context["form"]

    assert [value for value, _ in form.fields["establecimiento"].choices] == ["", establishment.pk]


def test_pdf_of_a_hoja_in_scope(client, agent, hoja):
    client.force_login(agent)

    response = client.get(reverse("staff:pdf", args=[hoja.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"hoja-de-reclamacion-{hoja.display_number}.pdf" in response["Content-Disposition"]


# Queue ------------------------------------------------------------------------------------------------------------


def _filed_with_days_left(file_complaint, wanted: int, **overrides) -> Complaint:
    """A hoja whose business days left today are `wanted` (negative: overdue)."""
    today = timezone.localdate()
    calendar = business_calendar_get()
    for back in range(0, 80):
        filed_on = today - timedelta(days=back)
        due = calendar.add_business_days(filed_on, 15)
        if business_days_left(today, due, calendar) == wanted:
            filed_at = datetime.combine(filed_on, time(10, 0), tzinfo=LIMA)
            return file_complaint(filed_at=min(filed_at, timezone.now()), **overrides)
    raise AssertionError(f"no filing date gives {wanted} business days left")


def _file_many(file_complaint, n: int) -> list[Complaint]:
    return [file_complaint(consumer_name=f"Cliente {i:02d}", doc_number=f"4{i:07d}") for i in range(n)]


# Session, user; roles (mixin); calendar; roles + profile + establishment ids for the filter's establishments and
# again for complaint_list_for (the selectors do not memoise); establishments; page count; page rows; counters;
# tracker heartbeat (the view, and the `portal` context processor for is_staff users). Never per row.
QUEUE_QUERIES = 11  # the same for 5 and 60 rows; pinned so a per-row query shows up here


def test_queue_runs_a_fixed_number_of_queries(client, agent, file_complaint, django_assert_max_num_queries):
    client.force_login(agent)
    _file_many(file_complaint, 5)
    with django_assert_max_num_queries(QUEUE_QUERIES), CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("staff:queue")).context["rows"]) == 5

    more = _file_many(file_complaint, 55)
    complaint_assign(complaint_id=more[0].pk, assignee=agent, actor=agent)  # rows with and without assignee
    with django_assert_max_num_queries(QUEUE_QUERIES), CaptureQueriesContext(connection) as many:
        response = client.get(reverse("staff:queue"), {"estado": "abiertas", "q": "Cliente", "page": 2})
        assert len(response.context["rows"]) == 25

    assert len(few) == len(many) == QUEUE_QUERIES


def test_queue_is_sorted_by_urgency_open_first(client, agent, file_complaint):
    relaxed = _filed_with_days_left(file_complaint, 10, consumer_name="Holgada")
    late = _filed_with_days_left(file_complaint, -3, consumer_name="Vencida")
    soon = _filed_with_days_left(file_complaint, 1, consumer_name="Urgente")
    done = _filed_with_days_left(file_complaint, -10, consumer_name="Respondida")
    response_send(complaint_id=done.pk, text="Respuesta.", channel="email", actor=agent)
    client.force_login(agent)

    response = client.get(reverse("staff:queue"))

    rows = response.context["rows"]
    assert [r.complaint for r in rows] == [late, soon, relaxed, done]
    assert [(r.days_left, r.tone) for r in rows] == [(-3, "overdue"), (1, "soon"), (10, "ok"), (None, "done")]
    html = response.content.decode()
    assert "Vencida hace 3 días hábiles" in html
    assert '<span class="days-pill days-soon">1 día hábil</span>' in html


@pytest.fixture
def mixed(file_complaint, establishment, other_establishment):
    """A small book: name -> hoja, with varied kind, assignee, status and deadline."""
    supervisor = _staff("sofia", Role.SUPERVISOR, establishment, other_establishment)
    hojas = {
        "mine": _filed_with_days_left(file_complaint, 8, consumer_name="Lucía Ramos", doc_number="41111111"),
        "late": _filed_with_days_left(file_complaint, -2, consumer_name="Jorge Salas", doc_number="42222222"),
        "queja": _filed_with_days_left(
            file_complaint, 12, consumer_name="Rosa Díaz", doc_number="43333333", kind="queja"
        ),
        "other": _filed_with_days_left(
            file_complaint,
            0,
            consumer_name="Pedro Quispe",
            doc_number="CE0012345",
            doc_type="ce",
            establishment=other_establishment,
        ),
        "answered": _filed_with_days_left(file_complaint, 4, consumer_name="Elena Soto", doc_number="45555555"),
    }
    complaint_assign(complaint_id=hojas["mine"].pk, assignee=supervisor, actor=supervisor)
    response_send(complaint_id=hojas["answered"].pk, text="Hecho.", channel="email", actor=supervisor)
    return supervisor, hojas


def _this_week(hojas) -> set[str]:
    today = timezone.localdate()
    sunday = today + timedelta(days=6 - today.weekday())
    return {
        name
        for name, h in hojas.items()
        if name != "answered" and today <= Complaint.objects.get(pk=h.pk).due_date <= sunday
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"mine", "late", "queja", "other", "answered"}),
        ({"estado": "abiertas"}, {"mine", "late", "queja", "other"}),
        ({"estado": "answered"}, {"answered"}),
        ({"estado": "in_progress"}, {"mine"}),
        ({"tipo": "queja"}, {"queja"}),
        ({"tipo": "reclamo"}, {"mine", "late", "other", "answered"}),
        ({"mias": "on"}, {"mine"}),
        ({"sin_asignar": "on"}, {"late", "queja", "other", "answered"}),
        ({"vencidas": "on"}, {"late"}),
        ({"semana": "on"}, "this-week"),
        ({"establecimiento": "other"}, {"other"}),
        ({"q": "000000001-2026"}, {"mine", "other"}),  # the first hoja of each book
        ({"q": "1"}, {"mine", "other"}),
        ({"q": "42222222"}, {"late"}),
        ({"q": "ce0012345"}, {"other"}),
        ({"q": "díaz"}, {"queja"}),
        ({"q": "Lucía Ramos"}, {"mine"}),
        ({"q": "nadie así"}, set()),
        ({"q": "Jorge", "vencidas": "on"}, {"late"}),
        ({"estado": "no-existe"}, {"mine", "late", "queja", "other", "answered"}),  # invalid values are ignored
        ({"estado": "no-existe", "tipo": "queja"}, {"queja"}),  # ...and the valid ones still apply
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_queue_filters_and_search(client, mixed, other_establishment, params, expected):
    supervisor, hojas = mixed
    client.force_login(supervisor)
    params = dict(params)
    if params.get("establecimiento") == "other":
        params["establecimiento"] = other_establishment.pk
    if params.get("q") == "000000001-2026":
        params["q"] = hojas["other"].display_number  # the year is this year's
    if expected == "this-week":
        expected = _this_week(hojas)

    response = client.get(reverse("staff:queue"), params)

    found = {name for name, h in hojas.items() if h in [r.complaint for r in response.context["rows"]]}
    assert found == expected


def test_search_by_number_with_and_without_zeros(client, agent, file_complaint):
    hojas = _file_many(file_complaint, 12)
    twelfth = hojas[11]
    client.force_login(agent)

    for query in (twelfth.display_number, f"{twelfth.number}-{twelfth.year}", str(twelfth.number), "Nº 12"):
        rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]
        assert [r.complaint for r in rows] == [twelfth], query


def test_queue_pagination_keeps_the_filters(client, agent, file_complaint):
    _file_many(file_complaint, 60)
    client.force_login(agent)

    first = client.get(reverse("staff:queue"), {"estado": "abiertas"})
    last = client.get(reverse("staff:queue"), {"estado": "abiertas", "page": 3})

    assert len(first.context["rows"]) == 25
    assert len(last.context["rows"]) == 10
    assert "?estado=abiertas&amp;page=2" in first.content.decode()
    assert "Mostrando 51–60 de 60 hojas" in last.content.decode()


def test_queue_counters(client, mixed):
    supervisor, _ = mixed
    client.force_login(supervisor)

    summary = client.get(reverse("staff:queue")).context["summary"]

    assert (summary["open"], summary["overdue"], summary["unassigned"], summary["mine"]) == (4, 1, 3, 1)


def test_queue_warns_when_the_deadline_tracker_is_stale(client, agent, hoja):
    client.force_login(agent)
    assert STALE_WARNING in client.get(reverse("staff:queue")).content.decode()  # never ran

    deadlines_sweep(now=timezone.now())

    assert STALE_WARNING not in client.get(reverse("staff:queue")).content.decode()


# Exports ----------------------------------------------------------------------------------------------------------


def _csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _xlsx_rows(response) -> list[tuple]:
    from openpyxl import load_workbook

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_csv_export_of_the_filtered_list(client, mixed):
    supervisor, hojas = mixed
    client.force_login(supervisor)

    response = client.get(reverse("staff:export-csv"), {"vencidas": "on"})

    assert 'attachment; filename="hojas-de-reclamacion-' in response["Content-Disposition"]
    [row] = _csv_rows(response)
    late = hojas["late"]
    assert row == {
        "Número": late.display_number,
        "Establecimiento": late.establishment.name,
        "Código del libro": late.establishment_code,
        "Tipo": "Reclamo",
        "Consumidor": "Jorge Salas",
        "Tipo de documento": "DNI",
        "Número de documento": "42222222",
        "Presentada (hora de Lima)": timezone.localtime(late.filed_at).strftime("%d/%m/%Y %H:%M"),
        "Fecha límite": late.due_date.strftime("%d/%m/%Y"),
        "Días hábiles restantes": "-2",
        "Responsable": "",
        "Estado": "Registrada",
        "Canal": "Libro virtual (web)",
    }


def test_xlsx_export_has_spanish_headers_and_real_dates(client, mixed):
    supervisor, hojas = mixed
    client.force_login(supervisor)

    rows = _xlsx_rows(client.get(reverse("staff:export-xlsx")))

    header, *data = rows
    assert header[:3] == ("Número", "Establecimiento", "Código del libro")
    assert "Días hábiles restantes" in header
    assert len(data) == 5
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    mine = by_number[hojas["mine"].display_number]
    assert mine["Responsable"] == "Sofia"
    assert mine["Estado"] == "En atención"
    assert mine["Fecha límite"].date() == Complaint.objects.get(pk=hojas["mine"].pk).due_date
    assert mine["Días hábiles restantes"] == 8
    assert by_number[hojas["answered"].display_number]["Días hábiles restantes"] is None


def test_exports_neutralise_spreadsheet_formulas(client, agent, file_complaint):
    file_complaint(consumer_name='=HYPERLINK("http://malo.example","clic")')
    client.force_login(agent)

    [row] = _csv_rows(client.get(reverse("staff:export-csv")))
    [_, xrow] = _xlsx_rows(client.get(reverse("staff:export-xlsx")))

    assert row["Consumidor"].startswith("'=")
    assert xrow[4].startswith("'=")


# Detail and actions, end to end through the views --------------------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_detail_shows_the_sheet_deadline_and_timeline(client, agent, hoja):
    client.force_login(agent)
    client.post(reverse("staff:note", args=[hoja.pk]), {"note-text": "El cliente pide que lo llamen de tarde."})

    response = client.get(reverse("staff:detail", args=[hoja.pk]))

    html = response.content.decode()
    assert f"Hoja Nº {hoja.display_number}" in html
    assert "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE" in html  # the sheet as filed
    assert hoja.detail[:40] in html
    assert "Quedan " in html
    assert "días hábiles" in html
    assert "Nota interna" in html
    assert "El cliente pide que lo llamen de tarde." in html
    assert "Correo: Copia de la hoja de reclamación" in html  # the outbox entry
    assert "Pendiente" in html
    assert "Hoja registrada" in html


def test_assign_to_me_moves_to_en_atencion(client, agent, hoja):
    client.force_login(agent)

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": agent.pk}, follow=True)

    hoja.refresh_from_db()
    assert (hoja.assignee, hoja.status) == (agent, Status.IN_PROGRESS)
    assert hoja.events.filter(type=ComplaintEvent.Type.ASSIGNED, actor=agent).exists()
    assert "Listo: la hoja quedó asignada a Ana." in _messages(response)
    assert "De «Registrada» a «En atención»." in response.content.decode()


def test_assign_to_a_colleague_and_back_to_the_queue(client, agent, hoja, establishment):
    colleague = _staff("beto", Role.SUPERVISOR, establishment)
    client.force_login(agent)

    client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": colleague.pk})
    hoja.refresh_from_db()
    assert hoja.assignee == colleague

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": ""}, follow=True)
    hoja.refresh_from_db()
    assert hoja.assignee is None
    assert "Listo: la hoja volvió a la bandeja del establecimiento." in _messages(response)


def test_assign_to_someone_out_of_scope_is_refused(client, agent, agent_b, hoja):
    client.force_login(agent)
    before = hoja.events.count()

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": agent_b.pk}, follow=True)

    assert MSG_NOT_ASSIGNABLE in _messages(response)
    hoja.refresh_from_db()
    assert (hoja.assignee, hoja.status, hoja.events.count()) == (None, Status.RECEIVED, before)


def test_note_requires_text_shown_next_to_the_field(client, agent, hoja):
    client.force_login(agent)

    response = client.post(reverse("staff:note", args=[hoja.pk]), {"note-text": "  "})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="note-text-error"' in html
    assert "Escribe el texto." in html
    assert 'aria-invalid="true"' in html
    assert not hoja.events.filter(type=ComplaintEvent.Type.NOTE).exists()


def test_reclassify_with_reason(client, agent, hoja):
    client.force_login(agent)

    response = client.post(
        reverse("staff:reclassify", args=[hoja.pk]),
        {"reclassify-kind": "queja", "reclassify-reason": "Se refiere a la atención, no al producto."},
        follow=True,
    )

    hoja.refresh_from_db()
    assert (hoja.kind, hoja.kind_filed) == ("queja", "reclamo")
    event = hoja.events.get(type=ComplaintEvent.Type.RECLASSIFIED)
    assert event.data["reason"] == "Se refiere a la atención, no al producto."
    assert "La hoja ahora se atiende como queja." in _messages(response)
    assert "De reclamo a queja." in response.content.decode()


def test_reclassify_needs_a_reason_and_a_different_kind(client, agent, hoja):
    client.force_login(agent)

    missing = client.post(reverse("staff:reclassify", args=[hoja.pk]), {"reclassify-kind": "queja"})
    same = client.post(
        reverse("staff:reclassify", args=[hoja.pk]),
        {"reclassify-kind": "reclamo", "reclassify-reason": "x"},
        follow=True,
    )

    assert "Indica el motivo de la reclasificación." in missing.content.decode()
    assert MSG_SAME_KIND in _messages(same)
    hoja.refresh_from_db()
    assert hoja.kind == "reclamo"
    assert not hoja.events.filter(type=ComplaintEvent.Type.RECLASSIFIED).exists()


def test_settlement_offer_is_emailed(client, agent, hoja, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:offer", args=[hoja.pk]), {"offer-text": "Le cambiamos la laptop mañana."}, follow=True
        )

    hoja.refresh_from_db()
    assert hoja.status == Status.SETTLEMENT_OFFERED
    offer = SettlementOffer.objects.get(complaint=hoja)
    assert offer.text == "Le cambiamos la laptop mañana."
    assert [m.to for m in mailoutbox] == [[hoja.consumer_email]]
    assert "Le cambiamos la laptop mañana." in mailoutbox[0].body
    assert "Propuesta enviada al consumidor" in _messages(response)[0]
    html = response.content.decode()
    assert "Esperando respuesta" in html
    assert reverse("staff:offer", args=[hoja.pk]) not in html  # no second offer while one waits
    assert reverse("staff:answer", args=[hoja.pk]) not in html  # nor an answer


def test_no_settlement_offer_for_a_queja(client, agent, file_complaint):
    queja = file_complaint(kind="queja")
    client.force_login(agent)

    assert (
        reverse("staff:offer", args=[queja.pk])
        not in client.get(reverse("staff:detail", args=[queja.pk])).content.decode()
    )
    response = client.post(reverse("staff:offer", args=[queja.pk]), {"offer-text": "Algo."}, follow=True)

    assert MSG_ONLY_RECLAMOS in _messages(response)
    assert not SettlementOffer.objects.exists()


def test_answer_page_prefills_a_template(client, agent, hoja):
    template = ResponseTemplate.objects.create(name="Procedente", kind="reclamo", body="Le damos la razón.")
    ResponseTemplate.objects.create(name="Solo quejas", kind="queja", body="Gracias por contarnos.")
    client.force_login(agent)

    response = client.get(reverse("staff:answer", args=[hoja.pk]), {"plantilla": template.pk})

    assert response.status_code == 200
    assert response.context["form"]["text"].value() == "Le damos la razón."
    html = response.content.decode()
    assert "Solo quejas" not in html  # templates for the other kind are not offered
    assert 'id="template-bodies"' in html


def test_preview_shows_the_email_and_sends_nothing(client, agent, hoja, mailoutbox):
    client.force_login(agent)

    response = client.post(
        reverse("staff:answer", args=[hoja.pk]),
        {"text": "Revisamos su caso. Según [motivo], procede el cambio.", "channel": "email"},
    )

    assert response.status_code == 200
    preview = response.context["preview"]
    assert f"Hola, {hoja.consumer_name}:" in preview["body"]
    assert "Revisamos su caso." in preview["body"]
    assert "[motivo]" in preview["warning"]
    assert "Vista previa: así lo leerá el consumidor" in response.content.decode()
    assert response.context["form"]["text"].value().startswith("Revisamos su caso.")
    assert not Response.objects.exists()
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()
    assert mailoutbox == []


def test_answer_by_email_then_close(client, agent, hoja, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:answer-send", args=[hoja.pk]),
            {"text": "Le devolvemos el importe pagado.", "channel": "email"},
            follow=True,
        )

    hoja.refresh_from_db()
    assert hoja.status == Status.ANSWERED
    assert hoja.response.channel == ResponseChannel.EMAIL
    assert "Respuesta enviada por correo al consumidor, con la hoja en PDF." in _messages(response)
    [message] = [m for m in mailoutbox if m.to == [hoja.consumer_email]]
    assert "Le devolvemos el importe pagado." in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"hoja-de-reclamacion-{hoja.display_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert "4. Observaciones y acciones adoptadas por el proveedor" in response.content.decode()
    html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert "Correo: Respuesta al consumidor" in html
    assert '<span class="badge text-bg-success">Enviado</span>' in html  # the outbox entry's delivery status

    refused = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)
    assert MSG_CAUSE_REQUIRED in _messages(refused)
    cause = cause_get()
    classified = client.post(reverse("staff:classify", args=[hoja.pk]), {"classify-cause": cause.pk}, follow=True)
    assert f"Causa registrada: {cause.name}." in _messages(classified)
    closed = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)
    hoja.refresh_from_db()
    assert (hoja.status, hoja.cause) == (Status.CLOSED, cause)
    assert "Hoja cerrada." in _messages(closed)


def test_answer_by_letter_with_its_lima_date(client, agent, hoja):
    client.force_login(agent)
    delivered = timezone.localtime(timezone.now(), LIMA).replace(second=0, microsecond=0) - timedelta(hours=1)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]),
        {"text": "Le esperamos en tienda.", "channel": "letter", "communicated_at": f"{delivered:%Y-%m-%dT%H:%M}"},
        follow=True,
    )

    hoja.refresh_from_db()
    assert hoja.status == Status.ANSWERED
    assert (hoja.response.channel, hoja.response.communicated_at) == (ResponseChannel.LETTER, delivered)
    assert f"Respuesta registrada como carta entregada el {delivered:%d/%m/%Y %H:%M}." in _messages(response)
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()


def test_letter_needs_a_date_next_to_the_field(client, agent, hoja):
    client.force_login(agent)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]), {"text": "Texto largo que no se pierde.", "channel": "letter"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="communicated_at-error"' in html
    assert "Indica la fecha y hora en que se entregó la carta." in html
    assert "Texto largo que no se pierde." in html
    assert not Response.objects.exists()


def test_a_letter_dated_in_the_future_is_refused_and_the_text_kept(client, agent, hoja):
    client.force_login(agent)
    tomorrow = timezone.localtime(timezone.now(), LIMA) + timedelta(days=1)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]),
        {"text": "Mi respuesta cuidadosa.", "channel": "letter", "communicated_at": f"{tomorrow:%Y-%m-%dT%H:%M}"},
    )

    assert response.status_code == 200
    assert MSG_LETTER_DATE in _messages(response)
    assert "Mi respuesta cuidadosa." in response.content.decode()
    hoja.refresh_from_db()
    assert hoja.status == Status.RECEIVED
    assert not Response.objects.exists()


def test_illegal_moves_show_the_spanish_message_and_change_nothing(client, agent, hoja, mailoutbox):
    client.force_login(agent)
    before = hoja.events.count()

    closed = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)

    assert "No se puede pasar de «Registrada» a «Cerrada»." in _messages(closed)
    hoja.refresh_from_db()
    assert (hoja.status, hoja.events.count()) == (Status.RECEIVED, before)

    client.post(reverse("staff:offer", args=[hoja.pk]), {"offer-text": "Un cambio."})
    answer = client.post(reverse("staff:answer-send", args=[hoja.pk]), ANSWER)
    assert MSG_OFFER_PENDING in _messages(answer)
    hoja.refresh_from_db()
    assert hoja.status == Status.SETTLEMENT_OFFERED
    assert not Response.objects.exists()
    # The answer page itself says why instead of offering a form.
    page = client.get(reverse("staff:answer", args=[hoja.pk]), follow=True)
    assert MSG_OFFER_PENDING in _messages(page)


def test_a_second_answer_is_refused(client, agent, hoja):
    client.force_login(agent)
    client.post(reverse("staff:answer-send", args=[hoja.pk]), ANSWER)

    again = client.post(reverse("staff:answer-send", args=[hoja.pk]), {**ANSWER, "text": "Otra."})

    assert "No se puede pasar de «Respondida» a «Respondida»." in _messages(again)
    assert Response.objects.get(complaint=hoja).text == ANSWER["text"]


class _Fields(HTMLParser):
    """Form controls and the ids that a <label for> names."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append(attrs)


@pytest.mark.parametrize("page", ["queue", "detail", "answer", "login", "password_reset"])
def test_every_input_has_a_label(client, agent, hoja, establishment, page):
    ResponseTemplate.objects.create(name="Procedente", body="Le damos la razón.")
    if page not in {"login", "password_reset"}:
        client.force_login(agent)
    url = reverse(f"staff:{page}", args=[hoja.pk] if page in {"detail", "answer"} else [])

    parser = _Fields()
    parser.feed(client.get(url).content.decode())

    assert parser.controls
    unlabelled = [c for c in parser.controls if c.get("id") not in parser.labelled and not c.get("aria-label")]
    assert unlabelled == []


def test_classify_is_scoped_and_read_only_roles_cannot(client, agent, hoja, django_user_model):
    cause = cause_get()
    url = reverse("staff:classify", args=[hoja.pk])
    outsider = _staff("lejos", Role.AGENT, EstablishmentFactory())
    council = _staff("consejo", Role.COUNCIL, hoja.establishment)

    client.force_login(outsider)
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 404
    client.force_login(council)
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 403
    client.force_login(agent)
    bad = client.post(url, {"classify-cause": cause.parent_id})  # a category, not a cause
    assert bad.status_code == 200
    assert "Elige una causa de la lista." in bad.content.decode()
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 302
    hoja.refresh_from_db()
    assert hoja.cause == cause
    [event] = hoja.events.filter(type="classified")
    assert event.data["to"] == cause.code
    detail = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert f"Causa: {cause.code} · {cause.name}." in detail
