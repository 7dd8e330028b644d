"""Issue 14 §1 on the public form: the consumer adds up to N documents; they are stored privately under random
names and become part of the hoja (its fingerprint and seal); a refused file is a 400 with its message next to the
field and nothing is filed; with RECLAMACIONES_RULES_2026 the documents are staged on the review page and bound
when the consumer confirms; staged documents never filed are purged."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from datetime import timedelta
from html import unescape

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.book.attachment_models import Attachment
from reclamaciones.book.attachments import attachment_prepare, attachments_staged_purge
from reclamaciones.book.integrity import PROBLEM_LABELS, content_hash
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.book.services import (
    HASHED_FIELDS,
    book_verify,
    book_verify_daily,
    complaint_content_hash,
    complaint_integrity_problems,
    complaint_verify_integrity,
)
from reclamaciones.records import ImmutableRecordError

from ..factories import VALID_FILING
from .attachment_support import (
    attachments_storage_use,
    form_ref,
    jpeg_upload,
    pdf_bytes,
    pdf_upload,
    png_upload,
    review_hidden_fields,
    upload,
    zip_bytes,
)
from .public_support import _assert_nothing_filed, _filing_data, _post

pytestmark = pytest.mark.django_db

CONFIRM = {"accion": "confirmar"}
EDIT = {"accion": "corregir"}


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


@pytest.fixture
def rules_2026(settings):
    settings.RECLAMACIONES_RULES_2026 = True


def _html(response) -> str:
    return response.content.decode()


def _field_error(html: str) -> str:
    """The message shown right below the file input (crispy's invalid-feedback for id_attachments)."""
    match = re.search(r'id="error_\d+_id_attachments"[^>]*>\s*<strong>(.*?)</strong>', html, re.S)
    assert match, "no error next to the documents field"
    return unescape(match[1]).strip()


# Filing with documents (the setting off: one POST files) -------------------------------------------------------


def test_documents_are_filed_with_the_hoja_stored_privately_under_random_names(client, establishment, attachments_dir):
    pdf = pdf_bytes()
    files = [upload("Boleta B001-4521.pdf", pdf, "application/pdf"), jpeg_upload("foto del equipo.jpg")]

    response = _post(client, establishment, {**_filing_data(), "attachments": files})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    documents = list(complaint.attachments.order_by("position"))
    assert [(a.original_name, a.content_type, a.source, a.position) for a in documents] == [
        ("Boleta B001-4521.pdf", "application/pdf", "consumer", 0),
        ("foto del equipo.jpg", "image/jpeg", "consumer", 1),
    ]
    for document in documents:
        path = attachments_dir / document.stored_name
        assert "Boleta" not in document.stored_name
        assert "foto" not in document.stored_name
        assert re.fullmatch(r"\d{4}/\d{2}/[A-Za-z0-9_-]{32}\.(pdf|jpg)", document.stored_name)
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert len(data) == document.size
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (attachments_dir / documents[0].stored_name).read_bytes() == pdf  # a PDF is kept byte for byte


def test_the_documents_are_part_of_the_fingerprint_and_the_book_verifies(client, establishment, attachments_dir):
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    complaint = Complaint.objects.get()

    without = content_hash({name: getattr(complaint, name) for name in HASHED_FIELDS})
    assert complaint.content_sha256 != without  # the document is in it
    assert complaint.content_sha256 == complaint_content_hash(complaint, complaint.attachments.all())
    assert complaint_verify_integrity(complaint)
    assert complaint_integrity_problems(complaint) == []
    assert book_verify(scope=Scope.everything()).ok


def test_a_hoja_without_documents_keeps_the_fingerprint_it_always_had(file_complaint):
    complaint = file_complaint()

    assert complaint.content_sha256 == content_hash({name: getattr(complaint, name) for name in HASHED_FIELDS})
    assert book_verify(scope=Scope.everything()).ok


def _daily_problems() -> list[list[str]]:
    from reclamaciones.deadlines.models import TrackerHeartbeat
    from reclamaciones.outbox.alarms import INTEGRITY

    book_verify_daily(scope=Scope.everything())
    return [item["problems"] for item in TrackerHeartbeat.objects.get(name=INTEGRITY).data["broken"]]


def test_a_swapped_file_is_caught_by_the_daily_check_not_the_row_check(client, establishment, attachments_dir):
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    complaint = Complaint.objects.get()
    document = complaint.attachments.get()

    (attachments_dir / document.stored_name).write_bytes(pdf_bytes(text_color=(255, 0, 0)))

    assert complaint_integrity_problems(complaint) == []  # rows and seals only: no stored file is read
    assert book_verify(scope=Scope.everything()).ok
    assert _daily_problems() == [["attachment"]]


def test_a_deleted_file_is_caught_too(client, establishment, attachments_dir):
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    complaint = Complaint.objects.get()

    (attachments_dir / complaint.attachments.get().stored_name).unlink()

    assert _daily_problems() == [["attachment"]]


def test_a_storage_error_is_reported_as_unreadable_never_a_crash(client, establishment, attachments_dir, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})

    def broken(*args, **kwargs):
        raise RuntimeError("S3 is down")  # not an OSError: what a storage backend's own error looks like

    monkeypatch.setattr(FileSystemStorage, "open", broken)

    assert _daily_problems() == [["attachment_unreadable"]]
    assert PROBLEM_LABELS["attachment_unreadable"].startswith("no se pudo leer el documento")


def test_the_daily_check_reads_a_rolling_window_of_files(client, establishment, attachments_dir, settings, monkeypatch):
    from reclamaciones.book import attachments

    settings.RECLAMACIONES_ATTACHMENTS_FIXITY_PER_RUN = 2
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload("a.pdf"), pdf_upload("b.pdf")]})
    _post(client, establishment, {**_filing_data(consumer_name="Otra Persona"), "attachments": [pdf_upload("c.pdf")]})
    ids = list(Attachment.objects.order_by("pk").values_list("pk", flat=True))
    read = []
    original = attachments.attachment_fixity
    monkeypatch.setattr(attachments, "attachment_fixity", lambda a: read.append(a.pk) or original(a))

    runs = []
    for _day in range(3):
        read.clear()
        book_verify_daily(scope=Scope.everything())
        runs.append(list(read))

    # Two files a run, resumed where the last run stopped, round the list: every file once per cycle.
    assert runs == [ids[0:2], [ids[2], ids[0]], ids[1:3]]


def test_a_recorded_hash_edited_to_match_a_swapped_file_breaks_the_fingerprint(client, establishment, attachments_dir):
    from django.db import connection

    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    complaint = Complaint.objects.get()
    document = complaint.attachments.get()
    forged = pdf_bytes(text_color=(255, 0, 0))
    (attachments_dir / document.stored_name).write_bytes(forged)
    with connection.cursor() as cursor:  # what someone with database access would do
        cursor.execute(
            f"UPDATE {Attachment._meta.db_table} SET sha256 = %s, size = %s WHERE id = %s",  # noqa: S608
            [hashlib.sha256(forged).hexdigest(), len(forged), document.pk],
        )

    problems = complaint_integrity_problems(complaint)
    assert PROBLEM_LABELS["content"] in problems  # the fingerprint covers the recorded hash
    assert PROBLEM_LABELS["attachment"] not in problems  # the file matches its (forged) row


def test_a_filed_document_cannot_be_changed_or_deleted(client, establishment, attachments_dir):
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    document = Attachment.objects.get()

    with pytest.raises(ImmutableRecordError):
        Attachment.objects.filter(pk=document.pk).update(original_name="otro.pdf")
    with pytest.raises(ImmutableRecordError):
        Attachment.objects.filter(pk=document.pk).delete()
    document.original_name = "otro.pdf"
    with pytest.raises(ImmutableRecordError):
        document.save()


def test_the_form_states_the_limits_and_takes_files(client, establishment, settings):
    settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES = 4
    settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES = 2_000_000

    html = _html(client.get(reverse("reclamaciones:file", args=[establishment.slug])))

    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input type="file" name="attachments"[^>]*multiple', html)
    assert re.search(r'<label\s+for="id_attachments"', html)
    assert "Hasta 4 archivos PDF, JPG o PNG de 2,0 MB como máximo cada uno" in html


# Refused files: a 400, the message next to the field, nothing filed ---------------------------------------------


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("bomba.zip", zip_bytes(member_size=20_000_000), "application/zip"), "no es un PDF, JPG ni PNG"),
        (upload("boleta.pdf", pdf_bytes() + zip_bytes(), "application/pdf"), "contiene además otro tipo"),
        (upload("vacío.pdf", b"", "application/pdf"), "está vacío"),
        (upload("foto.exe", pdf_bytes(), "application/pdf"), "no tiene la extensión"),
        (upload("<script>alert(1)</script>.pdf", b"<html>", "application/pdf"), "no es un PDF, JPG ni PNG"),
    ],
)
def test_a_refused_file_is_a_400_with_its_message_and_nothing_is_filed(
    client, establishment, attachments_dir, mailoutbox, file, message
):
    response = _post(client, establishment, {**_filing_data(), "attachments": [file]})

    html = _html(response)
    assert response.status_code == 400
    assert message in _field_error(html)
    assert "<script>alert(1)" not in html
    assert 'href="#id_attachments"' in html  # the error summary links to the field
    _assert_nothing_filed(mailoutbox)
    assert not Attachment.objects.exists()


def test_a_nul_byte_in_a_file_name_never_reaches_the_record(client, establishment, attachments_dir):
    response = _post(
        client,
        establishment,
        {**_filing_data(), "attachments": [upload("factura\x00.php", pdf_bytes(), "application/pdf")]},
    )

    assert response.status_code == 400  # Django drops the NUL: "factura.php" is then a wrong extension
    assert "«factura.php» no tiene la extensión" in _field_error(_html(response))
    assert not Attachment.objects.exists()


def test_more_files_than_allowed_are_refused(client, establishment, attachments_dir, settings, mailoutbox):
    settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES = 2

    response = _post(
        client, establishment, {**_filing_data(), "attachments": [pdf_upload(), pdf_upload(), pdf_upload()]}
    )

    assert response.status_code == 400
    assert _field_error(_html(response)) == "Puedes adjuntar hasta 2 archivos en total."
    _assert_nothing_filed(mailoutbox)


def test_hundreds_of_files_in_one_post_are_a_400_not_a_500(client, establishment, attachments_dir, mailoutbox):
    files = [upload(f"f{i}.pdf", b"%PDF-1.4", "application/pdf") for i in range(120)]

    response = _post(client, establishment, {**_filing_data(), "attachments": files})

    assert response.status_code == 400
    _assert_nothing_filed(mailoutbox)


def test_too_many_files_are_refused_while_parsing_with_a_spanish_explanation(
    client, establishment, attachments_dir, settings, mailoutbox
):
    # Past MAX_FILES + 2 Django stops reading the post (nothing more reaches /tmp); the page says why, in Spanish.
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES + 2
    files = [pdf_upload(f"f{i}.pdf") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]

    response = _post(client, establishment, {**_filing_data(), "attachments": files})

    assert response.status_code == 400
    html = _html(response)
    assert "puedes adjuntar hasta 3 en total" in html
    assert "vuelve atrás con el botón de tu navegador" in html
    _assert_nothing_filed(mailoutbox)
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_dropped_as_it_streams_and_said_next_to_the_field(
    client, establishment, attachments_dir, settings, mailoutbox, monkeypatch
):
    from reclamaciones.book import forms

    settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES = 100_000
    prepared = []
    monkeypatch.setattr(forms, "attachment_prepare", lambda f: prepared.append(f.name) or attachment_prepare(f))
    big = upload("escaneo.pdf", b"%PDF-1.4\n" + b"0" * 300_000, "application/pdf")

    response = _post(client, establishment, {**_filing_data(), "attachments": [big, pdf_upload("boleta.pdf")]})

    assert response.status_code == 400
    assert _field_error(_html(response)) == "El archivo «escaneo.pdf» supera el límite de 100 KB por archivo."
    assert prepared == ["boleta.pdf"]  # the big one never reached the form: dropped while parsing
    assert VALID_FILING["consumer_name"] in _html(response)  # the fields after the file were read: kept
    _assert_nothing_filed(mailoutbox)


def test_a_storage_failure_is_a_503_nothing_filed_and_the_form_kept(
    client, establishment, attachments_dir, mailoutbox, monkeypatch, caplog
):
    from reclamaciones.book.attachments import attachment_storage

    def broken(*args, **kwargs):
        raise RuntimeError("S3 is down")  # any backend error, not only OSError

    monkeypatch.setattr(attachment_storage(), "save", broken)
    data = _filing_data()

    response = _post(client, establishment, {**data, "attachments": [pdf_upload()]})

    assert response.status_code == 503
    assert _field_error(_html(response)) == "No pudimos guardar tu documento; inténtalo en unos minutos."
    assert data["consumer_name"] in _html(response)
    _assert_nothing_filed(mailoutbox)
    assert "could not save a document" in caplog.text


# The same filing sent twice ------------------------------------------------------------------------------------


def test_confirming_twice_returns_the_same_hoja(client, establishment, attachments_dir, rules_2026):
    review = _html(_post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]}))
    confirm = {**review_hidden_fields(review), **CONFIRM}

    first = _post(client, establishment, confirm)
    again = _post(client, establishment, confirm)  # a double click, or Back then Confirmar

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    complaint = Complaint.objects.get()
    assert complaint.attachments.count() == 1
    assert complaint_integrity_problems(complaint) == []


def test_a_form_sent_again_with_its_reference_returns_the_same_hoja(client, establishment, attachments_dir):
    sent_back = _html(_post(client, establishment, {**_filing_data(doc_number=""), "attachments": [pdf_upload()]}))
    corrected = {**_filing_data(), "attachment_ref": form_ref(sent_back)}

    first = _post(client, establishment, corrected)
    again = _post(client, establishment, corrected)

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Complaint.objects.count() == 1


def test_filed_documents_are_not_bound_to_a_second_hoja_of_other_content(client, establishment, attachments_dir):
    sent_back = _html(_post(client, establishment, {**_filing_data(doc_number=""), "attachments": [pdf_upload()]}))
    ref = form_ref(sent_back)
    _post(client, establishment, {**_filing_data(), "attachment_ref": ref})

    response = _post(client, establishment, {**_filing_data(detail="Otro detalle distinto."), "attachment_ref": ref})

    assert response.status_code == 409
    assert "ya se presentaron con tu hoja anterior" in _html(response)
    assert Complaint.objects.count() == 1


def test_a_refused_file_leaves_what_was_filed_before_untouched(client, establishment, attachments_dir, mailoutbox):
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]})
    before = Complaint.objects.get()
    stored = (attachments_dir / before.attachments.get().stored_name).read_bytes()
    mailoutbox.clear()

    response = _post(
        client,
        establishment,
        {**_filing_data(doc_number="40111222"), "attachments": [upload("x.pdf", b"MZ", "application/pdf")]},
    )

    assert response.status_code == 400
    after = Complaint.objects.get()
    assert (after.pk, after.content_sha256, after.seal) == (before.pk, before.content_sha256, before.seal)
    assert (attachments_dir / after.attachments.get().stored_name).read_bytes() == stored
    assert not mailoutbox


def test_valid_files_survive_a_form_sent_back_for_another_error(client, establishment, attachments_dir):
    first = _post(client, establishment, {**_filing_data(detail=""), "attachments": [pdf_upload("boleta.pdf")]})

    html = _html(first)
    assert first.status_code == 200  # the usual form error; the file itself was fine
    assert "Documentos que ya adjuntaste" in html
    assert "Quitar «boleta.pdf»" in html
    assert not Complaint.objects.exists()

    filed = _post(client, establishment, {**_filing_data(), "attachment_ref": form_ref(html)})

    assert filed.status_code == 302
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["boleta.pdf"]


def test_a_kept_document_can_be_taken_out(client, establishment, attachments_dir):
    html = _html(
        _post(
            client,
            establishment,
            {**_filing_data(detail=""), "attachments": [pdf_upload("a.pdf"), pdf_upload("b.pdf")]},
        )
    )
    taken = Attachment.objects.get(original_name="a.pdf")

    _post(
        client, establishment, {**_filing_data(), "attachment_ref": form_ref(html), "quitar_adjunto": [str(taken.pk)]}
    )

    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["b.pdf"]


def test_a_forged_reference_is_refused_next_to_the_field(client, establishment, attachments_dir, mailoutbox):
    _post(client, establishment, {**_filing_data(detail=""), "attachments": [pdf_upload()]})  # someone's staged file
    staged = Attachment.objects.get()
    forged = signing.dumps([staged.pk], salt="otra-cosa")

    response = _post(client, establishment, {**_filing_data(), "attachment_ref": forged})

    assert response.status_code == 400
    assert "ya no están disponibles" in _field_error(_html(response))
    _assert_nothing_filed(mailoutbox)


@pytest.mark.parametrize("ref", ["\x00", "<script>", "x" * 100_000, "e30:1abc:def"])
def test_a_mangled_reference_is_a_400_never_a_500(client, establishment, attachments_dir, ref):
    response = _post(client, establishment, {**_filing_data(), "attachment_ref": ref})

    assert response.status_code == 400
    assert "ya no están disponibles" in _html(response)


# The confirmation step (RECLAMACIONES_RULES_2026) -------------------------------------------------------------


def test_the_review_page_lists_the_documents_and_confirming_files_them(
    client, establishment, attachments_dir, rules_2026, mailoutbox
):
    review = _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload("boleta.pdf"), png_upload()]})

    html = _html(review)
    assert review.status_code == 200
    assert "Revisa y confirma tu hoja" in html
    assert "DOCUMENTOS ADJUNTOS POR EL CONSUMIDOR" in html
    assert "boleta.pdf" in html
    assert "reclamaciones/seguimiento" not in html  # nothing downloadable before it is filed
    _assert_nothing_filed(mailoutbox)
    assert Attachment.objects.filter(complaint__isnull=True).count() == 2  # staged

    filed = _post(client, establishment, {**review_hidden_fields(html), **CONFIRM})

    assert filed.status_code == 302
    complaint = Complaint.objects.get()
    assert [a.original_name for a in complaint.attachments.order_by("position")] == ["boleta.pdf", "captura.png"]
    assert complaint_integrity_problems(complaint) == []
    filed_event = ComplaintEvent.objects.get(type="filed").data
    assert filed_event["confirmation"]["confirmed"] is True
    assert [d["name"] for d in filed_event["attachments"]] == ["boleta.pdf", "captura.png"]
    assert [d["sha256"] for d in filed_event["attachments"]] == [
        a.sha256 for a in complaint.attachments.order_by("position")
    ]


def test_correcting_keeps_the_documents(client, establishment, attachments_dir, rules_2026):
    review = _html(_post(client, establishment, {**_filing_data(), "attachments": [pdf_upload("boleta.pdf")]}))

    edit = _html(_post(client, establishment, {**review_hidden_fields(review), **EDIT}))

    assert "Quitar «boleta.pdf»" in edit
    review_again = _html(_post(client, establishment, {**_filing_data(), "attachment_ref": form_ref(edit)}))
    _post(client, establishment, {**review_hidden_fields(review_again), **CONFIRM})
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["boleta.pdf"]
    assert Attachment.objects.count() == 1  # staged once, bound once


def test_a_confirmation_after_the_staged_files_expired_files_nothing(
    client, establishment, attachments_dir, rules_2026, settings, mailoutbox
):
    review = _html(_post(client, establishment, {**_filing_data(), "attachments": [pdf_upload()]}))
    attachments_staged_purge(
        now=timezone.now() + timedelta(hours=settings.RECLAMACIONES_ATTACHMENTS_STAGED_TTL_HOURS + 1)
    )

    response = _post(client, establishment, {**review_hidden_fields(review), **CONFIRM})

    assert response.status_code == 400
    assert "ya no están disponibles" in _field_error(_html(response))
    _assert_nothing_filed(mailoutbox)


def test_a_hostile_file_on_the_review_step_is_a_400_and_no_review(client, establishment, attachments_dir, rules_2026):
    response = _post(
        client, establishment, {**_filing_data(), "attachments": [upload("x.png", pdf_bytes(), "image/png")]}
    )

    assert response.status_code == 400
    assert "Revisa y confirma tu hoja" not in _html(response)
    assert not Attachment.objects.exists()


# Staged uploads never filed are purged --------------------------------------------------------------------------


def test_the_purge_removes_only_stale_staged_files(
    client, establishment, attachments_dir, settings, django_capture_on_commit_callbacks
):
    _post(client, establishment, {**_filing_data(detail=""), "attachments": [pdf_upload("abandonado.pdf")]})
    _post(client, establishment, {**_filing_data(), "attachments": [pdf_upload("presentado.pdf")]})
    abandoned = Attachment.objects.get(original_name="abandonado.pdf")
    filed = Attachment.objects.get(original_name="presentado.pdf")
    ttl = timedelta(hours=settings.RECLAMACIONES_ATTACHMENTS_STAGED_TTL_HOURS)

    assert attachments_staged_purge(now=timezone.now() + ttl - timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows' removal is committed
        assert attachments_staged_purge(now=timezone.now() + ttl + timedelta(minutes=1)) == 1

    assert not Attachment.objects.filter(pk=abandoned.pk).exists()
    assert not (attachments_dir / abandoned.stored_name).exists()
    assert (attachments_dir / filed.stored_name).exists()
    assert Attachment.objects.get(pk=filed.pk).complaint_id is not None


def test_the_purge_runs_hourly_from_beat(settings):
    from reclamaciones.book.tasks import attachments_staged_purge as task

    entry = settings.CELERY_BEAT_SCHEDULE["attachments-staged-purge"]
    assert entry["task"] == task.name == "reclamaciones.tasks.attachments_staged_purge"


def test_uploads_over_the_rate_are_dropped_with_a_message_and_the_kept_ones_stay(
    client, establishment, attachments_dir, settings, mailoutbox
):
    settings.RECLAMACIONES_ATTACHMENTS_RATE = "1/h"
    first = _html(_post(client, establishment, {**_filing_data(detail=""), "attachments": [pdf_upload("a.pdf")]}))

    response = _post(
        client,
        establishment,
        {**_filing_data(), "attachment_ref": form_ref(first), "attachments": [pdf_upload("b.pdf")]},
    )

    assert response.status_code == 429
    assert _field_error(_html(response)).startswith("Subiste muchos archivos desde tu conexión en poco tiempo")
    assert "Quitar «a.pdf»" in _html(response)
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["a.pdf"]
    _assert_nothing_filed(mailoutbox)
    filed = _post(client, establishment, {**_filing_data(), "attachment_ref": form_ref(_html(response))})
    assert filed.status_code == 302  # without new files the hoja goes, with the one kept
    assert [a.original_name for a in Complaint.objects.get().attachments.all()] == ["a.pdf"]


def test_documents_taken_out_and_added_across_posts_are_numbered_as_shown_and_verify(
    client, establishment, attachments_dir
):
    first = _html(
        _post(
            client,
            establishment,
            {**_filing_data(detail=""), "attachments": [pdf_upload("a.pdf"), pdf_upload("b.pdf"), pdf_upload("c.pdf")]},
        )
    )
    out = [
        str(pk) for pk in Attachment.objects.filter(original_name__in=["a.pdf", "b.pdf"]).values_list("pk", flat=True)
    ]

    _post(
        client,
        establishment,
        {
            **_filing_data(),
            "attachment_ref": form_ref(first),
            "quitar_adjunto": out,
            "attachments": [pdf_upload("d.pdf")],
        },
    )

    complaint = Complaint.objects.get()
    assert [(a.original_name, a.position) for a in complaint.attachments.order_by("position")] == [
        ("c.pdf", 0),
        ("d.pdf", 1),
    ]
    assert complaint_integrity_problems(complaint) == []
    assert book_verify(scope=Scope.everything()).ok
