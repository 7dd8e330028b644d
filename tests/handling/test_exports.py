"""CSV and XLSX exports of the filtered queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.book.models import Complaint

from .staff_support import _csv_rows, _xlsx_rows

pytestmark = pytest.mark.django_db


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
        "Causa": "",
        "Respuesta comunicada (hora de Lima)": "",
        "¿Respondida a tiempo?": "",
    }


def test_exports_say_the_cause_when_it_was_answered_and_whether_on_time(client, establishment, file_complaint):
    """Issue 13 §8: a quality manager filters the export by cause and by on-time answers."""
    from datetime import timedelta

    from reclamaciones.access import Role

    from ..factories import cause_get, hoja_answered, staff_user

    supervisor = staff_user("sofia", Role.SUPERVISOR, establishments=[establishment])
    on_time = hoja_answered(file_complaint(), by=supervisor)
    late_hoja = file_complaint(filed_at=timezone.now() - timedelta(days=40))
    late = hoja_answered(late_hoja, by=supervisor)
    from reclamaciones.access import Scope
    from reclamaciones.handling.services import complaint_classify

    cause = cause_get("TST-07")
    complaint_classify(complaint_id=on_time.pk, cause=cause, scope=Scope.of(supervisor))
    client.force_login(supervisor)

    rows = {row["Número"]: row for row in _csv_rows(client.get(reverse("staff:export-csv")))}

    assert rows[on_time.display_number]["Causa"] == f"TST-07 · {cause.name}"
    assert rows[on_time.display_number]["¿Respondida a tiempo?"] == "Sí"
    assert rows[late.display_number]["¿Respondida a tiempo?"] == "No"
    answered = Complaint.objects.get(pk=late.pk).response.communicated_at
    assert rows[late.display_number]["Respuesta comunicada (hora de Lima)"] == timezone.localtime(answered).strftime(
        "%d/%m/%Y %H:%M"
    )
    sheet = _xlsx_rows(client.get(reverse("staff:export-xlsx")))
    assert sheet[0][-3:] == ("Causa", "Respuesta comunicada (hora de Lima)", "¿Respondida a tiempo?")


def test_xlsx_export_has_spanish_headers_and_real_dates(client, mixed):
    supervisor, hojas = mixed
    client.force_login(supervisor)

    rows = _xlsx_rows(client.get(reverse("staff:export-xlsx")))

    header, *data = rows
    assert header[:3] == ("Número", "Establecimiento", "Código del libro")
    assert "Días hábiles restantes" in header
    assert len(data) == 5
    # Sheet numbers restart per establishment: a row is known by its number and its establishment.
    by_number = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in data}

    def key(name: str) -> tuple[str, str]:
        return hojas[name].display_number, hojas[name].establishment.name

    mine = by_number[key("mine")]
    assert mine["Responsable"] == "Sofia"
    assert mine["Estado"] == "En atención"
    assert mine["Fecha límite"].date() == Complaint.objects.get(pk=hojas["mine"].pk).due_date
    assert mine["Días hábiles restantes"] == 8
    assert by_number[key("answered")]["Días hábiles restantes"] is None


def test_exports_neutralise_spreadsheet_formulas(client, agent, file_complaint):
    file_complaint(consumer_name='=HYPERLINK("http://malo.example","clic")')
    client.force_login(agent)

    [row] = _csv_rows(client.get(reverse("staff:export-csv")))
    [_, xrow] = _xlsx_rows(client.get(reverse("staff:export-xlsx")))

    assert row["Consumidor"].startswith("'=")
    assert xrow[4].startswith("'=")
