"""The written record of a hoja (issue 13): a settled hoja's sheet and e-mail, the consumer told of a
reclassification, the cause asked before anything can close a hoja, a hoja nobody classified classifiable after
its answer, and the answer e-mail in HTML with its text alternative. Staff text is hostile throughout: markup
stays inert and control characters never reach the PDF or either e-mail part."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book import pdf
from reclamaciones.book.models import Complaint, ComplaintEvent, Kind, ResponseChannel, Status
from reclamaciones.handling.policy import (
    MSG_CAUSE_BEFORE_OFFER,
    MSG_CAUSE_REQUIRED,
    MSG_NOT_OPEN,
    Action,
    allowed_actions,
    refusal,
)
from reclamaciones.handling.services import (
    WorkflowError,
    complaint_classify,
    complaint_close,
    complaint_reclassify,
    response_send,
)
from reclamaciones.handling.settlement import (
    ACCEPTANCE_PHRASE,
    SettlementError,
    settlement_offer_accept,
    settlement_offer_send,
)
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.render import message_build

from ..factories import cause_get, staff_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
CONTROL = "\x1b[31m\x07\x0b\x7f"  # an ANSI escape, a bell, a vertical tab, DEL
CONTROL_CHARS = "\x1b\x07\x0b\x7f"
OFFER = f"Te cambiamos la licuadora {SCRIPT} por una nueva.{CONTROL}\nLa recoges el lunes."
REASON = f"Es sobre el producto {SCRIPT}, no sobre la atención.{CONTROL}"
ANSWER = f"Revisamos tu caso {SCRIPT}.{CONTROL}\nTe devolvemos el importe."


def _pdf_text(pdftotext: str, complaint: Complaint) -> str:
    data = pdf.complaint_sheet_pdf(Complaint.objects.get(pk=complaint.pk))
    out = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def _parts(message: OutboundMessage) -> tuple[str, str, list]:
    email = message_build(message)
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return email.body, html, email.attachments


def _inert(text: str, html: str) -> None:
    """Hostile staff text: escaped in the HTML part, never a live tag; no control character in either part."""
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    for char in CONTROL_CHARS:
        assert char not in text
        assert char not in html


@pytest.fixture
def scope(agent):
    return Scope.of(agent)


@pytest.fixture
def settled(file_complaint, scope):
    """Filed by the consumer as a queja, reclassified as a reclamo with a reason, classified, offered, accepted."""
    hoja = file_complaint(kind="queja", filed_at=timezone.now() - timedelta(days=1))
    complaint_reclassify(complaint_id=hoja.pk, kind=Kind.RECLAMO, reason=REASON, scope=scope)
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=scope)
    offer = settlement_offer_send(complaint_id=hoja.pk, text=OFFER, scope=scope)
    settlement_offer_accept(offer_id=offer.pk)
    return Complaint.objects.get(pk=hoja.pk)


def test_a_settled_sheet_prints_the_accepted_offer_and_the_current_kind_beside_the_consumers_mark(settled, pdftotext):
    offer = settled.settlement_offers.get()
    accepted = timezone.localtime(offer.resolved_at)
    reclassified = timezone.localtime(settled.events.get(type=ComplaintEvent.Type.RECLASSIFIED).occurred_at)

    text = _pdf_text(pdftotext, settled)

    assert "Te cambiamos la licuadora <script>alert(1)</script> por una nueva." in text  # printed as text
    assert "La recoges el lunes." in text
    assert f"Aceptada expresamente por el consumidor en el portal el {accepted:%d/%m/%Y} a las {accepted:%H:%M}" in text
    assert ACCEPTANCE_PHRASE in text
    # FECHA DE COMUNICACIÓN DE LA RESPUESTA: the acceptance's day, month and year in their boxes.
    assert f"FECHA DE COMUNICACIÓN DE LA RESPUESTA: DÍA MES AÑO {accepted:%d %m %Y}" in text
    # The box is the current classification; the consumer's own mark stays on the record, with when and why.
    assert "☒ RECLAMO¹" in text
    assert "☐ QUEJA²" in text
    assert (
        f"Marcado por el consumidor: QUEJA. Reclasificada por el proveedor como RECLAMO el {reclassified:%d/%m/%Y}: "
        "Es sobre el producto <script>alert(1)</script>, no sobre la atención." in text
    )
    for char in CONTROL_CHARS:
        assert char not in text


def test_the_sheet_on_the_page_keeps_the_consumers_mark_and_says_how_the_provider_classified_it(settled, client, agent):
    client.force_login(agent)
    html = client.get(reverse("staff:detail", args=[settled.pk])).content.decode()
    assert "El proveedor la clasificó después como RECLAMO" in html


def test_a_sheet_whose_kind_was_never_changed_prints_the_consumers_mark_without_a_note(file_complaint, pdftotext):
    text = _pdf_text(pdftotext, file_complaint(kind="queja"))

    assert "☐ RECLAMO¹" in text
    assert "☒ QUEJA²" in text
    assert "Marcado por el consumidor" not in text
    assert "Reclasificada" not in text


def test_the_consumer_gets_the_acceptance_in_writing_with_the_sheet(settled):
    offer = settled.settlement_offers.get()
    [message] = settled.messages.filter(kind=OutboundMessage.Kind.SETTLEMENT_ACCEPTED)
    assert message.recipient == settled.consumer_email

    text, html, attachments = _parts(message)

    accepted = timezone.localtime(offer.resolved_at)
    for part in (text, html):
        assert f"{accepted:%d/%m/%Y}" in part
        assert f"{accepted:%H:%M}" in part
        assert "aceptaste expresamente" in part
        assert ACCEPTANCE_PHRASE in part
        assert "La recoges el lunes." in part
        assert settled.display_number in part
    assert "Te cambiamos la licuadora <script>alert(1)</script> por una nueva." in text  # plain text: as typed
    _inert(text, html)
    [(filename, content, mimetype)] = attachments
    assert (filename, mimetype) == (pdf.complaint_sheet_filename(settled), "application/pdf")
    assert content.startswith(b"%PDF")


def test_accepting_twice_sends_one_acceptance(settled):
    offer = settled.settlement_offers.get()
    with pytest.raises(SettlementError):
        settlement_offer_accept(offer_id=offer.pk)
    assert settled.messages.filter(kind=OutboundMessage.Kind.SETTLEMENT_ACCEPTED).count() == 1


def test_the_consumer_is_told_of_a_reclassification_and_why(settled):
    [message] = settled.messages.filter(kind=OutboundMessage.Kind.RECLASSIFIED)
    assert message.recipient == settled.consumer_email

    text, html, _ = _parts(message)
    subject = message_build(message).subject

    assert subject.startswith(f"Tu hoja Nº {settled.display_number} se atiende como reclamo")
    for part in (text, html):
        assert "que figuraba como queja" in part
        assert "la atendemos como" in part
        assert "Lo que marcaste en tu hoja no se modifica" in part
        assert "Disconformidad relacionada a los productos o servicios." in part  # the legal definition, verbatim
    assert "Es sobre el producto <script>alert(1)</script>, no sobre la atención." in text
    _inert(text, html)


def test_reclassifying_back_and_forth_tells_the_consumer_each_time(file_complaint, scope):
    hoja = file_complaint()
    complaint_reclassify(complaint_id=hoja.pk, kind=Kind.QUEJA, reason="Es sobre la atención.", scope=scope)
    complaint_reclassify(complaint_id=hoja.pk, kind=Kind.RECLAMO, reason="Revisado: es el producto.", scope=scope)

    sent = hoja.messages.filter(kind=OutboundMessage.Kind.RECLASSIFIED).order_by("pk")
    assert [message_build(m).subject.split(" – ")[0] for m in sent] == [
        f"Tu hoja Nº {hoja.display_number} se atiende como queja",
        f"Tu hoja Nº {hoja.display_number} se atiende como reclamo",
    ]


def test_no_reclassification_e_mail_without_an_address(file_complaint, scope):
    hoja = file_complaint(consumer_email="")
    complaint_reclassify(complaint_id=hoja.pk, kind=Kind.QUEJA, reason="Es sobre la atención.", scope=scope)
    assert not hoja.messages.filter(kind=OutboundMessage.Kind.RECLASSIFIED).exists()


# --- nothing closes a hoja without its cause -------------------------------------------------------------------


def test_an_offer_waits_for_the_cause_because_its_acceptance_closes_the_hoja(file_complaint, scope):
    hoja = file_complaint()
    assert refusal(hoja, Action.OFFER, scope=scope, today=timezone.localdate()) == MSG_CAUSE_BEFORE_OFFER
    with pytest.raises(SettlementError, match="Clasifica la causa de la hoja antes de ofrecer"):
        settlement_offer_send(complaint_id=hoja.pk, text="Un cambio.", scope=scope)
    assert not hoja.settlement_offers.exists()

    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=scope)
    settlement_offer_send(complaint_id=hoja.pk, text="Un cambio.", scope=scope)
    assert Complaint.objects.get(pk=hoja.pk).status == Status.SETTLEMENT_OFFERED


def test_a_settled_hoja_without_a_cause_is_closed_only_once_classified(settled, scope, client, agent):
    # A hoja settled before offers needed the cause (its cause is staff-side state, not filed content).
    Complaint.objects.filter(pk=settled.pk).update(cause=None)
    settled.refresh_from_db()
    assert refusal(settled, Action.CLOSE, scope=scope, today=timezone.localdate()) == MSG_CAUSE_REQUIRED
    client.force_login(agent)
    page = client.get(reverse("staff:detail", args=[settled.pk])).content.decode()
    assert "Para cerrarla, primero clasifica su causa" in page
    with pytest.raises(WorkflowError, match="Clasifica la causa de la hoja antes de cerrarla"):
        complaint_close(complaint_id=settled.pk, scope=scope)

    complaint_classify(complaint_id=settled.pk, cause=cause_get(), scope=scope)
    complaint_close(complaint_id=settled.pk, scope=scope)
    assert Complaint.objects.get(pk=settled.pk).status == Status.CLOSED


# --- a hoja nobody classified stays classifiable ----------------------------------------------------------------


def test_a_hoja_without_reclamo_or_queja_answered_by_letter_can_still_be_classified(
    file_complaint, scope, client, agent
):
    hoja = file_complaint(kind="")
    response_send(
        complaint_id=hoja.pk, text="Respuesta.", channel=ResponseChannel.LETTER, scope=scope,
        communicated_at=timezone.now(),
    )  # fmt: skip
    hoja.refresh_from_db()
    assert Action.RECLASSIFY in allowed_actions(hoja, scope=scope, today=timezone.localdate())
    client.force_login(agent)
    page = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert "Clasificar como reclamo o queja" in page  # not "Reclasificar": it never had a kind

    response = client.post(
        reverse("staff:reclassify", args=[hoja.pk]),
        {"reclassify-kind": "queja", "reclassify-reason": "Es sobre la atención en caja."},
        follow=True,
    )

    assert "La hoja ahora se atiende como queja." in response.content.decode()
    assert "Clasificar como reclamo o queja" not in response.content.decode()  # answered: its kind now stays
    hoja.refresh_from_db()
    assert (hoja.kind, hoja.kind_filed, hoja.status) == ("queja", "", Status.ANSWERED)
    event = hoja.events.get(type=ComplaintEvent.Type.RECLASSIFIED)
    assert event.data == {"from": "", "to": "queja", "reason": "Es sobre la atención en caja."}
    assert event.actor == agent
    # Nothing the consumer knew changed: no notice. Its sheet says who classified it, when and why.
    assert not hoja.messages.filter(kind=OutboundMessage.Kind.RECLASSIFIED).exists()
    note = pdf.sheet_record(hoja).kind_note
    assert note.startswith("El consumidor no marcó reclamo ni queja. Clasificada por el proveedor como QUEJA el ")
    # Once it has a kind, changing it keeps the old rule: only while the hoja is open.
    assert refusal(hoja, Action.RECLASSIFY, scope=scope, today=timezone.localdate()) == MSG_NOT_OPEN
    with pytest.raises(WorkflowError, match=re.escape(MSG_NOT_OPEN)):
        complaint_reclassify(complaint_id=hoja.pk, kind=Kind.RECLAMO, reason="Otra vez.", scope=scope)


def test_an_answered_hoja_with_a_kind_is_not_reclassified(file_complaint, scope):
    hoja = file_complaint()
    response_send(complaint_id=hoja.pk, text="Respuesta.", channel=ResponseChannel.EMAIL, scope=scope)
    hoja.refresh_from_db()
    assert Action.RECLASSIFY not in allowed_actions(hoja, scope=scope, today=timezone.localdate())


def test_a_reader_cannot_classify_an_unmarked_hoja(file_complaint, establishment):
    hoja = file_complaint(kind="")
    auditor = staff_user("audi", Role.AUDITOR, establishments=[establishment])
    assert Action.RECLASSIFY not in allowed_actions(hoja, scope=Scope.of(auditor), today=timezone.localdate())


# --- the answer e-mail -------------------------------------------------------------------------------------------


def test_the_answer_e_mail_is_html_in_the_sheet_copys_frame_with_a_text_alternative(file_complaint, scope):
    hoja = file_complaint()
    response_send(complaint_id=hoja.pk, text=ANSWER, channel=ResponseChannel.EMAIL, scope=scope)
    [message] = hoja.messages.filter(kind=OutboundMessage.Kind.RESPONSE)

    text, html, attachments = _parts(message)

    assert "Revisamos tu caso <script>alert(1)</script>." in text
    assert "Revisamos tu caso &lt;script&gt;alert(1)&lt;/script&gt;." in html
    assert "<br>Te devolvemos el importe." in html  # line breaks kept
    assert "Te devolvemos el importe." in html
    assert "Libro de Reclamaciones · " in html  # the frame the sheet copy uses
    for part in (text, html):
        assert f"Hola, {hoja.consumer_name}:" in part
        assert "#encuesta" in part
        assert "usted" not in part.lower()  # one voice, "tú", as in every e-mail the consumer gets
    _inert(text, html)
    assert [a[0] for a in attachments] == [pdf.complaint_sheet_filename(hoja)]
