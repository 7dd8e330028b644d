"""One policy per hoja: what allowed_actions offers is exactly what the services accept, for hojas in every
state and for every kind of scope (the button shown is the move accepted; the move refused is never shown)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Kind, ResponseChannel
from reclamaciones.handling.policy import Action, allowed_actions, refusal
from reclamaciones.handling.services import (
    WorkflowError,
    complaint_assign,
    complaint_classify,
    complaint_close,
    complaint_note_add,
    complaint_reclassify,
    response_send,
)
from reclamaciones.handling.settlement import SettlementError, complaint_extend_deadline, settlement_offer_send

from ..factories import EstablishmentFactory, cause_get, staff_user

pytestmark = pytest.mark.django_db
LIMA = ZoneInfo("America/Lima")


class _Rollback(Exception):
    pass


def _attempt(action: Action, complaint, scope: Scope, agent) -> str | None:
    """Run the service behind `action` and roll it back: None when it accepted, else its refusal."""
    calls = {
        Action.ASSIGN: lambda: complaint_assign(complaint_id=complaint.pk, assignee=agent, scope=scope),
        Action.NOTE: lambda: complaint_note_add(complaint_id=complaint.pk, text="Llamé al consumidor.", scope=scope),
        Action.RECLASSIFY: lambda: complaint_reclassify(
            complaint_id=complaint.pk,
            kind=Kind.QUEJA if complaint.kind == Kind.RECLAMO else Kind.RECLAMO,
            reason="Es sobre la atención.",
            scope=scope,
        ),
        Action.CLASSIFY: lambda: complaint_classify(complaint_id=complaint.pk, cause=cause_get("POL-02"), scope=scope),
        Action.OFFER: lambda: settlement_offer_send(
            complaint_id=complaint.pk, text="Le cambiamos el equipo.", scope=scope
        ),
        Action.EXTEND: lambda: complaint_extend_deadline(
            complaint_id=complaint.pk, days=10, reason="Peritaje.", scope=scope
        ),
        Action.ANSWER: lambda: response_send(
            complaint_id=complaint.pk,
            text="Procedemos al cambio.",
            channel=ResponseChannel.LETTER,
            communicated_at=timezone.now(),
            scope=scope,
        ),
        Action.CLOSE: lambda: complaint_close(complaint_id=complaint.pk, scope=scope),
    }
    try:
        with transaction.atomic():
            calls[action]()
            raise _Rollback
    except _Rollback:
        return None
    except (WorkflowError, SettlementError) as exc:
        return str(exc)


def _hojas(file_complaint, agent, scope) -> dict[str, object]:
    """Hojas in each state the back office meets (filed through the real services)."""
    now = timezone.now()
    hojas = {
        "received": file_complaint(),
        "queja": file_complaint(kind=Kind.QUEJA),
        "no_email": file_complaint(consumer_email=""),
        "old_regime": file_complaint(filed_at=datetime(2021, 3, 1, 10, tzinfo=LIMA)),
        "overdue": file_complaint(filed_at=now - timedelta(days=40)),
    }
    assigned = hojas["in_progress"] = file_complaint()
    complaint_assign(complaint_id=assigned.pk, assignee=agent, scope=scope)
    classified = hojas["classified"] = file_complaint()
    complaint_classify(complaint_id=classified.pk, cause=cause_get("POL-01"), scope=scope)
    offered = hojas["offered"] = file_complaint()
    complaint_classify(complaint_id=offered.pk, cause=cause_get("POL-01"), scope=scope)  # an offer needs the cause
    settlement_offer_send(complaint_id=offered.pk, text="Propuesta.", scope=scope)
    for name, classified in (("answered_classified", True), ("answered_unclassified", False)):
        answered = hojas[name] = file_complaint()
        if classified:
            complaint_classify(complaint_id=answered.pk, cause=cause_get("POL-01"), scope=scope)
        response_send(complaint_id=answered.pk, text="Respuesta.", channel=ResponseChannel.EMAIL, scope=scope)
    unmarked = hojas["answered_unmarked"] = file_complaint(kind="")
    response_send(
        complaint_id=unmarked.pk,
        text="Respuesta.",
        channel=ResponseChannel.LETTER,
        scope=scope,
        communicated_at=timezone.now(),
    )
    closed = hojas["closed"] = file_complaint()
    complaint_classify(complaint_id=closed.pk, cause=cause_get("POL-01"), scope=scope)
    response_send(complaint_id=closed.pk, text="Respuesta.", channel=ResponseChannel.EMAIL, scope=scope)
    complaint_close(complaint_id=closed.pk, scope=scope)
    for complaint in hojas.values():
        complaint.refresh_from_db()
    return hojas


def test_the_services_accept_exactly_what_allowed_actions_offers(file_complaint, establishment):
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    other = staff_user("otra", Role.AGENT, establishments=[EstablishmentFactory()])
    auditor = staff_user("audi", Role.AUDITOR, establishments=[establishment])
    scopes = {"agent": Scope.of(agent), "other establishment": Scope.of(other), "auditor": Scope.of(auditor)}
    hojas = _hojas(file_complaint, agent, scopes["agent"])
    today = timezone.localdate()
    checked = 0
    for hoja_name, complaint in hojas.items():
        for scope_name, scope in scopes.items():
            allowed = allowed_actions(complaint, scope=scope, today=today)
            for action in Action:
                outcome = _attempt(action, complaint, scope, agent)
                expected = refusal(complaint, action, scope=scope, today=today)
                where = f"{hoja_name} / {scope_name} / {action}"
                if action in allowed:
                    assert outcome is None, f"{where}: offered but refused ({outcome})"
                else:
                    assert outcome == expected, f"{where}: not offered, the service said {outcome!r}"
                checked += 1
    assert checked == len(hojas) * len(scopes) * len(Action)


@pytest.mark.parametrize(
    ("hoja_name", "offered"),
    [
        # An offer waits for the cause: the consumer's acceptance closes the hoja.
        ("received", {Action.ASSIGN, Action.NOTE, Action.RECLASSIFY, Action.CLASSIFY, Action.ANSWER}),
        ("classified", {Action.ASSIGN, Action.NOTE, Action.RECLASSIFY, Action.CLASSIFY, Action.OFFER, Action.ANSWER}),
        ("queja", {Action.ASSIGN, Action.NOTE, Action.RECLASSIFY, Action.CLASSIFY, Action.ANSWER}),
        ("offered", {Action.ASSIGN, Action.NOTE, Action.RECLASSIFY, Action.CLASSIFY}),
        ("old_regime", {Action.NOTE, Action.ASSIGN, Action.RECLASSIFY, Action.CLASSIFY, Action.ANSWER}),
        ("answered_unclassified", {Action.NOTE, Action.CLASSIFY}),
        ("answered_classified", {Action.NOTE, Action.CLASSIFY, Action.CLOSE}),
        # Nobody said reclamo or queja: it can still be classified after the answer (SIREC and the council).
        ("answered_unmarked", {Action.NOTE, Action.CLASSIFY, Action.RECLASSIFY}),
        ("closed", {Action.NOTE, Action.CLASSIFY}),
    ],
)
def test_what_an_agent_is_offered_in_each_state(file_complaint, establishment, hoja_name, offered):
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    hojas = _hojas(file_complaint, agent, Scope.of(agent))
    allowed = allowed_actions(hojas[hoja_name], scope=Scope.of(agent), today=timezone.localdate())
    assert allowed == offered


def test_readers_and_other_establishments_are_offered_nothing(file_complaint, establishment):
    complaint = file_complaint()
    for user in (
        staff_user("audi", Role.AUDITOR, establishments=[establishment]),
        staff_user("consejo", Role.COUNCIL, establishments=[establishment]),
        staff_user("otra", Role.SUPERVISOR, establishments=[EstablishmentFactory()]),
    ):
        assert allowed_actions(complaint, scope=Scope.of(user), today=timezone.localdate()) == frozenset()


def test_the_detail_page_shows_the_reason_a_hoja_cannot_be_closed_yet(client, file_complaint, establishment):
    agent = staff_user("ana", Role.AGENT, establishments=[establishment])
    complaint = file_complaint()
    response_send(complaint_id=complaint.pk, text="Respuesta.", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))
    client.force_login(agent)

    page = client.get(f"/gestion/hojas/{complaint.pk}/").content.decode()
    assert "Para cerrarla, primero clasifica su causa" in page
    assert "Cerrar hoja</button>" not in page

    complaint_classify(complaint_id=complaint.pk, cause=cause_get("POL-01"), scope=Scope.of(agent))
    page = client.get(f"/gestion/hojas/{complaint.pk}/").content.decode()
    assert "Cerrar hoja</button>" in page
    assert "Para cerrarla, primero clasifica su causa" not in page
