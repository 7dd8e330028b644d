"""Issue 14 §1, attack review F2: anonymising a hoja after the retention period (compliance.retention) deletes its
documents' files and blanks their names wherever they were recorded, keeping type, size and SHA-256 as evidence;
downloads answer 404; the book still verifies; the sheet, the PDF and the evidence bundle say the document was
deleted instead of naming it."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.attachment_models import REMOVED_LABEL, Attachment
from reclamaciones.book.attachments import attachment_add_staff, attachment_prepare, attachments_stage
from reclamaciones.book.models import ComplaintEvent
from reclamaciones.book.pdf import complaint_sheet_pdf
from reclamaciones.book.services import book_verify, complaint_integrity_problems
from reclamaciones.compliance.retention import anonymise_expired

from ..compliance.indecopi_support import bundle_built, csv_rows, pdf_text, request_registered, zip_open
from ..factories import hoja_answered, hoja_filed, staff_user
from .attachment_support import attachments_storage_use, jpeg_upload, pdf_upload

pytestmark = pytest.mark.django_db

NAME = "DNI Juan Perez Quispe 40111222.jpg"
STAFF_NAME = "Nota de credito Juan Perez.pdf"


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


@pytest.fixture
def anonymised(establishment, attachments_dir, django_capture_on_commit_callbacks):
    """A hoja with a consumer's and a staff document, answered, then anonymised past the retention period."""
    staged = attachments_stage(files=[attachment_prepare(jpeg_upload(NAME))], kept=[])
    hoja = hoja_filed(establishment, attachments=staged)
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    attachment_add_staff(
        complaint_id=hoja.pk, prepared=attachment_prepare(pdf_upload(STAFF_NAME)), scope=Scope.of(agent)
    )
    hoja = hoja_answered(hoja, by=agent)
    before = {a.pk: (a.content_type, a.size, a.sha256, a.stored_name) for a in hoja.attachments.all()}
    assert all((attachments_dir / stored).exists() for *_, stored in before.values())

    with django_capture_on_commit_callbacks(execute=True):
        result = anonymise_expired(
            scope=Scope.everything(), dry_run=False, now=timezone.now() + timedelta(days=3 * 366)
        )

    assert result.anonymised == 1
    hoja.refresh_from_db()
    return hoja, before


def test_the_files_are_deleted_and_the_names_blanked_keeping_the_evidence(anonymised, attachments_dir):
    hoja, before = anonymised

    documents = list(Attachment.objects.filter(complaint=hoja))

    assert {a.pk: (a.content_type, a.size, a.sha256, a.stored_name) for a in documents} == before
    assert [a.original_name for a in documents] == ["", ""]
    assert all(a.removed and a.display_name == REMOVED_LABEL for a in documents)
    assert not any((attachments_dir / stored).exists() for *_, stored in before.values())


def test_the_names_leave_the_trail_too(anonymised):
    hoja, _before = anonymised

    trail = str(list(ComplaintEvent.objects.filter(complaint=hoja).values_list("data", flat=True)))

    assert "Juan Perez" not in trail
    filed = ComplaintEvent.objects.get(complaint=hoja, type=ComplaintEvent.Type.FILED)
    (listed,) = filed.data["attachments"]
    assert set(listed) == {"type", "size", "sha256"}


def test_downloads_answer_404(client, anonymised, establishment):
    hoja, _before = anonymised
    auditor = staff_user("aud", Role.SUPERVISOR, establishments=[establishment])

    for document in Attachment.objects.filter(complaint=hoja):
        assert (
            client.get(reverse("reclamaciones:attachment", args=[hoja.tracking_token, document.pk])).status_code == 404
        )
        client.force_login(auditor)
        assert client.get(reverse("staff:attachment", args=[hoja.pk, document.pk])).status_code == 404
        client.logout()


def test_the_book_still_verifies_with_the_files_gone(anonymised):
    hoja, _before = anonymised

    assert complaint_integrity_problems(hoja) == []
    assert book_verify(scope=Scope.everything()).ok


def test_the_sheet_and_its_pdf_say_the_documents_were_deleted(client, anonymised, pdftotext):
    hoja, _before = anonymised

    page = unescape(client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode())
    text = pdf_text(complaint_sheet_pdf(hoja), pdftotext)

    for shown in (page, text):
        assert "Juan Perez" not in shown
        assert REMOVED_LABEL in " ".join(shown.split())


def test_the_bundle_lists_the_deleted_documents_by_their_sha256(anonymised, establishment, settings, tmp_path):
    hoja, before = anonymised
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment])

    archive = zip_open(bundle_built(request_registered(officer, [establishment]), officer))

    folder = f"hojas/{hoja.display_number}_{hoja.establishment.code}"
    rows = csv_rows(archive, f"{folder}/adjuntos.csv")
    assert {row["SHA-256"] for row in rows} == {sha for _type, _size, sha, _stored in before.values()}
    assert {(row["Nombre original"], row["Archivo en el paquete"]) for row in rows} == {
        (REMOVED_LABEL, "(eliminado al anonimizar)")
    }
    assert not [name for name in archive.namelist() if "/adjuntos/" in name]
    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}[hoja.display_number]
    assert index["Integridad"].startswith("Verificada")
