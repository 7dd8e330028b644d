"""SIREC export (issue 12 §1): the manual's line byte for byte, one hoja per line whatever its text, nothing
written when SIREC would reject the file, reported hojas marked once, re-exports recorded, scope and command."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.services import complaint_file
from reclamaciones.compliance.models import SirecExport, SirecReport
from reclamaciones.compliance.rules import FIELDS, amount_text, clean
from reclamaciones.compliance.services import SirecError, sirec_export

from ..factories import EstablishmentFactory, filing_kwargs, hoja_answered, staff_user

pytestmark = pytest.mark.django_db

MANUAL_LINE = (
    "000001|000000005|2014|2014-07-19|ARACELY ARRIETA MENDOZA|JR. LOS FICUS 1356 SANTA ANITA|45805689|5275623|"
    "a.arrieta@micorreo.com||P|5000 nuevos soles|Laptop TOSHIBA|R|La laptop presenta fallas en la pantalla|"
    "Se solicita cambio del equipo|2014-08-01|Se reparó la pantalla de la laptop"
)
LIMA = timezone.get_default_timezone()


def _export(establishment, start=date(2026, 1, 1), end=date(2026, 12, 31), scope=None, **kwargs):
    out = io.BytesIO()
    result = sirec_export(
        scope=scope or Scope.everything(), establishment=establishment, start=start, end=end, out=out, **kwargs
    )
    return result, out.getvalue()


def test_the_manuals_example_line_byte_for_byte():
    book = EstablishmentFactory(sirec_code="000001")
    SheetCounter.objects.create(establishment=book, year=2014, last_number=4)
    hoja = complaint_file(
        **filing_kwargs(
            establishment=book,
            consumer_name="ARACELY ARRIETA MENDOZA",
            consumer_address="JR. LOS FICUS 1356 SANTA ANITA",
            doc_number="45805689",
            consumer_phone="5275623",
            consumer_email="a.arrieta@micorreo.com",
            good_type="producto",
            amount_claimed=Decimal("5000"),
            good_description="Laptop TOSHIBA",
            kind="reclamo",
            detail="La laptop presenta fallas en la pantalla",
            request="Se solicita cambio del equipo",
            filed_at=datetime(2014, 7, 19, 10, 30, tzinfo=LIMA),
        )
    )
    hoja_answered(
        hoja,
        channel="letter",
        communicated_at=datetime(2014, 8, 1, 16, 0, tzinfo=LIMA),
        text="Se reparó la pantalla de la laptop",
    )

    result, data = _export(book, start=date(2014, 7, 1), end=date(2014, 7, 31))

    assert data == (MANUAL_LINE + "\n").encode("utf-8")
    export = result.export
    assert (export.lines, export.sha256, export.encoding) == (1, hashlib.sha256(data).hexdigest(), "utf-8")
    assert SirecReport.objects.get().complaint == hoja


def test_a_line_stays_a_line_and_empty_fields_keep_their_pipes(file_complaint, establishment):
    file_complaint(
        consumer_name="Ana | Pérez",
        detail="Primera línea\r\nsegunda línea\tcon tabulador | y barra\x07",
        consumer_address="",
        consumer_phone="",
        good_description="",
        request="",
        amount_claimed=None,
    )

    _, data = _export(establishment)

    [line] = data.decode().split("\n")[:-1]
    fields = line.split("|")
    assert len(fields) == len(FIELDS) == 18
    values = dict(zip((f.key for f in FIELDS), fields, strict=True))
    assert values["name"] == "Ana Pérez"
    assert values["detail"] == "Primera línea segunda línea con tabulador y barra"
    assert (values["address"], values["description"], values["request"], values["amount"]) == ("NO INDICA",) * 4
    assert (values["phone"], values["guardian"], values["answer_date"], values["answer"]) == ("", "", "", "")


def test_nothing_is_written_when_sirec_would_reject_the_file(file_complaint, establishment):
    file_complaint()  # a good one
    unclassified = file_complaint(kind="")
    passport = file_complaint(doc_type="pasaporte", doc_number="AB1234567890")

    result, data = _export(establishment)

    assert data == b""
    assert result.export is None
    assert dict(result.problems) == {
        unclassified.display_number: ["falta tipo de reclamo"],
        passport.display_number: ["nro documento tiene 12 caracteres (máximo 11)"],
    }
    assert (SirecExport.objects.count(), SirecReport.objects.count()) == (0, 0)


def test_reported_hojas_are_marked_once_and_all_reexports_without_marking(file_complaint, establishment):
    first = [file_complaint() for _ in range(3)]

    result, data = _export(establishment)
    assert result.export.lines == 3 == len(data.splitlines())
    assert set(SirecReport.objects.values_list("complaint_id", flat=True)) == {h.pk for h in first}

    later = file_complaint()
    again, data = _export(establishment)
    assert again.export.lines == 1
    assert data.decode().split("|")[1] == f"{later.number:09d}"

    everything, data = _export(establishment, include_reported=True)
    assert (everything.export.lines, everything.export.include_reported) == (4, True)
    assert SirecReport.objects.count() == 4  # nothing marked twice
    assert SirecExport.objects.count() == 3


def test_a_book_out_of_scope_or_without_its_sirec_code_is_refused(file_complaint, establishment):
    other = EstablishmentFactory()
    elsewhere = staff_user("sup-otro", Role.SUPERVISOR, establishments=[other])
    with pytest.raises(SirecError, match="ámbito"):
        _export(establishment, scope=Scope.of(elsewhere))
    establishment.sirec_code = ""
    establishment.save()
    with pytest.raises(SirecError, match="código de sede SIREC"):
        _export(establishment)


def test_amounts_and_text_cleaning_rules():
    assert amount_text(Decimal("5000"), "PEN", date(2014, 7, 19)) == "5000 nuevos soles"
    assert amount_text(Decimal("150.50"), "PEN", date(2026, 1, 5)) == "150.50 soles"
    assert amount_text(Decimal("20.00"), "USD", date(2026, 1, 5)) == "20 dólares"
    assert amount_text(None, "PEN", date(2026, 1, 5)) == ""
    assert clean(" a\u2028b||c\n") == "a b c"


def test_the_command_writes_the_file_or_lists_the_hojas(file_complaint, establishment, tmp_path, capsys):
    file_complaint()
    target = tmp_path / "sirec.txt"
    today = timezone.localdate().isoformat()
    args = ["--establishment", establishment.code, "--from", today, "--to", today]

    call_command("sirec_export", *args, "-o", str(target))
    assert target.read_bytes().count(b"\n") == 1
    assert "1 hoja(s) exportadas" in capsys.readouterr().err

    bad = file_complaint(kind="")
    other = tmp_path / "otro.txt"
    with pytest.raises(CommandError, match="No se escribió el archivo"):
        call_command("sirec_export", *args, "--all", "-o", str(other))
    assert not other.exists()
    assert f"{bad.number:09d}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left
    assert Complaint.objects.count() == 2


def test_the_export_records_who_made_it(file_complaint, establishment):
    file_complaint()
    officer = staff_user("supervisora", Role.SUPERVISOR, establishments=[establishment])

    result, _ = _export(establishment, scope=Scope.of(officer))

    assert result.export.created_by == officer


# Hojas SIREC's bulk upload cannot take (a passport over 11 characters) ---------------------------------------


def test_skip_rejected_writes_the_others_and_leaves_those_unreported(file_complaint, establishment):
    good = file_complaint()
    passport = file_complaint(doc_type="pasaporte", doc_number="AB1234567890")

    result, data = _export(establishment, skip_rejected=True)

    assert data.count(b"\n") == 1
    assert dict(result.problems) == {passport.display_number: ["nro documento tiene 12 caracteres (máximo 11)"]}
    assert (result.export.lines, result.export.skipped) == (1, 1)
    assert set(SirecReport.objects.values_list("complaint", flat=True)) == {good.pk}


def test_hojas_typed_by_hand_count_as_reported_once(file_complaint, establishment):
    from reclamaciones.compliance.services import sirec_report_manual

    passport = file_complaint(doc_type="pasaporte", doc_number="AB1234567890")
    officer = staff_user("carmen", Role.COMPLIANCE, establishments=[establishment])
    scope = Scope.of(officer)

    with pytest.raises(SirecError, match="Indica cómo"):
        sirec_report_manual(scope=scope, establishment=establishment, numbers=[passport.display_number], note=" ")
    export = sirec_report_manual(
        scope=scope, establishment=establishment, numbers=[passport.display_number], note="Constancia SIREC 123"
    )

    assert (export.method, export.lines, export.created_by, export.note) == (
        "manual",
        1,
        officer,
        "Constancia SIREC 123",
    )
    assert SirecReport.objects.get().complaint == passport
    with pytest.raises(SirecError, match="ya estaban reportadas"):
        sirec_report_manual(scope=scope, establishment=establishment, numbers=[passport.display_number], note="x")
    with pytest.raises(SirecError, match="no son de este libro"):
        sirec_report_manual(scope=scope, establishment=establishment, numbers=["000000099-2026"], note="x")
    with pytest.raises(SirecError, match="no válido"):
        sirec_report_manual(scope=scope, establishment=establishment, numbers=["<script>"], note="x")
    result, data = _export(establishment)
    assert (result.problems, data) == ([], b"")  # nothing left to report


def test_another_book_cannot_be_marked(file_complaint, establishment):
    from reclamaciones.compliance.services import sirec_report_manual

    hoja = file_complaint()
    other = EstablishmentFactory()
    officer = staff_user("carmen", Role.COMPLIANCE, establishments=[other])

    with pytest.raises(SirecError, match="ámbito"):
        sirec_report_manual(
            scope=Scope.of(officer), establishment=establishment, numbers=[hoja.display_number], note="x"
        )
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    with pytest.raises(SirecError, match="ámbito"):
        sirec_report_manual(scope=Scope.of(agent), establishment=establishment, numbers=[hoja.display_number], note="x")
    assert not SirecReport.objects.exists()


def test_the_command_can_skip_the_rejected(file_complaint, establishment, tmp_path):
    file_complaint()
    passport = file_complaint(doc_type="pasaporte", doc_number="AB1234567890")
    target = tmp_path / "sirec.txt"
    err = io.StringIO()

    call_command(
        "sirec_export",
        "--establishment", establishment.code, "--from", "2026-01-01", "--to", "2026-12-31",
        "--skip-rejected", "-o", str(target), stderr=err,
    )  # fmt: skip

    assert target.read_bytes().count(b"\n") == 1
    assert f"Omitida Nº {passport.display_number}" in err.getvalue()
    assert "1 omitida(s)" in err.getvalue()
