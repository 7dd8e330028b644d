"""The PDF sheet (Anexo I, DS 101-2022-PCM), read back as text with pdftotext."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import timezone

from reclamaciones.book import pdf

pytestmark = pytest.mark.django_db

ANEXO_I_LABELS = [
    "LIBRO DE RECLAMACIONES",
    "HOJA DE RECLAMACIÓN",
    "FECHA:",
    "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE",
    "NOMBRE:",
    "DOMICILIO:",
    "DNI / CE:",
    "TELÉFONO / E-MAIL:",
    "PADRE O MADRE:",
    "2. IDENTIFICACIÓN DEL BIEN CONTRATADO",
    "PRODUCTO",
    "SERVICIO",
    "MONTO RECLAMADO:",
    "DESCRIPCIÓN:",
    "3. DETALLE DE LA RECLAMACIÓN Y PEDIDO DEL CONSUMIDOR",
    "RECLAMO¹",
    "QUEJA²",
    "DETALLE:",
    "PEDIDO:",
    "FIRMA DEL CONSUMIDOR",
    "4. OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR",
    "FECHA DE COMUNICACIÓN DE LA RESPUESTA:",
    "FIRMA DEL PROVEEDOR",
    "¹ RECLAMO: Disconformidad relacionada a los productos o servicios.",
    "² QUEJA: Disconformidad no relacionada a los productos o servicios; o, malestar o descontento respecto "
    "a la atención al público.",
    "Destinatario (consumidor, proveedor o INDECOPI según corresponda)",
    "*La formulación del reclamo no impide acudir a otras vías de solución de controversias ni es requisito "
    "previo para interponer una denuncia ante el INDECOPI.",
    "* El proveedor debe dar respuesta al reclamo o queja en un plazo no mayor a quince (15) días hábiles, "
    "el cual es improrrogable.",
]


def _text(pdftotext: str, data: bytes) -> str:
    result = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())  # lines joined: long labels wrap in the PDF


def test_sheet_pdf_has_the_number_the_labels_and_the_consumers_accented_text(file_complaint, pdftotext):
    complaint = file_complaint(
        consumer_name="María José Núñez Ñahui",
        detail="Compré una refrigeradora y llegó abollada; pedí el cambio y no me atendieron. ¿Por qué?",
        request="Que me cambien el artefacto o me devuelvan S/ 1,250.50.",
    )
    text = _text(pdftotext, pdf.complaint_sheet_pdf(complaint))

    assert f"Nº {complaint.display_number}" in text
    for label in ANEXO_I_LABELS:
        assert label in text, label
    assert "María José Núñez Ñahui" in text
    assert "llegó abollada; pedí el cambio y no me atendieron. ¿Por qué?" in text
    assert "Que me cambien el artefacto o me devuelvan S/ 1,250.50." in text
    assert "S/ 1,250.50" in text
    assert complaint.provider_name in text
    assert complaint.provider_ruc in text
    assert complaint.establishment_code in text
    filed = timezone.localtime(complaint.filed_at)
    assert filed.strftime("%H:%M") in text  # art. 4-B: date and time of filing
    assert complaint.due_date.strftime("%d/%m/%Y") in text
    assert complaint.content_sha256 in text
    assert "Destinatario (consumidor, proveedor o INDECOPI según corresponda): Consumidor" in text


@pytest.mark.parametrize(
    ("recipient", "label"),
    [("consumidor", "Consumidor"), ("proveedor", "Proveedor"), ("indecopi", "INDECOPI")],
)
def test_each_destinatario_has_its_copy(file_complaint, pdftotext, recipient, label):
    text = _text(pdftotext, pdf.complaint_sheet_pdf(file_complaint(), recipient=recipient))
    assert f"según corresponda): {label}" in text


def test_minor_sheet_prints_the_parent_and_a_long_detail_flows_to_another_page(file_complaint, pdftotext):
    detail = "El servicio técnico nunca llegó a la cita acordada. " * 70
    complaint = file_complaint(
        is_minor=True,
        guardian_name="Rosa Ñahui Quispe",
        guardian_email="rosa@example.pe",
        kind="queja",
        amount_claimed=None,
        detail=detail.strip(),
    )
    data = pdf.complaint_sheet_pdf(complaint)
    text = _text(pdftotext, data)

    assert "Rosa Ñahui Quispe" in text
    # Every sentence is there; the one cut by the page break is interrupted by the page footer.
    assert text.count("El servicio técnico nunca llegó a la cita acordada.") >= 69
    raw = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True).stdout
    assert raw.count(b"\f") == 2  # pdftotext ends each page with a form feed


def test_pdf_rendering_never_fetches_anything(settings, tmp_path, file_complaint):
    """A template that points at a remote resource must not make the worker reach the network."""
    template_dir = tmp_path / "reclamaciones" / "pdf"
    template_dir.mkdir(parents=True)
    (template_dir / "hoja.html").write_text(
        '<html><body><img src="https://example.com/tracker.png"><p>Hoja</p></body></html>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert pdf.complaint_sheet_pdf(file_complaint()).startswith(b"%PDF")  # rendered, image refused
