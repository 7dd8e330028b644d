"""The staff hoja detail page and its actions: assign, note, reclassify, settlement offer, answer, close."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import ComplaintEvent, ResponseChannel, Status
from reclamaciones.handling.models import Response, ResponseTemplate, SettlementOffer
from reclamaciones.handling.policy import MSG_CAUSE_REQUIRED, MSG_OFFER_PENDING, MSG_ONLY_RECLAMOS
from reclamaciones.handling.services import MSG_LETTER_DATE, MSG_NOT_ASSIGNABLE, MSG_SAME_KIND, complaint_classify
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, cause_get, staff_user
from .staff_support import ANSWER, LIMA, PASSWORD

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_detail_shows_the_sheet_deadline_and_timeline(client, agent, hoja):
    client.force_login(agent)
    client.post(reverse("staff:note", args=[hoja.pk]), {"note-text": "El cliente pide que lo llamen de tarde."})

    response = client.get(reverse("staff:detail", args=[hoja.pk]))

    html = response.content.decode()
    assert f"Hoja Nº {hoja.display_number}" in html
    assert "1. IDENTIFICACIÓN DEL CONSUMIDOR RECLAMANTE" in html  # the sheet as filed
    assert hoja.detail[:40] in html
    assert "Quedan " in html
    assert "días hábiles" in html
    assert "Nota interna" in html
    assert "El cliente pide que lo llamen de tarde." in html
    assert "Correo: Copia de la hoja de reclamación" in html  # the outbox entry
    assert "Pendiente" in html
    assert "Hoja registrada" in html


def test_assign_to_me_moves_to_en_atencion(client, agent, hoja):
    client.force_login(agent)

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": agent.pk}, follow=True)

    hoja.refresh_from_db()
    assert (hoja.assignee, hoja.status) == (agent, Status.IN_PROGRESS)
    assert hoja.events.filter(type=ComplaintEvent.Type.ASSIGNED, actor=agent).exists()
    assert "Listo: la hoja quedó asignada a Ana." in _messages(response)
    assert "De «Registrada» a «En atención»." in response.content.decode()


def test_assign_to_a_colleague_and_back_to_the_queue(client, agent, hoja, establishment):
    colleague = staff_user(
        "beto", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD, first_name="Beto"
    )
    client.force_login(agent)

    client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": colleague.pk})
    hoja.refresh_from_db()
    assert hoja.assignee == colleague

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": ""}, follow=True)
    hoja.refresh_from_db()
    assert hoja.assignee is None
    assert "Listo: la hoja volvió a la bandeja del establecimiento." in _messages(response)


def test_assign_to_someone_out_of_scope_is_refused(client, agent, agent_b, hoja):
    client.force_login(agent)
    before = hoja.events.count()

    response = client.post(reverse("staff:assign", args=[hoja.pk]), {"assign-assignee": agent_b.pk}, follow=True)

    assert MSG_NOT_ASSIGNABLE in _messages(response)
    hoja.refresh_from_db()
    assert (hoja.assignee, hoja.status, hoja.events.count()) == (None, Status.RECEIVED, before)


def test_note_requires_text_shown_next_to_the_field(client, agent, hoja):
    client.force_login(agent)

    response = client.post(reverse("staff:note", args=[hoja.pk]), {"note-text": "  "})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="note-text-error"' in html
    assert "Escribe el texto." in html
    assert 'aria-invalid="true"' in html
    assert not hoja.events.filter(type=ComplaintEvent.Type.NOTE).exists()


def test_reclassify_with_reason(client, agent, hoja):
    client.force_login(agent)

    response = client.post(
        reverse("staff:reclassify", args=[hoja.pk]),
        {"reclassify-kind": "queja", "reclassify-reason": "Se refiere a la atención, no al producto."},
        follow=True,
    )

    hoja.refresh_from_db()
    assert (hoja.kind, hoja.kind_filed) == ("queja", "reclamo")
    event = hoja.events.get(type=ComplaintEvent.Type.RECLASSIFIED)
    assert event.data["reason"] == "Se refiere a la atención, no al producto."
    assert "La hoja ahora se atiende como queja." in _messages(response)
    assert "De reclamo a queja." in response.content.decode()


def test_reclassify_needs_a_reason_and_a_different_kind(client, agent, hoja):
    client.force_login(agent)

    missing = client.post(reverse("staff:reclassify", args=[hoja.pk]), {"reclassify-kind": "queja"})
    same = client.post(
        reverse("staff:reclassify", args=[hoja.pk]),
        {"reclassify-kind": "reclamo", "reclassify-reason": "x"},
        follow=True,
    )

    assert "Indica el motivo de la reclasificación." in missing.content.decode()
    assert MSG_SAME_KIND in _messages(same)
    hoja.refresh_from_db()
    assert hoja.kind == "reclamo"
    assert not hoja.events.filter(type=ComplaintEvent.Type.RECLASSIFIED).exists()


def test_settlement_offer_is_emailed(client, agent, hoja, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(agent)
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=Scope.of(agent))  # an offer needs it

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:offer", args=[hoja.pk]), {"offer-text": "Le cambiamos la laptop mañana."}, follow=True
        )

    hoja.refresh_from_db()
    assert hoja.status == Status.SETTLEMENT_OFFERED
    offer = SettlementOffer.objects.get(complaint=hoja)
    assert offer.text == "Le cambiamos la laptop mañana."
    assert [m.to for m in mailoutbox] == [[hoja.consumer_email]]
    assert "Le cambiamos la laptop mañana." in mailoutbox[0].body
    assert "Propuesta enviada al consumidor" in _messages(response)[0]
    html = response.content.decode()
    assert "Esperando respuesta" in html
    assert reverse("staff:offer", args=[hoja.pk]) not in html  # no second offer while one waits
    assert reverse("staff:answer", args=[hoja.pk]) not in html  # nor an answer


def test_no_settlement_offer_for_a_queja(client, agent, file_complaint):
    queja = file_complaint(kind="queja")
    client.force_login(agent)

    assert (
        reverse("staff:offer", args=[queja.pk])
        not in client.get(reverse("staff:detail", args=[queja.pk])).content.decode()
    )
    response = client.post(reverse("staff:offer", args=[queja.pk]), {"offer-text": "Algo."}, follow=True)

    assert MSG_ONLY_RECLAMOS in _messages(response)
    assert not SettlementOffer.objects.exists()


def test_answer_page_prefills_a_template(client, agent, hoja):
    template = ResponseTemplate.objects.create(name="Procedente", kind="reclamo", body="Le damos la razón.")
    ResponseTemplate.objects.create(name="Solo quejas", kind="queja", body="Gracias por contarnos.")
    client.force_login(agent)

    response = client.get(reverse("staff:answer", args=[hoja.pk]), {"plantilla": template.pk})

    assert response.status_code == 200
    assert response.context["form"]["text"].value() == "Le damos la razón."
    html = response.content.decode()
    assert "Solo quejas" not in html  # templates for the other kind are not offered
    assert 'id="template-bodies"' in html


def test_preview_shows_the_email_and_sends_nothing(client, agent, hoja, mailoutbox):
    client.force_login(agent)

    response = client.post(
        reverse("staff:answer", args=[hoja.pk]),
        {"text": "Revisamos su caso. Según [motivo], procede el cambio.", "channel": "email"},
    )

    assert response.status_code == 200
    preview = response.context["preview"]
    assert f"Hola, {hoja.consumer_name}:" in preview["body"]
    assert "Revisamos su caso." in preview["body"]
    assert "[motivo]" in preview["warning"]
    assert "Vista previa: así lo leerá el consumidor" in response.content.decode()
    assert response.context["form"]["text"].value().startswith("Revisamos su caso.")
    assert not Response.objects.exists()
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()
    assert mailoutbox == []


def test_answer_by_email_then_close(client, agent, hoja, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:answer-send", args=[hoja.pk]),
            {"text": "Le devolvemos el importe pagado.", "channel": "email"},
            follow=True,
        )

    hoja.refresh_from_db()
    assert hoja.status == Status.ANSWERED
    assert hoja.response.channel == ResponseChannel.EMAIL
    assert "Respuesta enviada por correo al consumidor, con la hoja en PDF." in _messages(response)
    [message] = [m for m in mailoutbox if m.to == [hoja.consumer_email]]
    assert "Le devolvemos el importe pagado." in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"hoja-de-reclamacion-{hoja.display_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert "4. Observaciones y acciones adoptadas por el proveedor" in response.content.decode()
    html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert "Correo: Respuesta al consumidor" in html
    assert '<span class="badge text-bg-success">Enviado</span>' in html  # the outbox entry's delivery status

    refused = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)
    assert MSG_CAUSE_REQUIRED in _messages(refused)
    cause = cause_get()
    classified = client.post(reverse("staff:classify", args=[hoja.pk]), {"classify-cause": cause.pk}, follow=True)
    assert f"Causa registrada: {cause.name}." in _messages(classified)
    closed = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)
    hoja.refresh_from_db()
    assert (hoja.status, hoja.cause) == (Status.CLOSED, cause)
    assert "Hoja cerrada." in _messages(closed)


def test_answer_by_letter_with_its_lima_date(client, agent, hoja):
    client.force_login(agent)
    delivered = timezone.localtime(timezone.now(), LIMA).replace(second=0, microsecond=0) - timedelta(hours=1)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]),
        {"text": "Le esperamos en tienda.", "channel": "letter", "communicated_at": f"{delivered:%Y-%m-%dT%H:%M}"},
        follow=True,
    )

    hoja.refresh_from_db()
    assert hoja.status == Status.ANSWERED
    assert (hoja.response.channel, hoja.response.communicated_at) == (ResponseChannel.LETTER, delivered)
    assert f"Respuesta registrada como carta entregada el {delivered:%d/%m/%Y %H:%M}." in _messages(response)
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()


def test_letter_needs_a_date_next_to_the_field(client, agent, hoja):
    client.force_login(agent)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]), {"text": "Texto largo que no se pierde.", "channel": "letter"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="communicated_at-error"' in html
    assert "Indica la fecha y hora en que se entregó la carta." in html
    assert "Texto largo que no se pierde." in html
    assert not Response.objects.exists()


def test_a_letter_dated_in_the_future_is_refused_and_the_text_kept(client, agent, hoja):
    client.force_login(agent)
    tomorrow = timezone.localtime(timezone.now(), LIMA) + timedelta(days=1)

    response = client.post(
        reverse("staff:answer-send", args=[hoja.pk]),
        {"text": "Mi respuesta cuidadosa.", "channel": "letter", "communicated_at": f"{tomorrow:%Y-%m-%dT%H:%M}"},
    )

    assert response.status_code == 200
    assert MSG_LETTER_DATE in _messages(response)
    assert "Mi respuesta cuidadosa." in response.content.decode()
    hoja.refresh_from_db()
    assert hoja.status == Status.RECEIVED
    assert not Response.objects.exists()


def test_illegal_moves_show_the_spanish_message_and_change_nothing(client, agent, hoja, mailoutbox):
    client.force_login(agent)
    before = hoja.events.count()

    closed = client.post(reverse("staff:close", args=[hoja.pk]), follow=True)

    assert "No se puede pasar de «Registrada» a «Cerrada»." in _messages(closed)
    hoja.refresh_from_db()
    assert (hoja.status, hoja.events.count()) == (Status.RECEIVED, before)

    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=Scope.of(agent))  # an offer needs it
    client.post(reverse("staff:offer", args=[hoja.pk]), {"offer-text": "Un cambio."})
    answer = client.post(reverse("staff:answer-send", args=[hoja.pk]), ANSWER)
    assert MSG_OFFER_PENDING in _messages(answer)
    hoja.refresh_from_db()
    assert hoja.status == Status.SETTLEMENT_OFFERED
    assert not Response.objects.exists()
    # The answer page itself says why instead of offering a form.
    page = client.get(reverse("staff:answer", args=[hoja.pk]), follow=True)
    assert MSG_OFFER_PENDING in _messages(page)


def test_a_second_answer_is_refused(client, agent, hoja):
    client.force_login(agent)
    client.post(reverse("staff:answer-send", args=[hoja.pk]), ANSWER)

    again = client.post(reverse("staff:answer-send", args=[hoja.pk]), {**ANSWER, "text": "Otra."})

    assert "No se puede pasar de «Respondida» a «Respondida»." in _messages(again)
    assert Response.objects.get(complaint=hoja).text == ANSWER["text"]


class _Fields(HTMLParser):
    """Form controls and the ids that a <label for> names."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append(attrs)


@pytest.mark.parametrize("page", ["queue", "detail", "answer", "login", "password_reset"])
def test_every_input_has_a_label(client, agent, hoja, establishment, page):
    ResponseTemplate.objects.create(name="Procedente", body="Le damos la razón.")
    if page not in {"login", "password_reset"}:
        client.force_login(agent)
    url = reverse(f"staff:{page}", args=[hoja.pk] if page in {"detail", "answer"} else [])

    parser = _Fields()
    parser.feed(client.get(url).content.decode())

    assert parser.controls
    unlabelled = [c for c in parser.controls if c.get("id") not in parser.labelled and not c.get("aria-label")]
    assert unlabelled == []


def test_classify_is_scoped_and_read_only_roles_cannot(client, agent, hoja, django_user_model):
    cause = cause_get()
    url = reverse("staff:classify", args=[hoja.pk])
    outsider = staff_user(
        "lejos", Role.AGENT, establishments=[EstablishmentFactory()], password=PASSWORD, first_name="Lejos"
    )
    council = staff_user(
        "consejo", Role.COUNCIL, establishments=[hoja.establishment], password=PASSWORD, first_name="Consejo"
    )

    client.force_login(outsider)
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 404
    client.force_login(council)
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 403
    client.force_login(agent)
    bad = client.post(url, {"classify-cause": cause.parent_id})  # a category, not a cause
    assert bad.status_code == 200
    assert "Elige una causa de la lista." in bad.content.decode()
    assert client.post(url, {"classify-cause": cause.pk}).status_code == 302
    hoja.refresh_from_db()
    assert hoja.cause == cause
    [event] = hoja.events.filter(type="classified")
    assert event.data["to"] == cause.code
    detail = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
    assert f"Causa: {cause.code} · {cause.name}." in detail
