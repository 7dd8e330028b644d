"""Issue 14 §1: documents are served only through scoped views, always as downloads of their own type (nosniff):
the consumer through the tracking token, staff through the back office's scope (another establishment's document is
a 404, like every back-office object) with the download in the personal-data access log. Staff attach documents to
the answer: recorded as ATTACHMENT_ADDED, shown to the consumer with the answer and named in its e-mail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.audit import PersonalDataAccess
from reclamaciones.book.attachment_models import Attachment
from reclamaciones.book.attachments import attachments_stage
from reclamaciones.book.models import ComplaintEvent
from reclamaciones.book.services import complaint_integrity_problems
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.render import message_build

from ..factories import EstablishmentFactory, hoja_answered, hoja_filed, staff_user
from .attachment_support import (
    attachments_storage_use,
    jpeg_upload,
    pdf_bytes,
    pdf_upload,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachments_dir(settings, tmp_path):
    return attachments_storage_use(settings, tmp_path)


@pytest.fixture
def other(db):
    return EstablishmentFactory(name="Tienda Arequipa", code="LR-AQP")


@pytest.fixture
def agent(establishment):
    return staff_user("ana", Role.AGENT, establishments=[establishment], first_name="Ana")


@pytest.fixture
def agent_other(other):
    return staff_user("oscar", Role.AGENT, establishments=[other])


@pytest.fixture
def auditor(establishment):
    return staff_user("aurora", Role.AUDITOR, establishments=[establishment])


def _hoja_with_documents(establishment, *files):
    from reclamaciones.book.attachments import attachment_prepare

    staged = attachments_stage(files=[attachment_prepare(f) for f in files], kept=[])
    return hoja_filed(establishment, attachments=staged)


@pytest.fixture
def hoja(establishment, attachments_dir):
    return _hoja_with_documents(establishment, pdf_upload("Boleta B001.pdf"), jpeg_upload("foto.jpg"))


def _consumer_url(hoja, document) -> str:
    return reverse("reclamaciones:attachment", args=[hoja.tracking_token, document.pk])


def _staff_url(hoja, document) -> str:
    return reverse("staff:attachment", args=[hoja.pk, document.pk])


def _assert_download(response, document) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == document.content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert len(body) == document.size


# The consumer --------------------------------------------------------------------------------------------------


def test_the_consumer_downloads_their_documents_through_the_tracking_token(client, hoja):
    document = hoja.attachments.get(original_name="Boleta B001.pdf")

    response = client.get(_consumer_url(hoja, document))

    _assert_download(response, document)
    assert 'filename="Boleta B001.pdf"' in response["Content-Disposition"]


def test_a_document_of_another_hoja_is_a_404_through_my_token(client, establishment, hoja, attachments_dir):
    mine = hoja_filed(establishment, doc_number="40111222")

    response = client.get(reverse("reclamaciones:attachment", args=[mine.tracking_token, hoja.attachments.first().pk]))

    assert response.status_code == 404


def test_a_wrong_token_or_a_hostile_path_is_a_404(client, hoja):
    document = hoja.attachments.first()

    assert client.get(_consumer_url(hoja, document).replace(hoja.tracking_token[:8], "A" * 8)).status_code == 404
    assert client.get(f"/seguimiento/{hoja.tracking_token}/adjuntos/%00/").status_code == 404
    assert client.get(f"/seguimiento/{hoja.tracking_token}/adjuntos/..%2F..%2Fsettings.py/").status_code == 404


def test_the_tracking_page_lists_the_documents_with_their_sha256(client, hoja):
    html = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode()

    for document in hoja.attachments.all():
        assert document.original_name in html
        assert document.sha256 in html
        assert _consumer_url(hoja, document) in html


def test_a_hostile_file_name_is_shown_escaped(client, establishment, attachments_dir):
    hoja = _hoja_with_documents(
        establishment, upload('<img src=x onerror="alert(1)">.pdf', pdf_bytes(), "application/pdf")
    )

    html = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode()

    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.pdf" in html
    assert "<img src=x" not in html


# Staff: the back office's scope ---------------------------------------------------------------------------------


def test_staff_download_in_scope_and_it_is_logged(client, agent, hoja):
    document = hoja.attachments.get(original_name="foto.jpg")
    client.force_login(agent)

    response = client.get(_staff_url(hoja, document))

    _assert_download(response, document)
    logged = PersonalDataAccess.objects.get(user=agent)
    assert (logged.complaint_id, logged.what) == (hoja.pk, "detail")
    assert "foto.jpg" in logged.detail


def test_a_scoped_user_gets_a_404_for_another_establishments_document(client, agent_other, hoja):
    client.force_login(agent_other)

    for document in hoja.attachments.all():
        assert client.get(_staff_url(hoja, document)).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_document_under_another_hojas_url_is_a_404(client, agent, establishment, hoja, attachments_dir):
    other_hoja = hoja_filed(establishment, doc_number="40111222")
    client.force_login(agent)

    assert client.get(reverse("staff:attachment", args=[other_hoja.pk, hoja.attachments.first().pk])).status_code == 404


def test_anonymous_users_are_sent_to_the_login(client, hoja):
    response = client.get(_staff_url(hoja, hoja.attachments.first()))

    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_the_staff_detail_lists_the_documents_and_their_verification(client, agent, hoja, attachments_dir):
    from django.db import connection

    client.force_login(agent)

    html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()

    for document in hoja.attachments.all():
        assert _staff_url(hoja, document) in html
        assert document.sha256 in html
    assert "Alerta de integridad" not in html
    with connection.cursor() as cursor:  # a document's row edited in SQL breaks the hoja's fingerprint
        cursor.execute(
            f"UPDATE {Attachment._meta.db_table} SET sha256 = %s WHERE id = %s",  # noqa: S608
            ["0" * 64, hoja.attachments.first().pk],
        )
    html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert "su contenido no coincide con la huella SHA-256" in html


def test_the_staff_detail_reads_no_stored_file(client, agent, hoja, attachments_dir, monkeypatch):
    # Fixity (re-reading the bytes) is the daily check's and the bundle's: a page view never reads from S3.
    from reclamaciones.book import attachments

    def never(*args, **kwargs):
        raise AssertionError("the detail page read a stored file")

    monkeypatch.setattr(attachments.attachment_storage().__class__, "open", never)
    client.force_login(agent)

    response = client.get(reverse("staff:detail", args=[hoja.pk]))

    assert response.status_code == 200
    assert "Alerta de integridad" not in response.content.decode()


# Staff attach documents to the answer --------------------------------------------------------------------------


def _attach(client, hoja, file, **draft):
    return client.post(reverse("staff:attachment-add", args=[hoja.pk]), {"documento": file, **draft})


def test_an_agent_attaches_a_document_to_the_answer_and_the_draft_is_kept(client, agent, hoja):
    client.force_login(agent)

    response = _attach(client, hoja, pdf_upload("Nota de crédito.pdf"), text="Te devolvemos el dinero.")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Adjuntamos «Nota de crédito.pdf» a la respuesta." in html
    assert "Te devolvemos el dinero." in html  # the draft came back
    document = hoja.attachments.get(source="staff")
    assert (document.original_name, document.uploaded_by, document.position) == ("Nota de crédito.pdf", agent, 0)
    event = ComplaintEvent.objects.get(complaint=hoja, type=ComplaintEvent.Type.ATTACHMENT_ADDED)
    assert event.actor == agent
    assert event.data == {
        "id": document.pk,
        "name": "Nota de crédito.pdf",
        "type": "application/pdf",
        "size": document.size,
        "sha256": document.sha256,
    }
    assert complaint_integrity_problems(hoja) == []  # the filed fingerprint is the consumer's content only


def test_a_hostile_staff_upload_is_a_400_with_its_message(client, agent, hoja):
    client.force_login(agent)

    response = _attach(client, hoja, upload("informe.pdf", pdf_bytes() + b"<html>x</html>", "application/pdf"))

    assert response.status_code == 400
    assert "«informe.pdf» contiene además otro tipo de contenido" in response.content.decode()
    assert not hoja.attachments.filter(source="staff").exists()
    assert not ComplaintEvent.objects.filter(type=ComplaintEvent.Type.ATTACHMENT_ADDED).exists()


def test_a_storage_failure_on_the_staff_upload_is_a_503_with_the_draft_kept(client, agent, hoja, monkeypatch):
    from reclamaciones.book.attachments import attachment_storage

    def broken(*args, **kwargs):
        raise RuntimeError("S3 is down")

    monkeypatch.setattr(attachment_storage(), "save", broken)
    client.force_login(agent)

    response = _attach(client, hoja, pdf_upload("informe.pdf"), text="Le devolvemos el importe.")

    assert response.status_code == 503
    html = response.content.decode()
    assert "No pudimos guardar tu documento; inténtalo en unos minutos." in html
    assert "Le devolvemos el importe." in html
    assert not hoja.attachments.filter(source="staff").exists()
    assert not ComplaintEvent.objects.filter(complaint=hoja, type=ComplaintEvent.Type.ATTACHMENT_ADDED).exists()


def test_a_staff_file_over_the_limit_is_dropped_while_uploading_and_said(client, agent, hoja, settings):
    settings.RECLAMACIONES_ATTACHMENTS_MAX_BYTES = 100_000
    client.force_login(agent)

    response = _attach(client, hoja, upload("informe.pdf", b"%PDF-1.4\n" + b"0" * 300_000, "application/pdf"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "El archivo «informe.pdf» supera el límite de 100 KB por archivo." in html
    assert "Elige un archivo PDF" not in html
    assert not hoja.attachments.filter(source="staff").exists()


def test_an_upload_without_a_file_says_so(client, agent, hoja):
    client.force_login(agent)

    response = client.post(reverse("staff:attachment-add", args=[hoja.pk]), {"text": "borrador"})

    assert response.status_code == 400
    assert "Elige un archivo PDF, JPG o PNG para adjuntar." in response.content.decode()


def test_readers_cannot_attach_and_other_establishments_get_a_404(client, auditor, agent_other, hoja, attachments_dir):
    client.force_login(auditor)
    assert _attach(client, hoja, pdf_upload()).status_code == 403
    client.force_login(agent_other)
    assert _attach(client, hoja, pdf_upload()).status_code == 404
    assert not hoja.attachments.filter(source="staff").exists()
    assert list(attachments_dir.rglob("*.pdf")) == [
        attachments_dir / d.stored_name for d in hoja.attachments.filter(content_type="application/pdf")
    ]


def test_nothing_is_attached_once_the_answer_was_sent(client, agent, hoja, attachments_dir):
    answered = hoja_answered(hoja, by=agent)
    files_before = sorted(attachments_dir.rglob("*.*"))
    client.force_login(agent)

    response = _attach(client, answered, pdf_upload("tarde.pdf"))

    assert response.status_code == 400
    assert "No puedes adjuntar documentos a la respuesta de esta hoja." in response.content.decode()
    assert not answered.attachments.filter(source="staff").exists()
    assert sorted(attachments_dir.rglob("*.*")) == files_before  # the refused file was not left behind


def test_the_service_refuses_a_staff_upload_over_the_limit(agent, hoja, settings):
    from django.core.exceptions import ValidationError

    from reclamaciones.book.attachments import attachment_add_staff, attachment_prepare

    settings.RECLAMACIONES_ATTACHMENTS_MAX_FILES = 1
    attachment_add_staff(complaint_id=hoja.pk, prepared=attachment_prepare(pdf_upload()), scope=Scope.of(agent))

    with pytest.raises(ValidationError, match="Puedes adjuntar hasta 1 archivos"):
        attachment_add_staff(complaint_id=hoja.pk, prepared=attachment_prepare(pdf_upload()), scope=Scope.of(agent))
    assert hoja.attachments.filter(source="staff").count() == 1


def test_the_consumer_sees_the_providers_documents_only_with_the_answer(client, agent, hoja):
    client.force_login(agent)
    _attach(client, hoja, pdf_upload("Nota de crédito.pdf"))
    document = hoja.attachments.get(source="staff")
    client.logout()

    assert client.get(_consumer_url(hoja, document)).status_code == 404  # a draft until the answer is sent
    tracking = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode()
    assert "Nota de crédito.pdf" not in tracking

    hoja_answered(hoja, by=agent)

    _assert_download(client.get(_consumer_url(hoja, document)), document)
    tracking = client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).content.decode()
    assert "DOCUMENTOS DEL PROVEEDOR CON LA RESPUESTA" in tracking
    assert "Nota de crédito.pdf" in tracking


def test_the_answer_email_names_the_documents_and_links_the_tracking_page(client, agent, hoja):
    client.force_login(agent)
    _attach(client, hoja, pdf_upload("Nota de crédito <b>.pdf"))
    hoja_answered(hoja, by=agent)

    email = message_build(OutboundMessage.objects.get(complaint=hoja, kind="response"))

    assert "- Nota de crédito <b>.pdf (PDF, " in email.body
    assert f"/seguimiento/{hoja.tracking_token}/" in email.body
    html = email.alternatives[0][0]
    assert "Nota de crédito &lt;b&gt;.pdf" in html
    assert "Boleta B001.pdf" not in email.body  # the consumer's own documents are on the attached PDF


def test_the_answer_page_offers_the_upload(client, agent, hoja):
    client.force_login(agent)

    html = client.get(reverse("staff:answer", args=[hoja.pk])).content.decode()

    assert 'formenctype="multipart/form-data"' in html
    assert reverse("staff:attachment-add", args=[hoja.pk]) in html
    assert 'name="documento"' in html


def test_attachments_stage_keeps_previous_positions(attachments_dir):
    from reclamaciones.book.attachments import attachment_prepare

    first = attachments_stage(files=[attachment_prepare(pdf_upload("a.pdf"))], kept=[])
    both = attachments_stage(files=[attachment_prepare(pdf_upload("b.pdf"))], kept=first)

    assert [(a.original_name, a.position) for a in both] == [("a.pdf", 0), ("b.pdf", 1)]
    assert Attachment.objects.filter(complaint__isnull=True).count() == 2


# Costs ------------------------------------------------------------------------------------------------------------


def test_the_documents_cost_the_tracking_page_one_query_however_many(
    client, establishment, attachments_dir, django_assert_num_queries
):
    from .test_query_counts import TRACKING_QUERIES

    none = hoja_filed(establishment, doc_number="40111222")
    three = _hoja_with_documents(establishment, pdf_upload("a.pdf"), pdf_upload("b.pdf"), jpeg_upload("c.jpg"))

    for hoja in (none, three):
        with django_assert_num_queries(TRACKING_QUERIES):
            assert client.get(reverse("reclamaciones:track", args=[hoja.tracking_token])).status_code == 200


# Retention --------------------------------------------------------------------------------------------------------


def test_an_anonymised_hoja_with_documents_still_verifies_without_its_files(establishment, attachments_dir):
    # Anonymising deletes the documents' files (attack review F2; test_attachments_retention.py): their absence is
    # expected, not an alarm, while a live hoja's missing file still is.
    from datetime import timedelta

    from django.utils import timezone

    from reclamaciones.book.services import book_verify
    from reclamaciones.compliance.retention import anonymise_expired

    old = _hoja_with_documents(establishment, pdf_upload("boleta.pdf"))
    stored = old.attachments.get().stored_name
    later = timezone.now() + timedelta(days=3 * 366)

    assert anonymise_expired(scope=Scope.everything(), dry_run=False, now=later).anonymised == 1
    (attachments_dir / stored).unlink(missing_ok=True)  # what the deletion on commit does

    assert book_verify(scope=Scope.everything()).ok
    live = _hoja_with_documents(establishment, pdf_upload("factura.pdf"))
    (attachments_dir / live.attachments.get().stored_name).unlink()
    from reclamaciones.book.services import book_verify_daily

    book_verify_daily(scope=Scope.everything())  # the daily fixity window reads the live file, not the removed one
    assert [item["problems"] for item in _integrity_heartbeat()["broken"]] == [["attachment"]]


def _integrity_heartbeat() -> dict:
    from reclamaciones.deadlines.models import TrackerHeartbeat
    from reclamaciones.outbox.alarms import INTEGRITY

    return TrackerHeartbeat.objects.get(name=INTEGRITY).data
