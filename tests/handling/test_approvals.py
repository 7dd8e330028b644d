"""The approval step (handling.approvals), configurable per establishment: an agent's settlement offer or change
of kind waits for a supervisor, who approves it (sent or applied by the usual service, with its rules) or returns
it with a reason; one pending request per hoja and kind; the legal deadline keeps running."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import ComplaintEvent, Kind, Status
from reclamaciones.handling.approval_models import ApprovalRequest
from reclamaciones.handling.approvals import (
    MSG_ALREADY_PENDING,
    MSG_APPROVERS_ONLY,
    MSG_LAPSED_CLOSED,
    MSG_LAPSED_DIRECT,
    MSG_NOT_PENDING,
    MSG_RETURN_REASON,
    approval_grant,
    approval_requests_pending,
    approval_return,
    complaint_reclassify_propose,
    settlement_offer_propose,
)
from reclamaciones.handling.models import SettlementOffer
from reclamaciones.handling.policy import MSG_CAUSE_BEFORE_OFFER, MSG_OUT_OF_SCOPE
from reclamaciones.handling.services import WorkflowError, complaint_classify, complaint_reclassify, response_send
from reclamaciones.handling.settlement import SettlementError, settlement_offer_send
from reclamaciones.handling.trail import _event_lines
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.outbox.render import message_build

from ..factories import cause_get, staff_user
from .staff_support import PASSWORD

pytestmark = pytest.mark.django_db

OFFER = "Te cambiamos la laptop por una nueva <b>Toshiba</b>; la recoges en tienda desde el lunes."


@pytest.fixture
def strict(establishment):
    """The establishment asks a supervisor to approve agents' offers and reclassifications."""
    establishment.offers_need_approval = True
    establishment.reclassifications_need_approval = True
    establishment.save(update_fields=["offers_need_approval", "reclassifications_need_approval"])
    return establishment


@pytest.fixture
def supervisor(establishment):
    return staff_user("sofia", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD, first_name="Sofía")


@pytest.fixture
def supervisor_b(other_establishment):
    return staff_user(
        "samuel", Role.SUPERVISOR, establishments=[other_establishment], password=PASSWORD, first_name="Samuel"
    )


@pytest.fixture
def classified(hoja, agent):
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=Scope.of(agent))
    return hoja


def _requested(hoja, agent, text=OFFER) -> ApprovalRequest:
    request = settlement_offer_propose(complaint_id=hoja.pk, text=text, scope=Scope.of(agent))
    assert isinstance(request, ApprovalRequest)
    return request


def _events(hoja) -> list[str]:
    return list(ComplaintEvent.objects.filter(complaint=hoja).order_by("pk").values_list("type", flat=True))


# Services --------------------------------------------------------------------------------------------------


def test_an_agents_offer_waits_for_a_supervisor_and_they_are_emailed_once(
    strict, classified, agent, supervisor, supervisor_b
):
    colleague = staff_user("sara", Role.SUPERVISOR, establishments=[strict], first_name="Sara")
    due = classified.due_date

    request = _requested(classified, agent)

    classified.refresh_from_db()
    assert classified.status == Status.RECEIVED  # nothing sent: the count is not paused either
    assert classified.due_date == due
    assert not SettlementOffer.objects.filter(complaint=classified).exists()
    assert request.status == ApprovalRequest.Status.PENDING
    assert request.requested_by == agent
    assert _events(classified)[-1 - 2 :][0] == ComplaintEvent.Type.APPROVAL_REQUESTED
    mails = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.APPROVAL_REQUEST)
    assert sorted(mails.values_list("recipient", flat=True)) == sorted([supervisor.email, colleague.email])
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SETTLEMENT_OFFER).exists()


def test_the_approval_email_names_the_hoja_the_deadline_and_escapes_the_proposal(strict, classified, agent, supervisor):
    _requested(classified, agent)
    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.APPROVAL_REQUEST)

    email = message_build(message)

    assert classified.display_number in email.subject
    assert "propuesta de solución" in email.subject
    assert "El plazo legal sigue corriendo" in email.body
    assert f"{classified.due_date:%d/%m/%Y}" in email.body
    assert f"/gestion/hojas/{classified.pk}/#aprobaciones" in email.body
    html = email.alternatives[0][0]
    assert "&lt;b&gt;Toshiba&lt;/b&gt;" in html
    assert "<b>Toshiba</b>" not in html


def test_without_the_setting_or_from_a_supervisor_the_offer_goes_out_at_once(establishment, hoja, agent, supervisor):
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=Scope.of(agent))
    offer = settlement_offer_propose(complaint_id=hoja.pk, text=OFFER, scope=Scope.of(agent))
    assert isinstance(offer, SettlementOffer)

    establishment.offers_need_approval = True
    establishment.save(update_fields=["offers_need_approval"])
    other = type(hoja).objects.get(pk=hoja.pk)
    assert other.status == Status.SETTLEMENT_OFFERED
    assert not ApprovalRequest.objects.exists()


def test_a_supervisors_own_offer_skips_the_step(strict, classified, supervisor):
    offer = settlement_offer_propose(complaint_id=classified.pk, text=OFFER, scope=Scope.of(supervisor))

    assert isinstance(offer, SettlementOffer)
    assert not ApprovalRequest.objects.exists()


def test_the_offer_service_itself_refuses_an_agent_where_approval_is_required(strict, classified, agent):
    with pytest.raises(SettlementError, match="supervisión aprueba"):
        settlement_offer_send(complaint_id=classified.pk, text=OFFER, scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match="supervisión aprueba"):
        complaint_reclassify(complaint_id=classified.pk, kind=Kind.QUEJA, reason="Es trato.", scope=Scope.of(agent))


def test_the_offer_rules_apply_when_it_is_requested_cause_first(strict, hoja, agent):
    with pytest.raises(WorkflowError, match=MSG_CAUSE_BEFORE_OFFER[:40]):
        settlement_offer_propose(complaint_id=hoja.pk, text=OFFER, scope=Scope.of(agent))

    assert not ApprovalRequest.objects.exists()


def test_one_pending_request_per_hoja_and_kind(strict, classified, agent, supervisor):
    _requested(classified, agent)

    mails = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.APPROVAL_REQUEST)
    assert mails.count() == 1  # the one supervisor of the establishment

    with pytest.raises(WorkflowError, match=MSG_ALREADY_PENDING[ApprovalRequest.Kind.OFFER]):
        _requested(classified, agent, text="Otra propuesta.")
    assert mails.count() == 1  # a repeated request e-mails nobody again
    reclassify = complaint_reclassify_propose(
        complaint_id=classified.pk, kind=Kind.QUEJA, reason="Es sobre la atención.", scope=Scope.of(agent)
    )

    assert isinstance(reclassify, ApprovalRequest)
    assert ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).count() == 2


def test_approving_sends_the_offer_and_records_who_proposed_and_who_approved(strict, classified, agent, supervisor):
    request = _requested(classified, agent)

    approval_grant(request_id=request.pk, complaint_id=classified.pk, scope=Scope.of(supervisor))

    classified.refresh_from_db()
    request.refresh_from_db()
    assert classified.status == Status.SETTLEMENT_OFFERED
    assert SettlementOffer.objects.get(complaint=classified).text == OFFER
    assert request.status == ApprovalRequest.Status.APPROVED
    assert request.decided_by == supervisor
    granted = ComplaintEvent.objects.get(complaint=classified, type=ComplaintEvent.Type.APPROVAL_GRANTED)
    assert granted.actor == supervisor
    assert granted.data["requested_by"] == agent.pk
    assert _events(classified).index(ComplaintEvent.Type.APPROVAL_GRANTED) < _events(classified).index(
        ComplaintEvent.Type.SETTLEMENT_OFFERED
    )
    assert OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.SETTLEMENT_OFFER, recipient=classified.contact_email
    ).exists()
    with pytest.raises(WorkflowError, match=MSG_NOT_PENDING):  # a second click
        approval_grant(request_id=request.pk, complaint_id=classified.pk, scope=Scope.of(supervisor))


def test_approving_a_reclassification_applies_it_and_tells_the_consumer(strict, hoja, agent, supervisor):
    request = complaint_reclassify_propose(
        complaint_id=hoja.pk, kind=Kind.QUEJA, reason="Es sobre la atención.", scope=Scope.of(agent)
    )
    assert type(hoja).objects.get(pk=hoja.pk).kind == Kind.RECLAMO

    approval_grant(request_id=request.pk, complaint_id=hoja.pk, scope=Scope.of(supervisor))

    hoja.refresh_from_db()
    assert hoja.kind == Kind.QUEJA
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RECLASSIFIED).count() == 1


def test_only_a_supervisor_in_scope_decides(strict, classified, agent, supervisor_b):
    request = _requested(classified, agent)

    with pytest.raises(WorkflowError, match=MSG_APPROVERS_ONLY):
        approval_grant(request_id=request.pk, complaint_id=classified.pk, scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match=MSG_OUT_OF_SCOPE):
        approval_grant(request_id=request.pk, complaint_id=classified.pk, scope=Scope.of(supervisor_b))
    with pytest.raises(WorkflowError, match=MSG_OUT_OF_SCOPE):
        approval_return(request_id=request.pk, complaint_id=classified.pk, reason="No.", scope=Scope.of(supervisor_b))

    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING


def test_returning_needs_a_reason_sends_nothing_and_lets_the_agent_try_again(strict, classified, agent, supervisor):
    request = _requested(classified, agent)
    with pytest.raises(WorkflowError, match=MSG_RETURN_REASON):
        approval_return(request_id=request.pk, complaint_id=classified.pk, reason="  ", scope=Scope.of(supervisor))

    approval_return(
        request_id=request.pk,
        complaint_id=classified.pk,
        reason="Ofrece también el reembolso del envío.",
        scope=Scope.of(supervisor),
    )

    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.RETURNED
    refused = ComplaintEvent.objects.get(complaint=classified, type=ComplaintEvent.Type.APPROVAL_REFUSED)
    assert refused.data["reason"] == "Ofrece también el reembolso del envío."
    assert refused.actor == supervisor
    assert not SettlementOffer.objects.exists()
    assert _requested(classified, agent, text="Nueva propuesta con reembolso del envío.").pk != request.pk


def test_answering_the_hoja_ends_its_pending_requests(strict, classified, agent, supervisor):
    offer = _requested(classified, agent)
    change = complaint_reclassify_propose(
        complaint_id=classified.pk, kind=Kind.QUEJA, reason="Es un malestar por la atención.", scope=Scope.of(agent)
    )
    response_send(complaint_id=classified.pk, text="Respuesta final.", channel="email", scope=Scope.of(agent))

    for request in (offer, change):
        request.refresh_from_db()
        assert request.status == ApprovalRequest.Status.RETURNED
        assert request.decided_by is None
        assert request.return_reason == MSG_LAPSED_CLOSED.format(status="respondida")
    lapsed = ComplaintEvent.objects.filter(complaint=classified, type=ComplaintEvent.Type.APPROVAL_REFUSED)
    assert [(e.actor, e.data["reason"]) for e in lapsed] == [
        (None, "La hoja ya fue respondida: la solicitud quedó sin efecto.")
    ] * 2
    history = [line for e in lapsed for line in _event_lines(e)]
    assert history == [
        "Propuesta de solución de Ana, sin efecto: La hoja ya fue respondida: la solicitud quedó sin efecto.",
        "Reclasificación de Ana, sin efecto: La hoja ya fue respondida: la solicitud quedó sin efecto.",
    ]
    with pytest.raises(WorkflowError, match="ya no está pendiente"):
        approval_grant(request_id=offer.pk, complaint_id=classified.pk, scope=Scope.of(supervisor))
    assert not SettlementOffer.objects.exists()
    assert ComplaintEvent.Type.APPROVAL_GRANTED not in _events(classified)


def test_a_supervisors_direct_offer_or_reclassification_ends_the_request_of_that_kind(
    strict, classified, agent, supervisor
):
    offer = _requested(classified, agent)
    change = complaint_reclassify_propose(
        complaint_id=classified.pk, kind=Kind.QUEJA, reason="Es un malestar por la atención.", scope=Scope.of(agent)
    )

    sent = settlement_offer_propose(complaint_id=classified.pk, text="Mi propia propuesta.", scope=Scope.of(supervisor))

    assert isinstance(sent, SettlementOffer)
    offer.refresh_from_db()
    change.refresh_from_db()
    assert offer.status == ApprovalRequest.Status.RETURNED
    assert offer.decided_by is None
    assert offer.return_reason == MSG_LAPSED_DIRECT[ApprovalRequest.Kind.OFFER]
    assert change.status == ApprovalRequest.Status.PENDING  # another kind: still the supervisor's to decide

    complaint_reclassify_propose(
        complaint_id=classified.pk, kind=Kind.QUEJA, reason="Lo reviso yo.", scope=Scope.of(supervisor)
    )

    change.refresh_from_db()
    assert change.status == ApprovalRequest.Status.RETURNED
    assert change.return_reason == MSG_LAPSED_DIRECT[ApprovalRequest.Kind.RECLASSIFY]
    assert ComplaintEvent.objects.filter(complaint=classified, type=ComplaintEvent.Type.APPROVAL_REFUSED).count() == 2


def test_a_request_left_pending_on_a_closed_hoja_is_not_listed_nor_decidable(
    client, strict, classified, agent, supervisor
):
    """The belt: a pending row on a hoja no longer open (written before requests ended with the hoja)."""
    _requested(classified, agent)
    type(classified).objects.filter(pk=classified.pk).update(status=Status.ANSWERED)
    client.force_login(supervisor)

    team = client.get(reverse("staff:team")).content.decode()
    detail = client.get(reverse("staff:detail", args=[classified.pk])).content.decode()

    assert f"Nº {classified.display_number} · Propuesta de solución" not in team
    assert "Aprobar y enviar al consumidor" not in detail
    assert approval_requests_pending(scope=Scope.of(supervisor)) == []


def test_proposals_and_reasons_are_stored_without_control_characters(strict, classified, agent, supervisor):
    request = _requested(classified, agent, text="Te devolvemos\x07 el monto\x1b[31m.")
    change = complaint_reclassify_propose(
        complaint_id=classified.pk, kind=Kind.QUEJA, reason="Malestar\x00 por la atención", scope=Scope.of(agent)
    )
    approval_return(
        request_id=request.pk, complaint_id=classified.pk, reason="Falta\x08 el envío", scope=Scope.of(supervisor)
    )

    request.refresh_from_db()
    assert request.proposal["text"] == "Te devolvemos  el monto [31m."
    assert request.return_reason == "Falta  el envío"
    assert change.proposal["reason"] == "Malestar  por la atención"


def test_a_first_classification_of_an_unmarked_hoja_needs_no_approval(strict, file_complaint, agent):
    unmarked = file_complaint(kind="")

    done = complaint_reclassify_propose(
        complaint_id=unmarked.pk, kind=Kind.RECLAMO, reason="Pide un cambio del producto.", scope=Scope.of(agent)
    )

    assert not isinstance(done, ApprovalRequest)
    assert done.kind == Kind.RECLAMO


# Views -----------------------------------------------------------------------------------------------------


def test_the_agent_is_told_it_waits_and_sees_it_pending_on_the_hoja(client, strict, classified, agent):
    client.force_login(agent)

    response = client.post(reverse("staff:offer", args=[classified.pk]), {"offer-text": OFFER}, follow=True)

    html = response.content.decode()
    assert "quedó por aprobar" in html
    assert "El plazo legal sigue corriendo" in html
    assert "Por aprobar" in html
    assert "Esperando la decisión de supervisión" in html
    assert reverse("staff:approval-grant", args=[classified.pk]) not in html
    assert reverse("staff:offer", args=[classified.pk]) not in html  # no second offer while one waits
    assert reverse("staff:reclassify", args=[classified.pk]) in html
    assert "&lt;b&gt;Toshiba&lt;/b&gt;" in html
    assert "supervisión aprueba tus propuestas de solución y reclasificaciones" in html


def test_the_supervisor_approves_from_the_hoja(client, strict, classified, agent, supervisor):
    request = _requested(classified, agent)
    client.force_login(supervisor)
    html = client.get(reverse("staff:detail", args=[classified.pk])).content.decode()
    assert "Aprobar y enviar al consumidor" in html
    assert "Devolver con un motivo" in html

    response = client.post(reverse("staff:approval-grant", args=[classified.pk]), {"solicitud": request.pk})

    assert response.status_code == 302
    assert SettlementOffer.objects.filter(complaint=classified).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Propuesta aprobada y enviada" in page


def test_returning_without_a_reason_shows_the_error_next_to_the_field(client, strict, classified, agent, supervisor):
    request = _requested(classified, agent)
    client.force_login(supervisor)

    response = client.post(
        reverse("staff:approval-refuse", args=[classified.pk]), {"solicitud": request.pk, "motivo": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert MSG_RETURN_REASON in html
    assert 'aria-invalid="true"' in html
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING


def test_the_agent_reads_the_reason_on_the_hoja(client, strict, classified, agent, supervisor):
    request = _requested(classified, agent)
    client.force_login(supervisor)
    client.post(
        reverse("staff:approval-refuse", args=[classified.pk]),
        {"solicitud": request.pk, "motivo": "Ofrece <también> el envío."},
    )
    client.force_login(agent)

    html = client.get(reverse("staff:detail", args=[classified.pk])).content.decode()

    assert "Propuesta de solución devuelta" in html
    assert "Ofrece &lt;también&gt; el envío." in html


@pytest.mark.parametrize("role", ["agent", "council", "auditor", "compliance"])
def test_other_roles_cannot_decide(client, users, strict, classified, agent, role):
    request = _requested(classified, agent)
    client.force_login(users[role])

    response = client.post(reverse("staff:approval-grant", args=[classified.pk]), {"solicitud": request.pk})

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING


def test_a_supervisor_of_another_establishment_gets_a_404(client, strict, classified, agent, supervisor_b):
    request = _requested(classified, agent)
    client.force_login(supervisor_b)

    response = client.post(reverse("staff:approval-grant", args=[classified.pk]), {"solicitud": request.pk})

    assert response.status_code == 404


def test_a_request_of_another_hoja_is_not_decided_through_this_one(
    client, strict, classified, file_complaint, agent, supervisor
):
    other = file_complaint(consumer_name="Otra Persona")
    request = _requested(classified, agent)
    client.force_login(supervisor)

    through_other = client.post(reverse("staff:approval-grant", args=[other.pk]), {"solicitud": request.pk})
    garbage = client.post(reverse("staff:approval-grant", args=[classified.pk]), {"solicitud": "abc"})

    assert through_other.status_code == garbage.status_code == 302
    assert "ya no está pendiente" in client.get(through_other["Location"]).content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING
    assert not SettlementOffer.objects.exists()


def test_the_team_view_and_the_queue_list_what_waits(client, strict, classified, agent, supervisor):
    _requested(classified, agent)
    client.force_login(supervisor)

    team = client.get(reverse("staff:team")).content.decode()
    queue = client.get(reverse("staff:queue"))
    filtered = client.get(reverse("staff:queue"), {"por_aprobar": "on"})

    assert f"Nº {classified.display_number} · Propuesta de solución" in team
    assert "propuesta por Ana" in team
    assert queue.context["pending_approval"] == 1
    assert [row.complaint for row in filtered.context["rows"]] == [classified]

    response_send(complaint_id=classified.pk, text="Respuesta final.", channel="email", scope=Scope.of(agent))

    assert client.get(reverse("staff:queue")).context["pending_approval"] == 0
    team = client.get(reverse("staff:team")).content.decode()
    assert f"Nº {classified.display_number} · Propuesta de solución" not in team
    assert "Nada por aprobar" in team
    detail = client.get(reverse("staff:detail", args=[classified.pk])).content.decode()
    assert "Aprobar y enviar al consumidor" not in detail
    assert "sin efecto" in detail


def test_an_agents_queue_has_no_approval_counter(client, strict, classified, agent):
    _requested(classified, agent)
    client.force_login(agent)

    assert client.get(reverse("staff:queue")).context["pending_approval"] is None


def test_the_establishment_admin_offers_the_settings(admin_client, establishment):
    html = admin_client.get(reverse("admin:reclamaciones_establishment_change", args=[establishment.pk])).content
    text = html.decode()

    assert "Las propuestas de solución requieren aprobación" in text
    assert "Las reclasificaciones requieren aprobación" in text
