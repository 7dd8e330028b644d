"""Follow-through after the answer (issue 13, ISO 10002 closure): staff record that the remedy promised in the
answer, or the settlement the consumer accepted, was carried out, with its date and evidence; append-only, a
correction is a new record. The consumer sees it on the tracking page, in section 4 of the sheet and by e-mail; the
survey opens on settled hojas too. Staff text is hostile throughout."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book import pdf
from reclamaciones.book.models import Complaint, ComplaintEvent, Status
from reclamaciones.council.rollup import rollup_rebuild
from reclamaciones.council.selectors import survey_by_cause
from reclamaciones.handling.followup import (
    MSG_REMEDY_ALREADY,
    MSG_REMEDY_EVIDENCE,
    MSG_REMEDY_FUTURE,
    MSG_REMEDY_NOT_YET,
    MSG_REMEDY_REASON,
    MSG_REMEDY_STALE,
    MSG_REMEDY_UNDONE,
    RemedyError,
    remedy_record,
    survey_refusal_get,
)
from reclamaciones.handling.followup_models import RemedyRecord
from reclamaciones.handling.models import SettlementOffer, SurveyAnswer
from reclamaciones.handling.policy import MSG_OUT_OF_SCOPE
from reclamaciones.handling.selectors import settlement_offer_latest
from reclamaciones.handling.services import WorkflowError, complaint_classify, complaint_close, survey_answer
from reclamaciones.handling.settlement import settlement_offer_accept, settlement_offer_send
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.render import message_build
from reclamaciones.records import ImmutableRecordError

from ..factories import cause_get, hoja_answered, staff_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
CONTROL_CHARS = "\x1b\x07\x0b\x7f"
WHAT = f"Te devolvimos S/ 120.00 a tu tarjeta {SCRIPT}.\x1b[31m\nLo verás en tu estado de cuenta."
REFERENCE = f"NC B001-000123 {SCRIPT}"
NOTES = f"Voucher de la extorno {SCRIPT}\x07 archivado en caja."


@pytest.fixture
def scope(agent):
    return Scope.of(agent)


@pytest.fixture
def answered(hoja, agent):
    return hoja_answered(hoja, by=agent)


@pytest.fixture
def settled(file_complaint, scope):
    hoja = file_complaint(kind="reclamo", filed_at=timezone.now() - timedelta(days=1))
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=scope)
    offer = settlement_offer_send(complaint_id=hoja.pk, text="Te cambiamos la licuadora.", scope=scope)
    settlement_offer_accept(offer_id=offer.pk)
    return Complaint.objects.get(pk=hoja.pk)


def _record(complaint, scope, **overrides) -> RemedyRecord:
    kwargs = {
        "complaint_id": complaint.pk,
        "outcome": RemedyRecord.Outcome.DONE,
        "done_on": timezone.localdate(),
        "what_done": WHAT,
        "evidence_reference": REFERENCE,
        "evidence_notes": NOTES,
        "scope": scope,
        **overrides,
    }
    return remedy_record(**kwargs)


def _fresh(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def _pdf_text(pdftotext: str, complaint: Complaint) -> str:
    data = pdf.complaint_sheet_pdf(_fresh(complaint))
    out = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


# -- service rules ----------------------------------------------------------------------------------------------


def test_an_answer_leaves_the_remedy_pending_until_it_is_recorded(answered, scope, agent):
    assert answered.remedy_pending is True

    record = _record(answered, scope)

    complaint = _fresh(answered)
    assert complaint.remedy_pending is False
    assert complaint.status == Status.ANSWERED  # the legal status does not move
    assert record.recorded_by == agent
    event = complaint.events.get(type=ComplaintEvent.Type.REMEDY_DONE)
    assert event.actor == agent
    assert event.data["record"] == record.pk
    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REMEDY_DONE)
    assert message.recipient == complaint.contact_email
    assert message.idempotency_key == f"remedy_done:{record.pk}"
    # control characters never stored: what the page, sheet and e-mail show is clean
    for char in CONTROL_CHARS:
        assert char not in record.what_done + record.evidence_reference + record.evidence_notes


def test_a_settled_hoja_is_pending_too_and_can_be_recorded(settled, scope):
    assert settled.status == Status.SETTLED
    assert settled.remedy_pending is True
    _record(settled, scope)
    assert _fresh(settled).remedy_pending is False


def test_an_open_hoja_has_nothing_to_follow_through(hoja, scope):
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_NOT_YET)):
        _record(hoja, scope)
    assert not RemedyRecord.objects.exists()


def test_closing_keeps_the_remedy_pending_and_a_closed_hoja_can_still_record_it(answered, scope):
    complaint_classify(complaint_id=answered.pk, cause=cause_get(), scope=scope)
    complaint_close(complaint_id=answered.pk, scope=scope)
    assert _fresh(answered).remedy_pending is True
    _record(answered, scope)
    assert _fresh(answered).remedy_pending is False


def test_the_date_is_neither_in_the_future_nor_before_filing(file_complaint, agent, scope):
    filed = timezone.now() - timedelta(days=10)
    complaint = hoja_answered(file_complaint(filed_at=filed), by=agent)
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_FUTURE)) as future:
        _record(complaint, scope, done_on=timezone.localdate() + timedelta(days=1))
    assert future.value.field == "done_on"
    with pytest.raises(RemedyError, match="anterior a la presentación"):
        _record(complaint, scope, done_on=timezone.localdate(filed) - timedelta(days=1))
    assert _record(complaint, scope, done_on=timezone.localdate(filed)).done_on == timezone.localdate(filed)


def test_only_staff_who_act_on_the_establishment_record_it(answered, agent_b, establishment):
    with pytest.raises(RemedyError, match=re.escape(MSG_OUT_OF_SCOPE)):
        _record(answered, Scope.of(agent_b))
    council = staff_user("consejo", Role.COUNCIL, establishments=[establishment])
    with pytest.raises(RemedyError, match=re.escape(MSG_OUT_OF_SCOPE)):
        _record(answered, Scope.of(council))
    assert not RemedyRecord.objects.exists()


def test_a_carried_out_remedy_needs_evidence_and_nothing_due_needs_none(answered, scope):
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_EVIDENCE)):
        _record(answered, scope, evidence_reference="", evidence_notes=" ")
    record = _record(
        answered,
        scope,
        outcome=RemedyRecord.Outcome.NOTHING_DUE,
        what_done="La respuesta explicó que el cobro era correcto.",
        evidence_reference="",
        evidence_notes="",
    )
    assert not record.is_done
    assert _fresh(answered).remedy_pending is False
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.REMEDY_DONE).exists()


def test_records_are_append_only_and_a_correction_names_the_latest_and_says_why(answered, scope):
    first = _record(answered, scope, evidence_reference="NC 001")
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_ALREADY)):
        _record(answered, scope)
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_REASON)):
        _record(answered, scope, corrects_id=first.pk)
    first.what_done = "otra cosa"
    with pytest.raises(ImmutableRecordError):
        first.save()
    with pytest.raises(ImmutableRecordError):
        RemedyRecord.objects.filter(pk=first.pk).update(what_done="otra cosa")
    with pytest.raises(ImmutableRecordError):
        first.delete()

    second = _record(answered, scope, evidence_reference="NC 002", corrects_id=first.pk, correction_reason="Número")
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_STALE)):
        _record(answered, scope, corrects_id=first.pk, correction_reason="Otra vez")

    assert second.corrects == first
    assert list(RemedyRecord.objects.filter(complaint=answered).values_list("evidence_reference", flat=True)) == [
        "NC 001",
        "NC 002",
    ]
    keys = set(
        OutboundMessage.objects.filter(kind=OutboundMessage.Kind.REMEDY_DONE).values_list("idempotency_key", flat=True)
    )
    assert keys == {f"remedy_done:{first.pk}", f"remedy_done:{second.pk}"}  # the consumer is told of the correction
    assert answered.events.filter(type=ComplaintEvent.Type.REMEDY_DONE).count() == 2


# -- the staff panel ---------------------------------------------------------------------------------------------


def _detail(client, complaint) -> str:
    return client.get(reverse("staff:detail", args=[complaint.pk])).content.decode()


def _post(client, complaint, **data):
    payload = {
        "remedy-outcome": "done",
        "remedy-done_on": timezone.localdate().isoformat(),
        "remedy-what_done": WHAT,
        "remedy-evidence_reference": REFERENCE,
        "remedy-evidence_notes": NOTES,
        **{f"remedy-{k}": v for k, v in data.items()},
    }
    return client.post(reverse("staff:remedy", args=[complaint.pk]), payload)


def test_the_detail_page_shows_the_pending_remedy_and_records_it(client, agent, answered):
    client.force_login(agent)
    html = _detail(client, answered)
    assert "Solución pendiente de cumplir" in html
    assert 'name="remedy-done_on"' in html
    assert f'max="{timezone.localdate().isoformat()}"' in html

    response = _post(client, answered)

    assert response.status_code == 302
    assert response["Location"].endswith(f"/hojas/{answered.pk}/#cumplimiento")
    html = _detail(client, answered)
    assert "Solución pendiente de cumplir" not in html
    assert f"Cumplida el {timezone.localdate():%d/%m/%Y}" in html
    assert "Cumplimiento registrado." in html
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Corregir el registro" in html  # the next record is a correction


def test_a_bad_date_comes_back_next_to_its_field_with_the_text_kept(client, agent, answered):
    client.force_login(agent)
    response = _post(client, answered, done_on=(timezone.localdate() + timedelta(days=2)).isoformat())
    html = response.content.decode()
    assert response.status_code == 400
    assert MSG_REMEDY_FUTURE in html
    assert 'id="remedy-done_on-error"' in html
    assert "Lo verás en tu estado de cuenta." in html  # what was typed is kept
    assert not RemedyRecord.objects.exists()


def test_a_correction_through_the_page_keeps_the_first_record_marked_corrected(client, agent, answered, scope):
    first = _record(answered, scope, evidence_reference="NC 001")
    client.force_login(agent)
    html = _detail(client, answered)
    assert f'name="remedy-corrects" value="{first.pk}"' in html
    assert 'value="NC 001"' in html  # the correction starts from the record it replaces

    missing_reason = _post(client, answered, corrects=str(first.pk), evidence_reference="NC 002")
    assert missing_reason.status_code == 400
    assert "Explica por qué corriges el registro anterior." in missing_reason.content.decode()

    done = _post(client, answered, corrects=str(first.pk), evidence_reference="NC 002", correction_reason="Era la 002")
    assert done.status_code == 302
    html = _detail(client, answered)
    assert "Corregido" in html
    assert "Corrige el registro del" in html
    assert "Era la 002" in html


def test_a_record_made_meanwhile_turns_what_was_typed_into_a_correction_to_confirm(client, agent, answered, scope):
    client.force_login(agent)
    _detail(client, answered)  # the form, for a first record
    colleague = _record(answered, scope, evidence_reference="NC 001")  # meanwhile, another tab

    response = _post(client, answered, corrects="", evidence_reference="NC 777")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Mientras escribías, otra persona registró el cumplimiento" in html
    assert f'name="remedy-corrects" value="{colleague.pk}"' in html
    assert 'value="NC 777"' in html  # what was typed is kept
    assert RemedyRecord.objects.count() == 1

    done = _post(client, answered, corrects=str(colleague.pk), evidence_reference="NC 777", correction_reason="Mía")
    assert done.status_code == 302
    assert RemedyRecord.objects.latest("recorded_at").corrects == colleague


def test_readers_see_the_record_without_the_form_and_open_hojas_are_sent_back(
    client, users, answered, file_complaint, agent
):
    _record(answered, Scope.of(agent))
    client.force_login(users["council"])
    html = _detail(client, answered)
    assert "Cumplimiento de la solución" in html
    assert 'name="remedy-done_on"' not in html
    assert _post(client, answered).status_code == 403

    open_hoja = file_complaint(filed_at=timezone.now() - timedelta(days=1))
    client.force_login(agent)
    assert "Cumplimiento de la solución" not in _detail(client, open_hoja)
    response = _post(client, open_hoja)
    assert response.status_code == 302
    assert MSG_REMEDY_NOT_YET in _detail(client, open_hoja)
    assert not RemedyRecord.objects.filter(complaint=open_hoja).exists()


def test_the_detail_page_reads_the_records_in_one_query(client, agent, answered, scope, django_assert_num_queries):
    client.force_login(agent)
    first = _record(answered, scope)
    url = reverse("staff:detail", args=[answered.pk])
    client.get(url)  # warm the per-process caches (calendar)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    second = _record(answered, scope, corrects_id=first.pk, correction_reason="Fecha")
    _record(answered, scope, corrects_id=second.pk, correction_reason="Referencia")
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    assert len(three) == len(one)


# -- the consumer: tracking page, sheet, e-mail --------------------------------------------------------------------


def _track(client, complaint) -> str:
    return client.get(reverse("reclamaciones:track", args=[complaint.tracking_token])).content.decode()


def test_the_tracking_page_says_the_remedy_is_pending_then_shows_what_was_done(client, answered, scope):
    html = _track(client, answered)
    assert "Estamos cumpliendo lo indicado en nuestra respuesta." in html

    _record(answered, scope)

    html = _track(client, answered)
    assert "Cumplimos la solución" in html
    assert f"El {timezone.localdate():%d/%m/%Y}" in html
    assert "Lo verás en tu estado de cuenta." in html
    assert "NC B001-000123 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html
    assert "Solución cumplida" in html  # the step in the progress list
    assert "Ana" not in html  # never staff names


def test_the_tracking_page_shows_only_the_current_record_and_nothing_when_nothing_was_due(client, answered, scope):
    first = _record(answered, scope, evidence_reference="NC 001")
    _record(answered, scope, evidence_reference="NC 002", corrects_id=first.pk, correction_reason="Número")
    html = _track(client, answered)
    assert "NC 002" in html
    assert "NC 001" not in html
    assert "registro actualizado el" in html


def test_section_4_of_the_sheet_prints_the_follow_through(answered, scope, pdftotext):
    before = _pdf_text(pdftotext, answered)
    assert "Cumplimiento de la solución" not in before

    record = _record(answered, scope)

    text = _pdf_text(pdftotext, answered)
    assert f"Cumplimiento de la solución: realizado el {record.done_on:%d/%m/%Y}." in text
    assert "Te devolvimos S/ 120.00 a tu tarjeta <script>alert(1)</script>." in text  # printed as text
    assert "Constancia: NC B001-000123 <script>alert(1)</script> · Voucher de la extorno" in text
    for char in CONTROL_CHARS:
        assert char not in text


def test_a_settled_sheet_prints_the_agreement_and_then_its_follow_through(settled, scope, pdftotext):
    _record(settled, scope, what_done="Te entregamos la licuadora nueva en tienda.")
    text = _pdf_text(pdftotext, settled)
    assert "Te cambiamos la licuadora." in text
    assert text.index("Te cambiamos la licuadora.") < text.index("Te entregamos la licuadora nueva en tienda.")


def test_the_consumer_gets_an_html_and_text_email_per_record(answered, scope):
    record = _record(answered, scope)
    email = message_build(OutboundMessage.objects.get(idempotency_key=f"remedy_done:{record.pk}"))
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert email.subject == (
        f"Cumplimos la solución de tu hoja Nº {answered.display_number} – {answered.provider_name}"
    )
    assert email.to == [answered.contact_email]
    [(filename, attached, kind)] = email.attachments  # the sheet, section 4 now with the follow-through
    assert (filename, kind) == (pdf.complaint_sheet_filename(answered), "application/pdf")
    assert attached.startswith(b"%PDF")
    body = email.body
    assert "Te contamos que cumplimos la solución que te indicamos en nuestra respuesta" in body
    assert f"Fecha en que se cumplió: {record.done_on:%d/%m/%Y}" in body
    assert "Constancia: NC B001-000123 <script>alert(1)</script>" in body  # plain text: as typed
    assert "#cumplimiento" in body
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Te contamos que cumplimos la solución" in html
    assert "usted" not in (body + html).lower()
    for char in CONTROL_CHARS:
        assert char not in body + html + email.subject


def test_a_correction_email_says_it_corrects(answered, scope):
    first = _record(answered, scope)
    second = _record(answered, scope, corrects_id=first.pk, correction_reason="Fecha")
    email = message_build(OutboundMessage.objects.get(idempotency_key=f"remedy_done:{second.pk}"))
    assert email.subject.startswith("Actualizamos el registro: cumplimos la solución")
    assert "Corregimos el registro que te enviamos antes" in email.body


def test_correcting_a_record_never_emailed_does_not_speak_of_a_correction(client, answered, scope):
    first = _record(answered, scope, outcome=RemedyRecord.Outcome.NOTHING_DUE, evidence_reference="", evidence_notes="")
    second = _record(answered, scope, corrects_id=first.pk, correction_reason="Sí había una devolución")

    email = message_build(OutboundMessage.objects.get(idempotency_key=f"remedy_done:{second.pk}"))
    assert email.subject.startswith("Cumplimos la solución")
    assert "Corregimos el registro" not in email.body
    assert "Te contamos que cumplimos la solución" in email.body
    html = _track(client, answered)
    assert "Cumplimos la solución" in html
    assert "registro actualizado el" not in html


def test_a_carried_out_remedy_is_not_corrected_into_nothing_due(client, agent, answered, scope):
    first = _record(answered, scope)
    with pytest.raises(RemedyError, match=re.escape(MSG_REMEDY_UNDONE)):
        _record(
            answered,
            scope,
            outcome=RemedyRecord.Outcome.NOTHING_DUE,
            corrects_id=first.pk,
            correction_reason="Era otra hoja",
        )
    client.force_login(agent)

    response = _post(client, answered, outcome="nothing_due", corrects=first.pk, correction_reason="Era otra hoja")

    assert response.status_code == 400
    assert MSG_REMEDY_UNDONE in response.content.decode()
    assert list(RemedyRecord.objects.filter(complaint=answered)) == [first]
    assert "Cumplimos la solución" in _track(client, answered)


def test_without_an_email_no_page_speaks_of_one(client, agent, file_complaint, scope):
    hoja = hoja_answered(file_complaint(consumer_email=""), channel="letter", by=agent)
    client.force_login(agent)
    assert "por correo" not in _detail(client, hoja)

    _record(hoja, scope)

    html = _track(client, hoja)
    assert "Cumplimos la solución" in html
    assert "correo que te enviamos" not in html
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.REMEDY_DONE).exists()


def test_a_settled_hoja_closed_afterwards_still_names_the_agreement(client, agent, settled, scope):
    complaint_close(complaint_id=settled.pk, scope=scope)
    client.force_login(agent)

    html = _detail(client, settled)

    assert "Lo prometido en el acuerdo aceptado aún no consta como cumplido." in html
    assert "y se lo contamos por correo" in html


def test_a_settled_hojas_email_names_the_agreement(settled, scope):
    record = _record(settled, scope)
    email = message_build(OutboundMessage.objects.get(idempotency_key=f"remedy_done:{record.pk}"))
    assert "cumplimos la solución del acuerdo que aceptaste" in email.body


# -- CSAT on settled hojas ---------------------------------------------------------------------------------------


def test_the_survey_opens_on_a_settled_hoja_and_counts_for_the_council(client, settled):
    html = _track(client, settled)
    assert 'action="{}#encuesta"'.format(reverse("reclamaciones:survey", args=[settled.tracking_token])) in html
    assert "Estamos cumpliendo lo indicado en el acuerdo que aceptaste." in html
    assert "¿Qué tan satisfecho estás con la solución que acordamos?" in html  # not "con nuestra respuesta"
    assert "con nuestra respuesta?" not in html
    refused = client.post(reverse("reclamaciones:survey", args=[settled.tracking_token]), {"solved": "si"})
    assert refused.status_code == 400
    assert "¿Qué tan satisfecho estás con la solución que acordamos?" in refused.content.decode()

    response = client.post(
        reverse("reclamaciones:survey", args=[settled.tracking_token]),
        {"solved": "si", "csat": "5", "nps": "9", "comment": f"Rápido {SCRIPT}"},
    )

    assert response.status_code == 302
    survey = SurveyAnswer.objects.get(complaint=settled)
    assert (survey.solved, survey.csat, survey.nps) == (True, 5, 9)
    assert "¡Gracias por tu opinión!" in _track(client, settled)
    rollup_rebuild(now=timezone.now())
    today = timezone.localdate()
    overall = survey_by_cause(scope=Scope.everything(), start=today, end=today)["overall"]
    assert (overall["answers"], overall["csat_avg"], overall["nps"]) == (1, 5, 100)


def test_the_page_the_view_and_the_service_share_one_survey_rule(client, settled, agent):
    """The survey follows the hoja's latest offer: an accepted one that a newer offer replaced opens nothing (a row
    written by hand here: the services send no offer on a settled hoja)."""
    accepted = settled.settlement_offers.get()
    SettlementOffer.objects.create(
        complaint=settled,
        text="Otra propuesta.",
        offered_by=agent,
        offered_on=accepted.offered_on,
        respond_by=accepted.respond_by,
        created_at=accepted.created_at + timedelta(minutes=1),
    )
    survey_url = reverse("reclamaciones:survey", args=[settled.tracking_token])

    assert survey_refusal_get(complaint=_fresh(settled), offer=settlement_offer_latest(complaint=settled))
    assert f'action="{survey_url}#encuesta"' not in _track(client, settled)
    assert client.post(survey_url, {"solved": "si", "csat": "5", "nps": "9"}).status_code == 409
    with pytest.raises(WorkflowError, match="La encuesta se abre"):
        survey_answer(complaint=settled, solved=True, csat=5, nps=9)
    assert not SurveyAnswer.objects.exists()


def test_the_acceptance_email_invites_to_the_survey(settled):
    email = message_build(OutboundMessage.objects.get(kind=OutboundMessage.Kind.SETTLEMENT_ACCEPTED))
    survey_url = pdf.tracking_url(settled) + "#encuesta"
    assert survey_url in email.body
    assert f'href="{survey_url}"' in email.alternatives[0][0]


def test_the_survey_stays_closed_while_an_offer_waits(client, file_complaint, scope):
    hoja = file_complaint(kind="reclamo", filed_at=timezone.now() - timedelta(days=1))
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=scope)
    settlement_offer_send(complaint_id=hoja.pk, text="Te cambiamos la licuadora.", scope=scope)
    response = client.post(
        reverse("reclamaciones:survey", args=[hoja.tracking_token]), {"solved": "true", "csat": "5", "nps": "9"}
    )
    assert response.status_code == 409
    with pytest.raises(Exception, match="La encuesta se abre"):
        survey_answer(complaint=hoja, solved=True, csat=5, nps=9)
    assert not SurveyAnswer.objects.exists()


# -- the queue -----------------------------------------------------------------------------------------------------


def test_the_queue_filters_the_hojas_whose_remedy_is_pending(client, agent, answered, file_complaint, scope):
    done = hoja_answered(file_complaint(consumer_name="Rosa Díaz"), by=agent)
    _record(done, scope)
    client.force_login(agent)
    html = client.get(reverse("staff:queue"), {"estado": "por-cumplir"}).content.decode()
    assert "Solución pendiente de cumplir" in html
    assert reverse("staff:detail", args=[answered.pk]) in html
    assert reverse("staff:detail", args=[done.pk]) not in html


def test_the_team_view_counts_the_remedies_to_record_per_establishment(client, users, answered, establishment):
    client.force_login(users["supervisor"])
    html = client.get(reverse("staff:team")).content.decode()
    assert "Solución por cumplir" in html
    link = f"?estado=por-cumplir&amp;establecimiento={establishment.pk}"
    assert f'{link}" class="fw-semibold">1</a>' in html
