"""Issue 14 §1: the documents are listed (name, type, size, SHA-256) on the sheet's PDF and carried whole in the
INDECOPI evidence bundle with their hashes; the storage is whatever the setting names (private folder by default,
any Django storage such as django-storages' S3 by dotted path)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.urls import reverse

from reclamaciones.access import Role
from reclamaciones.book.attachment_models import Attachment
from reclamaciones.book.attachments import attachment_prepare, attachment_storage, attachments_stage
from reclamaciones.book.pdf import complaint_sheet_pdf

from ..compliance.indecopi_support import bundle_built, csv_rows, pdf_text, request_registered, zip_open
from ..factories import hoja_answered, hoja_filed, staff_user
from .attachment_support import attachments_storage_use, jpeg_upload, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


@pytest.fixture
def hoja(establishment, attachments_dir):
    staged = attachments_stage(
        files=[
            attachment_prepare(pdf_upload("Boleta B001-4521.pdf")),
            attachment_prepare(jpeg_upload("Foto equipo.jpg")),
        ],
        kept=[],
    )
    return hoja_filed(establishment, attachments=staged)


def test_the_pdf_lists_every_document_with_its_sha256(hoja, pdftotext):
    text = pdf_text(complaint_sheet_pdf(hoja), pdftotext)

    assert "Documentos adjuntos" in text
    for document in hoja.attachments.all():
        assert document.original_name in text
        assert document.sha256 in text.replace(" ", "")
    assert "1. Boleta B001-4521.pdf · PDF" in text
    assert "2. Foto equipo.jpg · JPG" in text


def test_a_pdf_without_documents_says_nothing_about_them(establishment, pdftotext):
    assert "Documentos adjuntos" not in pdf_text(complaint_sheet_pdf(hoja_filed(establishment)), pdftotext)


def test_the_pdf_lists_the_providers_documents_once_the_answer_is_sent(hoja, pdftotext):
    from reclamaciones.access import Scope
    from reclamaciones.book.attachments import attachment_add_staff

    agent = staff_user("ana", Role.AGENT, establishments=[hoja.establishment])
    attachment_add_staff(
        complaint_id=hoja.pk, prepared=attachment_prepare(pdf_upload("Nota de credito.pdf")), scope=Scope.of(agent)
    )
    assert "Nota de credito.pdf" not in pdf_text(complaint_sheet_pdf(hoja), pdftotext)

    answered = hoja_answered(hoja, by=agent)

    text = pdf_text(complaint_sheet_pdf(answered), pdftotext)
    assert "3. Nota de credito.pdf · PDF" in text
    assert "del proveedor, con la respuesta" in text


def test_the_consumers_pdf_download_lists_them_too(client, hoja, pdftotext):
    response = client.get(reverse("reclamaciones:pdf", args=[hoja.tracking_token]))

    assert "Boleta B001-4521.pdf" in pdf_text(response.content, pdftotext)


def test_the_bundle_carries_the_files_and_their_hashes(hoja, establishment, settings, tmp_path, pdftotext):
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment], first_name="Carla")
    bundle = bundle_built(request_registered(officer, [establishment]), officer)

    archive = zip_open(bundle)
    folder = f"hojas/{hoja.display_number}_{hoja.establishment.code}"
    listed = {row["Nombre original"]: row for row in csv_rows(archive, f"{folder}/adjuntos.csv")}
    assert set(listed) == {"Boleta B001-4521.pdf", "Foto equipo.jpg"}
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("huellas-sha256.txt").decode().splitlines())
    for document in hoja.attachments.all():
        row = listed[document.original_name]
        member = f"{folder}/{row['Archivo en el paquete']}"
        data = archive.read(member)
        assert hashlib.sha256(data).hexdigest() == document.sha256 == row["SHA-256"] == sums[member]
        assert row["Adjuntado por"] == "Consumidor (con la hoja)"
    assert f"{folder}/adjuntos/consumer-1-boleta-b001-4521.pdf" in archive.namelist()
    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}[hoja.display_number]
    assert "adjuntos.csv" in index["Archivos"]
    assert index["Integridad"].startswith("Verificada")


def test_the_bundle_says_when_a_document_was_altered(hoja, establishment, settings, tmp_path, attachments_dir):
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment])
    (attachments_dir / hoja.attachments.get(content_type="application/pdf").stored_name).write_bytes(
        pdf_bytes((9, 9, 9))
    )

    archive = zip_open(bundle_built(request_registered(officer, [establishment]), officer))

    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}[hoja.display_number]
    assert "NO VERIFICA" in index["Integridad"]
    assert "documento adjunto" in index["Integridad"]


# Storage ---------------------------------------------------------------------------------------------------------


def test_by_default_files_go_to_a_private_folder_outside_the_web_root(settings):
    from config.settings import base

    assert base.STORAGES["attachments"] is base.RECLAMACIONES_ATTACHMENTS_STORAGE  # the alias production uses
    storage = attachment_storage()  # test settings replace STORAGES whole: the same configuration is used

    assert isinstance(storage, FileSystemStorage)
    location = Path(storage.location)
    assert location == Path(settings.RUN_DIR) / "attachments"
    for public in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT or "/nonexistent"):
        assert not location.is_relative_to(Path(public).resolve()) or not str(public)
    assert storage.file_permissions_mode == 0o600
    assert storage.directory_permissions_mode == 0o700


def test_the_storage_backend_setting_is_honoured(client, establishment, settings):
    """What an S3 deployment does (BACKEND storages.backends.s3.S3Storage): here Django's in-memory storage."""
    settings.STORAGES = {**settings.STORAGES, "attachments": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}

    staged = attachments_stage(files=[attachment_prepare(pdf_upload("boleta.pdf"))], kept=[])
    hoja = hoja_filed(establishment, attachments=staged)

    storage = attachment_storage()
    assert isinstance(storage, InMemoryStorage)
    document = Attachment.objects.get(complaint=hoja)
    with storage.open(document.stored_name) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == document.sha256
    response = client.get(reverse("reclamaciones:attachment", args=[hoja.tracking_token, document.pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_configuration_is_used_when_a_settings_module_replaced_storages(settings, tmp_path):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "attachments"}
    settings.RECLAMACIONES_ATTACHMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "privado")},
    }

    assert str(attachment_storage().location) == str(tmp_path / "privado")


def test_the_bundle_reads_each_file_once_as_it_copies_it(hoja, establishment, settings, tmp_path, monkeypatch):
    # Fixity in the bundle: the bytes are hashed as they are copied, never read again by the seal or chain checks.
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment])
    opened = []
    storage = attachment_storage()
    original = storage.open
    monkeypatch.setattr(storage, "open", lambda name, *a, **k: opened.append(name) or original(name, *a, **k))

    archive = zip_open(bundle_built(request_registered(officer, [establishment]), officer))

    assert sorted(opened) == sorted(hoja.attachments.values_list("stored_name", flat=True))
    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}[hoja.display_number]
    assert index["Integridad"].startswith("Verificada")


def test_a_storage_error_in_the_bundle_is_reported_not_a_crash(hoja, establishment, settings, tmp_path, monkeypatch):
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment])

    def broken(*args, **kwargs):
        raise RuntimeError("S3 is down")

    monkeypatch.setattr(attachment_storage(), "open", broken)

    archive = zip_open(bundle_built(request_registered(officer, [establishment]), officer))

    index = {row["Número"]: row for row in csv_rows(archive, "indice.csv")}[hoja.display_number]
    assert "NO VERIFICA" in index["Integridad"]
    assert "no se pudo leer el documento" in index["Integridad"]
    folder = f"hojas/{hoja.display_number}_{hoja.establishment.code}"
    assert {row["Archivo en el paquete"] for row in csv_rows(archive, f"{folder}/adjuntos.csv")} == {
        "(no se pudo leer el archivo)"
    }


# Its events, messages, offers, documents, the PDF's answer and the predecessor's seal.
BUNDLE_QUERIES_PER_HOJA = 6


def _bundle_queries(establishment, officer, hojas: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(hojas - establishment.complaints.count()):
        staged = attachments_stage(files=[attachment_prepare(pdf_upload())], kept=[])
        hoja_answered(hoja_filed(establishment, attachments=staged))
    request = request_registered(officer, [establishment])
    with CaptureQueriesContext(connection) as queries:
        bundle_built(request, officer)
    return len(queries)


def test_the_bundle_costs_the_same_queries_for_2_and_for_6_hojas(establishment, settings, tmp_path, attachments_dir):
    # Per hoja a fixed number of queries (its events, messages, offers, documents, the PDF's answer and predecessor):
    # the logo's provider comes with the hoja, and the PDF reuses the documents already read.
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    officer = staff_user("carla", Role.COMPLIANCE, establishments=[establishment])

    two = _bundle_queries(establishment, officer, 2)
    four = _bundle_queries(establishment, officer, 4)
    six = _bundle_queries(establishment, officer, 6)

    assert six - four == four - two == 2 * BUNDLE_QUERIES_PER_HOJA


def test_the_consumer_sees_the_providers_documents_only_once_answered(hoja):
    from reclamaciones.book.attachments import attachments_for_consumer, attachments_of

    staff = Attachment(complaint=hoja, source=Attachment.Source.STAFF, position=0, original_name="informe.pdf")
    documents = [*attachments_of(hoja), staff]

    assert staff not in attachments_for_consumer(hoja, answered=False, documents=documents)
    assert staff in attachments_for_consumer(hoja, answered=True, documents=documents)
    assert staff not in attachments_for_consumer(hoja, documents=documents)  # answered read from the database
    hoja_answered(hoja)
    assert staff in attachments_for_consumer(hoja, documents=documents)
