"""INDECOPI requests and evidence bundles (issue 12): registering a request (its last day in business days or as a
date, what it covers), who sees and acts on it, the reminders before its last day, and the ZIP an inspector
receives: every hoja's sheet with its answer, the proof of delivery, the trail and the integrity verdict, an index,
a summary, the bundle's SHA-256 recorded and shown."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.audit import PersonalDataAccess
from reclamaciones.book.models import Complaint
from reclamaciones.book.services import complaint_content_hash
from reclamaciones.compliance import bundle as bundle_module
from reclamaciones.compliance.bundle import MSG_FAILED, MSG_NOT_RUNNER, VERIFIED, evidence_bundle_run
from reclamaciones.compliance.indecopi import (
    MSG_DEADLINE_BOTH,
    MSG_DEADLINE_MISSING,
    MSG_OUT_OF_SCOPE,
    MSG_QUEUE_DOWN,
    MSG_RANGE_REVERSED,
    IndecopiError,
    indecopi_reminder_queue,
    indecopi_request_answer,
    indecopi_request_register,
    numbers_parse,
    request_due_on,
)
from reclamaciones.compliance.indecopi_views import bundle_state
from reclamaciones.compliance.models import EvidenceBundle, IndecopiRequest
from reclamaciones.deadlines.rules import BusinessCalendar
from reclamaciones.deadlines.selectors import business_calendar_get
from reclamaciones.handling.services import complaint_note_add
from reclamaciones.outbox.keys import indecopi_reminder_key
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.render import message_build
from reclamaciones.outbox.services import outbox_send

from ..celery_support import producer_broker, wait_until
from ..factories import EstablishmentFactory, hoja_answered, hoja_filed, staff_user
from .indecopi_support import bundle_built, csv_rows, pdf_text, request_registered, sha256, zip_bytes, zip_open

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
REMINDER = OutboundMessage.Kind.INDECOPI_REMINDER


def _lima(*args) -> datetime:
    return datetime(*args, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def other(db):
    return EstablishmentFactory(name="Tienda Arequipa", code="LR-AQP")


@pytest.fixture
def officer(establishment):
    return staff_user("carla", Role.COMPLIANCE, establishments=[establishment], first_name="Carla")


@pytest.fixture
def officer_other(other):
    return staff_user("oscar", Role.COMPLIANCE, establishments=[other], first_name="Óscar")


@pytest.fixture
def chief(db):
    return staff_user("julia", Role.COMPLIANCE, all_establishments=True, first_name="Julia")


@pytest.fixture
def auditor(establishment):
    return staff_user("aurora", Role.AUDITOR, establishments=[establishment])


@pytest.fixture
def agent(establishment):
    return staff_user("ana", Role.AGENT, establishments=[establishment])


def _form(establishments, **overrides) -> dict:
    today = timezone.localdate()
    return {
        "referencia": "Oficio 456-2026/INDECOPI-SPC",
        "recibido": (today - timedelta(days=2)).isoformat(),
        "plazo_dias": "5",
        "fecha_limite": "",
        "establecimientos": [e.pk for e in establishments],
        "desde": "",
        "hasta": "",
        "numeros": "",
        "notas": "",
        **overrides,
    }


def _post_new(client, user, establishments, **overrides):
    client.force_login(user)
    return client.post(reverse("compliance:request-new"), _form(establishments, **overrides))


# Registering a request -----------------------------------------------------------------------------------------


def test_a_deadline_in_business_days_skips_weekends_and_a_peruvian_holiday(officer, establishment):
    # Received Monday 05/10/2026; Thursday 08/10 is the Combate de Angamos: days 6, 7 and 9 → Friday 09/10.
    request = indecopi_request_register(
        scope=Scope.of(officer),
        reference="Oficio 1-2026",
        received_on=date(2026, 10, 5),
        deadline_business_days=3,
        establishments=[establishment],
        now=_lima(2026, 10, 5, 16, 0),
    )

    assert request.due_on == date(2026, 10, 9)
    assert request.deadline_business_days == 3
    # Received on a Friday: 2 business days are Monday and Tuesday.
    assert request_due_on(
        received_on=date(2026, 10, 9), business_days=2, due_on=None, calendar=BusinessCalendar()
    ) == date(2026, 10, 13)


def test_registering_from_the_page_with_business_days(client, officer, establishment):
    response = _post_new(client, officer, [establishment], plazo_dias="5", numeros="12-2026, 000000013-2026")

    request = IndecopiRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:request", args=[request.pk])
    received = timezone.localdate() - timedelta(days=2)
    assert request.due_on == business_calendar_get().add_business_days(received, 5)
    assert request.numbers == ["000000012-2026", "000000013-2026"]
    assert list(request.establishments.all()) == [establishment]
    assert (request.created_by, request.status) == (officer, IndecopiRequest.Status.OPEN)


def test_registering_with_a_date(client, officer, establishment):
    due = timezone.localdate() + timedelta(days=3)

    _post_new(client, officer, [establishment], plazo_dias="", fecha_limite=due.isoformat())

    request = IndecopiRequest.objects.get()
    assert (request.due_on, request.deadline_business_days) == (due, None)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"plazo_dias": ""}, "plazo_dias", MSG_DEADLINE_MISSING),
        ({"fecha_limite": "2026-12-31"}, "plazo_dias", MSG_DEADLINE_BOTH),
        ({"desde": "2026-03-31", "hasta": "2026-03-01"}, "hasta", MSG_RANGE_REVERSED),
        ({"plazo_dias": "", "fecha_limite": "2020-01-01"}, "fecha_limite", "anterior a la fecha de recepción"),
        ({"recibido": "2999-01-01"}, "recibido", "posterior a hoy"),
        ({"numeros": "12-2026, 13, abc, 0-2026, 000000014-2026"}, "numeros", "«13», «abc», «0-2026»"),
        ({"establecimientos": []}, "establecimientos", "al menos un establecimiento"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason_next_to_its_field(
    client, officer, establishment, overrides, field, message
):
    response = _post_new(client, officer, [establishment], **overrides)

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert f'id="{field}-error"' in response.content.decode()
    assert not IndecopiRequest.objects.exists()


def test_sheet_numbers_are_read_as_printed_on_the_sheet():
    assert numbers_parse("12-2026, 000000013-2026;  Nº 14-2026\n12-2026 N° 7-2025") == (
        ["000000012-2026", "000000013-2026", "000000014-2026", "000000007-2025"],
        [],
    )
    assert numbers_parse("12, 2026-12, 1234567890-2026, 5-26") == ([], ["12", "2026-12", "1234567890-2026", "5-26"])
    assert numbers_parse("") == ([], [])


def test_the_service_refuses_what_the_form_refuses(officer, establishment):
    scope = Scope.of(officer)
    common = {"scope": scope, "reference": "X", "received_on": date(2026, 10, 5), "establishments": [establishment]}
    with pytest.raises(IndecopiError, match="Indica el plazo"):
        indecopi_request_register(**common)
    with pytest.raises(IndecopiError, match="no ambas"):
        indecopi_request_register(**common, deadline_business_days=3, due_on=date(2026, 10, 9))
    with pytest.raises(IndecopiError, match="anterior a la inicial"):
        indecopi_request_register(
            **common, deadline_business_days=3, date_from=date(2026, 3, 2), date_to=date(2026, 3, 1)
        )
    with pytest.raises(IndecopiError, match="«12»"):
        indecopi_request_register(**common, deadline_business_days=3, numbers=["12"])
    assert not IndecopiRequest.objects.exists()


# Who sees and does what ----------------------------------------------------------------------------------------


def test_an_establishment_outside_the_scope_is_refused(client, officer, establishment, other):
    response = _post_new(client, officer, [establishment, other])

    assert response.status_code == 400
    assert response.context["form"].errors["establecimientos"]
    assert not IndecopiRequest.objects.exists()
    with pytest.raises(IndecopiError, match=MSG_OUT_OF_SCOPE):
        request_registered(officer, [other])


def test_a_request_is_seen_only_by_who_covers_all_its_establishments(
    client, officer, officer_other, chief, establishment, other
):
    both = request_registered(chief, [establishment, other], reference="Oficio ambos")
    mine = request_registered(officer, [establishment], reference="Oficio mío")
    bundle = bundle_built(both, chief)

    client.force_login(officer)
    listing = client.get(reverse("compliance:requests")).content.decode()
    assert "Oficio mío" in listing
    assert "Oficio ambos" not in listing
    for name, args in [
        ("compliance:request", [both.pk]),
        ("compliance:bundle", [bundle.pk]),
        ("compliance:bundle-status", [bundle.pk]),
        ("compliance:bundle-download", [bundle.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name in ("compliance:request-answered", "compliance:bundle-new"):
        assert client.post(reverse(name, args=[both.pk]), {"entregado": "2026-01-01T10:00"}).status_code == 404
    assert client.get(reverse("compliance:request", args=[mine.pk])).status_code == 200

    client.force_login(chief)
    assert client.get(reverse("compliance:request", args=[both.pk])).status_code == 200
    client.force_login(officer_other)
    assert client.get(reverse("compliance:request", args=[mine.pk])).status_code == 404


def test_auditors_read_and_cannot_act_and_agents_do_not_enter(client, officer, auditor, agent, establishment):
    request = request_registered(officer, [establishment])

    client.force_login(auditor)
    assert client.get(reverse("compliance:requests")).status_code == 200
    page = client.get(reverse("compliance:request", args=[request.pk]))
    assert page.status_code == 200
    assert "Preparar el paquete" not in page.content.decode()
    assert client.get(reverse("compliance:request-new")).status_code == 403
    assert _post_new(client, auditor, [establishment]).status_code == 403
    assert client.post(reverse("compliance:bundle-new", args=[request.pk])).status_code == 403
    answered = client.post(reverse("compliance:request-answered", args=[request.pk]), {"entregado": "2026-01-01T10:00"})
    assert answered.status_code == 403
    assert (IndecopiRequest.objects.count(), EvidenceBundle.objects.count()) == (1, 0)

    client.force_login(agent)
    assert client.get(reverse("compliance:requests")).status_code == 403
    assert client.get(reverse("compliance:request", args=[request.pk])).status_code == 403


def test_marking_a_request_answered_records_when_it_reached_indecopi(client, officer, establishment):
    request = request_registered(officer, [establishment], days=5)
    client.force_login(officer)
    url = reverse("compliance:request-answered", args=[request.pk])

    future = client.post(url, {"entregado": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")})
    assert future.status_code == 400
    assert "posterior a este momento" in future.content.decode()

    delivered = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=1)
    response = client.post(url, {"entregado": delivered.strftime("%Y-%m-%dT%H:%M")})

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.answered_at, request.answered_by) == ("answered", delivered, officer)
    assert "Atendido a tiempo" in client.get(reverse("compliance:requests")).content.decode()
    with pytest.raises(IndecopiError, match="ya figura como atendido"):
        indecopi_request_answer(scope=Scope.of(officer), request=request, answered_at=delivered)


# Reminders -----------------------------------------------------------------------------------------------------


def _remind(day: date, hour: int = 8) -> int:
    return indecopi_reminder_queue(scope=Scope.everything(), now=_lima(day.year, day.month, day.day, hour, 20))


def _reminders() -> list[tuple[str, int]]:
    return sorted(
        (m.recipient, m.context["days_left"]) for m in OutboundMessage.objects.filter(kind=REMINDER).order_by("pk")
    )


def test_reminders_at_3_1_and_0_business_days_then_daily_once_per_recipient(
    officer, officer_other, chief, agent, establishment
):
    # Due Wednesday 14/10/2026; Thursday 08/10 is a holiday.
    request = request_registered(
        officer, [establishment], received_on=date(2026, 10, 5), due_on=date(2026, 10, 14), reference="Oficio 77"
    )
    to = sorted([officer.email, chief.email])  # not the other book's officer, not the agent

    assert _remind(date(2026, 10, 8)) == 0  # 4 business days left (9, 12, 13, 14)
    assert _remind(date(2026, 10, 9)) == 2  # 3 left
    assert _remind(date(2026, 10, 9), hour=15) == 0  # a second beat the same day
    assert _remind(date(2026, 10, 12)) == 0  # 2 left: the 3-day reminder was sent
    assert _remind(date(2026, 10, 13)) == 2  # 1 left
    assert _remind(date(2026, 10, 14)) == 2  # due today
    assert _remind(date(2026, 10, 15)) == 2  # overdue
    assert _remind(date(2026, 10, 15), hour=18) == 0
    assert _remind(date(2026, 10, 16)) == 2  # overdue, the next day again
    assert _reminders() == sorted((email, left) for email in to for left in (3, 1, 0, -1, -2))

    indecopi_request_answer(scope=Scope.of(officer), request=request, answered_at=_lima(2026, 10, 16, 12, 0))
    assert _remind(date(2026, 10, 19)) == 0


def test_a_request_nobody_covers_reminds_the_administrators(officer, establishment, other):
    root = staff_user("root", None, is_superuser=True, profile=False)
    lonely = EstablishmentFactory(name="Tienda Cusco")
    chief = staff_user("julia", Role.COMPLIANCE, establishments=[establishment, lonely])
    request_registered(chief, [establishment, lonely], received_on=date(2026, 10, 5), due_on=date(2026, 10, 14))
    request_registered(chief, [lonely], received_on=date(2026, 10, 5), due_on=date(2026, 10, 14))
    staff_user("paco", Role.COMPLIANCE, establishments=[other])

    _remind(date(2026, 10, 14))

    # The officer of one book does not see a request that also covers another: only who covers both is told.
    assert _reminders() == [(chief.email, 0), (chief.email, 0)]
    chief.groups.clear()
    OutboundMessage.objects.filter(kind=REMINDER).delete()
    _remind(date(2026, 10, 14))
    assert _reminders() == [(root.email, 0), (root.email, 0)]


def test_the_reminder_key_shapes_are_stable():
    day = date(2026, 10, 15)
    assert (
        indecopi_reminder_key(request_id=3, threshold=1, today=day, recipient="A@x.pe")
        == "indecopi_reminder:3:1:a@x.pe"
    )
    assert indecopi_reminder_key(request_id=3, threshold=None, today=day, recipient="A@x.pe") == (
        "indecopi_reminder:3:overdue:2026-10-15:a@x.pe"
    )


def test_the_reminder_email_names_the_request_its_last_day_and_its_page(officer, establishment):
    request = request_registered(
        officer, [establishment], received_on=date(2026, 10, 5), due_on=date(2026, 10, 14), reference="Oficio <77>"
    )
    _remind(date(2026, 10, 9))
    _remind(date(2026, 10, 16))
    soon, late = OutboundMessage.objects.filter(kind=REMINDER).order_by("pk")

    email = message_build(soon)
    assert email.subject == "Requerimiento del INDECOPI Oficio <77>: vence en 3 días hábiles"
    assert "a más tardar el 14/10/2026" in email.body
    assert f"https://reclamos.example.pe/gestion/cumplimiento/requerimientos/{request.pk}/" in email.body
    overdue = message_build(late)
    assert overdue.subject == "Requerimiento del INDECOPI Oficio <77>: vencido desde el 14/10/2026"
    assert "venció hace 2 días hábiles" in overdue.body


# The evidence bundle -------------------------------------------------------------------------------------------


def _deliver_all() -> None:
    """Send every pending e-mail now (the worker would): each gets its Message-ID and its MESSAGE_SENT event."""
    for pk in OutboundMessage.objects.filter(status="pending").values_list("pk", flat=True):
        outbox_send(message_id=pk)


@pytest.fixture
def book(establishment, other):
    """Hojas of two books: answered by e-mail, by letter, open, filed last year, and one of another book."""
    now = timezone.now()
    hojas = {
        "email": hoja_answered(
            hoja_filed(establishment, filed_at=now - timedelta(days=3)), text="Te devolvemos S/ 120."
        ),
        "letter": hoja_answered(
            hoja_filed(establishment, filed_at=now - timedelta(days=2), consumer_email="", doc_number="40111222"),
            channel="letter",
            text="Reparamos la laptop.",
        ),
        "open": hoja_filed(establishment, filed_at=now - timedelta(days=1), doc_number="40333444"),
        "old": hoja_filed(establishment, filed_at=now - timedelta(days=400), doc_number="40555666"),
        "other": hoja_filed(other, filed_at=now - timedelta(days=1), doc_number="40777888"),
    }
    _deliver_all()
    return {name: Complaint.objects.get(pk=hoja.pk) for name, hoja in hojas.items()}


def _folder(hoja: Complaint) -> str:
    return f"hojas/{hoja.display_number}_{hoja.establishment.code}"


def test_the_bundle_has_every_hojas_sheet_answer_proof_trail_and_an_index(officer, establishment, book, pdftotext):
    since = timezone.localdate() - timedelta(days=30)
    request = request_registered(officer, [establishment], date_from=since)

    bundle = bundle_built(request, officer)

    assert (bundle.status, bundle.hojas_done, bundle.hojas_total, bundle.error) == ("done", 3, 3, "")
    archive = zip_open(bundle)
    names = set(archive.namelist())
    hojas = [book["email"], book["letter"], book["open"]]
    assert {"LEEME.txt", "indice.csv", "resumen.pdf", "huellas-sha256.txt"} <= names
    for hoja in hojas:
        for file in ("hoja.pdf", "respuesta.txt", "envios.csv", "historial.csv"):
            assert f"{_folder(hoja)}/{file}" in names
    assert not any(book["old"].display_number in n or book["other"].establishment.code in n for n in names)

    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}
    assert list(index) == [h.display_number for h in hojas]
    answered = index[book["email"].display_number]
    response_mail = OutboundMessage.objects.get(complaint=book["email"], kind="response")
    assert response_mail.message_id
    assert response_mail.message_id in answered["Message-ID de los correos"]
    assert answered["A tiempo"] == "Sí"
    assert answered["Entrega de la respuesta"].startswith("Correo enviado el ")
    assert answered["Integridad"] == VERIFIED
    assert answered["Huella SHA-256 de la hoja"] == book["email"].content_sha256
    assert index[book["letter"].display_number]["Entrega de la respuesta"].startswith("Carta entregada el ")
    assert index[book["open"].display_number]["A tiempo"] == "Pendiente, dentro del plazo"

    folder = _folder(book["email"])
    sent = csv_rows(archive, f"{folder}/envios.csv")
    by_kind = {row["Tipo"]: row for row in sent}
    assert by_kind["Respuesta al consumidor"]["Message-ID"] == response_mail.message_id
    assert by_kind["Respuesta al consumidor"]["Estado"] == "Enviado"
    assert "en cola" in by_kind["Respuesta al consumidor"]["Historial del envío"]
    assert "enviado (intento 1)" in by_kind["Respuesta al consumidor"]["Historial del envío"]
    trail = [row["Código"] for row in csv_rows(archive, f"{folder}/historial.csv")]
    assert trail[0] == "filed"
    assert "responded" in trail
    assert "message_sent" in trail
    answer = archive.read(f"{folder}/respuesta.txt").decode()
    assert "Te devolvemos S/ 120." in answer
    assert "Dentro del plazo: Sí" in answer
    sheet = pdf_text(archive.read(f"{folder}/hoja.pdf"), pdftotext)
    assert "4. OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR" in sheet
    assert "Te devolvemos S/ 120." in sheet
    assert "INDECOPI" in sheet

    for line in archive.read("huellas-sha256.txt").decode().splitlines():
        digest, name = line.split("  ", 1)
        assert sha256(archive.read(name)) == digest, name
    assert len(archive.read("huellas-sha256.txt").decode().splitlines()) == len(names) - 1

    summary = pdf_text(archive.read("resumen.pdf"), pdftotext)
    assert "Oficio 123-2026/INDECOPI" in summary
    assert "Preparado por Carla" in summary
    assert "Hojas incluidas 3" in summary
    assert "Respondidas dentro del plazo 2" in summary
    assert "sin fallas" in summary
    assert "Hojas incluidas: 3." in archive.read("LEEME.txt").decode()


def test_sheet_numbers_narrow_the_bundle_and_the_missing_ones_are_listed(officer, establishment, book, pdftotext):
    wanted = [book["letter"].display_number, book["old"].display_number, "000000999-2026"]
    request = request_registered(officer, [establishment], numbers=wanted)

    archive = zip_open(bundle_built(request, officer))

    assert [row["Número"] for row in csv_rows(archive, "indice.csv")] == [wanted[1], wanted[0]]  # book order
    summary = pdf_text(archive.read("resumen.pdf"), pdftotext)
    assert "1 número no corresponde a ninguna hoja" in summary
    assert "000000999-2026" in summary


def test_the_bundle_holds_only_what_the_builder_still_sees(chief, establishment, other, book):
    request = request_registered(chief, [establishment, other], date_from=timezone.localdate() - timedelta(days=30))
    chief.staff_profile.all_establishments = False
    chief.staff_profile.save()
    chief.staff_profile.establishments.set([establishment])

    archive = zip_open(bundle_built(request, chief))

    codes = {row["Código del libro"] for row in csv_rows(archive, "indice.csv")}
    assert codes == {establishment.code}


def _sql(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table=connection.ops.quote_name(Complaint._meta.db_table)), params)


def _tamper(complaint: Complaint, detail: str) -> None:
    """Edit a hoja in SQL and recompute its SHA-256, as an attacker with database access would."""
    _sql("UPDATE {table} SET detail = %s WHERE id = %s", [detail, complaint.pk])
    altered = Complaint.objects.get(pk=complaint.pk)
    _sql("UPDATE {table} SET content_sha256 = %s WHERE id = %s", [complaint_content_hash(altered), complaint.pk])


def test_the_integrity_verdict_catches_a_tampered_hoja(officer, establishment, book, pdftotext):
    _tamper(book["letter"], "La laptop funciona perfectamente.")
    request = request_registered(officer, [establishment], date_from=timezone.localdate() - timedelta(days=30))

    archive = zip_open(bundle_built(request, officer))

    verdicts = {row["Número"]: row["Integridad"] for row in csv_rows(archive, "indice.csv")}
    assert verdicts[book["email"].display_number] == VERIFIED
    assert verdicts[book["letter"].display_number].startswith("NO VERIFICA: su sello de integridad no corresponde")
    summary = pdf_text(archive.read("resumen.pdf"), pdftotext)
    assert "1 no verifica" in summary
    assert "sin fallas" not in summary
    assert "falla" in summary


def test_one_click_builds_it_and_the_sha256_shown_is_the_files(
    client, officer, establishment, book, django_capture_on_commit_callbacks
):
    request = request_registered(officer, [establishment], date_from=timezone.localdate() - timedelta(days=30))
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("compliance:bundle-new", args=[request.pk]))

    bundle = EvidenceBundle.objects.get()
    assert response["Location"] == reverse("compliance:bundle", args=[bundle.pk])
    assert bundle.status == "done"
    assert len(bundle.sha256) == 64
    page = client.get(response["Location"]).content.decode()
    assert bundle.sha256 in page
    assert bundle.sha256 in client.get(reverse("compliance:request", args=[request.pk])).content.decode()
    state = client.get(reverse("compliance:bundle-status", args=[bundle.pk])).json()
    assert (state["ready"], state["percent"], state["sha256"]) == (True, 100, bundle.sha256)
    assert state["text"] == "Listo: 3 hojas en el paquete."

    download = client.get(state["download_url"])
    data = b"".join(download.streaming_content)
    assert sha256(data) == bundle.sha256 == download["X-Content-SHA256"]
    assert bundle.size == len(data)
    assert download["Content-Type"] == "application/zip"
    assert "evidencias-oficio-123-2026indecopi" in download["Content-Disposition"]
    logged = PersonalDataAccess.objects.get()
    assert (logged.user, logged.what, logged.hojas, logged.establishment) == (officer, "bundle", 3, establishment)
    assert bundle.sha256[:12] in logged.detail

    # A colleague who sees the request sees the bundle and its SHA-256, but the file stays with who built it.
    chief = staff_user("julia", Role.COMPLIANCE, all_establishments=True)
    client.force_login(chief)
    assert bundle.sha256 in client.get(reverse("compliance:bundle", args=[bundle.pk])).content.decode()
    assert client.get(reverse("compliance:bundle-download", args=[bundle.pk])).status_code == 404


def test_a_second_click_while_it_is_being_built_starts_nothing(client, officer, establishment):
    request = request_registered(officer, [establishment])
    client.force_login(officer)

    first = client.post(reverse("compliance:bundle-new", args=[request.pk]))  # queued: on_commit never ran
    second = client.post(reverse("compliance:bundle-new", args=[request.pk]))

    assert first["Location"] == second["Location"]
    assert EvidenceBundle.objects.count() == 1


def test_progress_is_recorded_as_the_hojas_go_by(officer, establishment, book, monkeypatch):
    monkeypatch.setattr(bundle_module, "PROGRESS_EVERY", 1)
    render = bundle_module.complaint_sheet_pdf
    seen = []

    def watching(complaint, **kwargs):
        row = EvidenceBundle.objects.get()
        seen.append((row.status, row.hojas_done, row.hojas_total, bundle_state(row, officer)["text"]))
        return render(complaint, **kwargs)

    monkeypatch.setattr(bundle_module, "complaint_sheet_pdf", watching)
    request = request_registered(officer, [establishment], date_from=timezone.localdate() - timedelta(days=30))

    bundle = bundle_built(request, officer)

    assert seen == [
        ("running", 0, 3, "En preparación: 0 de 3 hojas (0 %)."),
        ("running", 1, 3, "En preparación: 1 de 3 hojas (33 %)."),
        ("running", 2, 3, "En preparación: 2 de 3 hojas (66 %)."),
    ]
    assert (bundle.status, bundle.hojas_done) == ("done", 3)
    assert evidence_bundle_run(bundle_id=bundle.pk).sha256 == bundle.sha256  # delivered twice: left as it is


def test_a_failure_marks_the_bundle_failed_and_leaves_no_file(
    client, officer, establishment, book, monkeypatch, export_dir
):
    render = bundle_module.complaint_sheet_pdf
    calls = []

    def failing(complaint, **kwargs):
        calls.append(complaint.pk)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return render(complaint, **kwargs)

    monkeypatch.setattr(bundle_module, "complaint_sheet_pdf", failing)
    request = request_registered(officer, [establishment], date_from=timezone.localdate() - timedelta(days=30))
    bundle = EvidenceBundle.objects.create(request=request, created_by=officer, created_at=timezone.now())

    with pytest.raises(RuntimeError):
        evidence_bundle_run(bundle_id=bundle.pk)

    bundle.refresh_from_db()
    assert (bundle.status, bundle.file_name, bundle.sha256, bundle.size) == ("failed", "", "", None)
    assert bundle.error == MSG_FAILED.format(error="RuntimeError")
    assert bundle.finished_at is not None
    assert [p for p in export_dir.rglob("*") if p.is_file()] == []
    client.force_login(officer)
    state = client.get(reverse("compliance:bundle-status", args=[bundle.pk])).json()
    assert (state["status"], state["ready"], state["download_url"]) == ("failed", False, "")
    assert state["text"].startswith("No se pudo preparar el paquete (RuntimeError)")
    assert client.get(reverse("compliance:bundle-download", args=[bundle.pk])).status_code == 404


def test_a_bundle_that_cannot_be_queued_or_whose_builder_lost_the_role_fails_with_a_message(
    client, officer, establishment, monkeypatch, django_capture_on_commit_callbacks
):
    from reclamaciones.compliance import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.evidence_bundle_build, "delay", broker_down)
    request = request_registered(officer, [establishment])
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("compliance:bundle-new", args=[request.pk]))
    queued = EvidenceBundle.objects.get()
    assert (queued.status, queued.error) == ("failed", MSG_QUEUE_DOWN)

    bundle = EvidenceBundle.objects.create(request=request, created_by=officer, created_at=timezone.now())
    officer.groups.clear()
    evidence_bundle_run(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.error, bundle.file_name) == ("failed", MSG_NOT_RUNNER, "")


def test_a_run_overtaken_by_a_redelivery_records_nothing_and_removes_its_file(
    officer, establishment, book, monkeypatch, export_dir
):
    render = bundle_module.complaint_sheet_pdf

    def overtaken(complaint, **kwargs):
        EvidenceBundle.objects.update(started_at=timezone.now() + timedelta(seconds=5))  # a later run started
        return render(complaint, **kwargs)

    monkeypatch.setattr(bundle_module, "complaint_sheet_pdf", overtaken)
    request = request_registered(officer, [establishment], date_from=timezone.localdate() - timedelta(days=30))

    bundle = bundle_built(request, officer)

    assert (bundle.status, bundle.file_name, bundle.sha256) == ("running", "", "")
    assert [p for p in export_dir.rglob("*") if p.is_file()] == []


def test_a_request_without_hojas_still_gets_a_bundle_saying_so(officer, establishment, pdftotext):
    request = request_registered(officer, [establishment], numbers=["000000001-2020"])

    bundle = bundle_built(request, officer)

    assert (bundle.status, bundle.hojas_done, bundle.hojas_total) == ("done", 0, 0)
    archive = zip_open(bundle)
    assert sorted(archive.namelist()) == ["LEEME.txt", "huellas-sha256.txt", "indice.csv", "resumen.pdf"]
    assert csv_rows(archive, "indice.csv") == []
    assert "Ninguna hoja del Libro de Reclamaciones corresponde" in pdf_text(archive.read("resumen.pdf"), pdftotext)
    assert "Ninguna hoja del Libro de Reclamaciones corresponde" in archive.read("LEEME.txt").decode()
    assert bundle_state(bundle, officer)["text"].startswith("Listo: ninguna hoja corresponde")


def test_hostile_text_is_inert_in_every_csv_and_pdf(officer, establishment, pdftotext):
    hoja = hoja_filed(
        establishment,
        consumer_name='=HYPERLINK("http://malo.example","clic")',
        detail="<script>alert(1)</script> con campana\x07 y\ttab",
        filed_at=timezone.now() - timedelta(days=1),
    )
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    complaint_note_add(complaint_id=hoja.pk, text="=cmd|' /C calc'!A0 nota\x07", scope=Scope.of(agent))
    hoja_answered(hoja, text="+SUM(A1:A9)\x0b <b>negrita</b>", channel="letter", by=agent)
    copy = OutboundMessage.objects.get(complaint=hoja)
    OutboundMessage.objects.filter(pk=copy.pk).update(status="failed", last_error="-1 buzón lleno\x1b")
    request = request_registered(
        officer, [establishment], reference="<script>alert(2)</script> =cmd|' /C calc'!A0\x01", notes="@SUM(1)"
    )

    archive = zip_open(bundle_built(request, officer))

    folder = _folder(hoja)
    trail = csv_rows(archive, f"{folder}/historial.csv")
    responded = next(row for row in trail if row["Código"] == "responded")
    assert json.loads(responded["Datos"])["channel"] == "letter"
    note = next(row for row in trail if row["Código"] == "note")
    assert note["Descripción"] == "'=cmd|' /C calc'!A0 nota "
    [sent] = csv_rows(archive, f"{folder}/envios.csv")
    assert sent["Último error"] == "'-1 buzón lleno "
    for name in archive.namelist():
        if name.endswith(".csv"):
            for row in csv_rows(archive, name):
                for cell in row.values():
                    assert not cell.startswith(("=", "+", "-", "@")), (name, cell)
                    assert not set(cell) & {"\x00", "\x07", "\x0b", "\x1b"}, (name, cell)
    answer = archive.read(f"{folder}/respuesta.txt").decode()
    assert "+SUM(A1:A9)  <b>negrita</b>" in answer
    assert "\x0b" not in answer
    summary = pdf_text(archive.read("resumen.pdf"), pdftotext)
    assert "<script>alert(2)</script> =cmd|' /C calc'!A0" in summary  # shown as text, never run as markup
    assert "@SUM(1)" in summary
    sheet = pdf_text(archive.read(f"{folder}/hoja.pdf"), pdftotext)
    assert "<script>alert(1)</script>" in sheet


def test_the_desk_shows_the_requests_tab(client, officer):
    client.force_login(officer)

    page = client.get(reverse("compliance:desk")).content.decode()

    assert reverse("compliance:requests") in page


def test_bundles_of_the_request_are_listed_with_who_built_them(client, officer, establishment):
    request = request_registered(officer, [establishment])
    bundle = bundle_built(request, officer)
    client.force_login(officer)

    page = client.get(reverse("compliance:request", args=[request.pk])).content.decode()

    assert reverse("compliance:bundle", args=[bundle.pk]) in page
    assert "Carla" in page
    assert bundle.sha256 in page


def test_the_zip_is_a_valid_archive_whose_recorded_size_matches(officer, establishment):
    bundle = bundle_built(request_registered(officer, [establishment]), officer)

    data = zip_bytes(bundle)

    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert (len(data), sha256(data)) == (bundle.size, bundle.sha256)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_bundle_the_officer_asked_for(
    client, machine_redis_url, start_worker, settings, monkeypatch, export_dir
):
    """One click on the request's page, a Celery worker process on Redis builds the ZIP, the page's JSON follows
    it to the end, and the file downloaded is the one whose SHA-256 was recorded (the worker seals with the same
    key, so every hoja verifies)."""
    key = "clave-de-integridad-de-prueba"
    settings.BOOK_INTEGRITY_KEY = key
    monkeypatch.setenv("DJANGO_BOOK_INTEGRITY_KEY", key)
    monkeypatch.setenv("RECLAMACIONES_EXPORT_ROOT", str(export_dir))
    establishment = EstablishmentFactory()
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment], first_name="Carla")
    for n in range(3):
        hoja_filed(establishment, filed_at=timezone.now() - timedelta(days=n + 1), doc_number=f"4123456{n}")
    request = request_registered(officer, [establishment])
    worker = start_worker(machine_redis_url)
    client.force_login(officer)

    with producer_broker(machine_redis_url):
        response = client.post(reverse("compliance:bundle-new", args=[request.pk]))
    bundle = EvidenceBundle.objects.get()
    status_url = reverse("compliance:bundle-status", args=[bundle.pk])

    def finished():
        state = client.get(status_url).json()
        return state if state["status"] in {"done", "failed"} else None

    state = wait_until(finished, timeout=90, interval=0.5)
    assert state, worker.output()
    assert state["status"] == "done", state["text"] + worker.output()
    assert response["Location"] == reverse("compliance:bundle", args=[bundle.pk])
    bundle.refresh_from_db()
    data = b"".join(client.get(state["download_url"]).streaming_content)
    assert (sha256(data), state["sha256"]) == (bundle.sha256, bundle.sha256)
    archive = zipfile.ZipFile(io.BytesIO(data))
    verdicts = [row["Integridad"] for row in csv_rows(archive, "indice.csv")]
    assert verdicts == [VERIFIED] * 3


def test_a_settled_hoja_shows_the_agreements_confirmation_as_its_delivery(officer, establishment):
    """An accepted offer (art. 6-A) has no formal answer: its proof of communication is the confirmation e-mail."""
    from reclamaciones.handling.settlement import settlement_offer_accept

    from ..factories import hoja_offered

    hoja = hoja_offered(hoja_filed(establishment, filed_at=timezone.now() - timedelta(days=2)))
    settlement_offer_accept(offer_id=hoja.settlement_offers.get().pk)
    _deliver_all()
    request = request_registered(officer, [establishment], numbers=[hoja.display_number])

    archive = zip_open(bundle_built(request, officer))

    row = csv_rows(archive, "indice.csv")[0]
    assert row["Entrega de la respuesta"].startswith("Acuerdo aceptado (art. 6-A), constancia: Correo enviado el ")
    assert row["A tiempo"] == "No aplica: acuerdo aceptado por el consumidor (art. 6-A)"
