"""Staff workflow services: every move locks the row, checks scope and TRANSITIONS, and leaves an event."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import ComplaintEvent, ResponseChannel, Status
from reclamaciones.handling.models import Response
from reclamaciones.handling.policy import TRANSITIONS
from reclamaciones.handling.services import (
    WorkflowError,
    complaint_assign,
    complaint_classify,
    complaint_close,
    complaint_note_add,
    complaint_reclassify,
    response_send,
    survey_answer,
)
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.records import ImmutableRecordError

from ..factories import EstablishmentFactory, cause_get, staff_user
from ..mailsink import subject

pytestmark = pytest.mark.django_db
LIMA = ZoneInfo("America/Lima")
FILED = datetime(2026, 10, 5, 10, 30, tzinfo=LIMA)  # due 2026-10-27


@pytest.fixture
def hoja(file_complaint):
    return file_complaint(filed_at=FILED)


@pytest.fixture
def agent(establishment):
    return staff_user("ana", Role.AGENT, establishments=[establishment])


def _state(complaint) -> tuple:
    complaint.refresh_from_db()
    return complaint.status, complaint.kind, complaint.assignee_id, complaint.events.count()


def test_transitions_are_closed_over_the_statuses():
    targets = set().union(*TRANSITIONS.values())
    assert targets <= set(Status.values)
    assert set(TRANSITIONS) == set(Status.values)
    assert TRANSITIONS[Status.CLOSED] == set()


def test_assign_moves_a_new_hoja_to_in_progress_and_records_it(hoja, agent, establishment):
    colleague = staff_user("beto", Role.SUPERVISOR, establishments=[establishment])

    complaint_assign(complaint_id=hoja.pk, assignee=colleague, scope=Scope.of(agent))

    hoja.refresh_from_db()
    assert (hoja.assignee, hoja.status) == (colleague, Status.IN_PROGRESS)
    assigned = hoja.events.get(type=ComplaintEvent.Type.ASSIGNED)
    assert (assigned.actor, assigned.data["to"]) == (agent, colleague.pk)
    moved = hoja.events.get(type=ComplaintEvent.Type.STATUS_CHANGED)
    assert moved.data == {"from": Status.RECEIVED, "to": Status.IN_PROGRESS}


@pytest.mark.parametrize(
    ("make_actor", "make_assignee", "message"),
    [
        pytest.param(
            lambda e: staff_user("otro", Role.AGENT, establishments=[EstablishmentFactory()]),
            lambda e, a: a,
            "No tienes permiso",
            id="actor-out-of-scope",
        ),
        pytest.param(
            lambda e: staff_user("cata", Role.COUNCIL, establishments=[e]),
            lambda e, a: None,
            "No tienes permiso",
            id="council-reads-only",
        ),
        pytest.param(
            lambda e: staff_user("audi", Role.AUDITOR, establishments=[e], all_establishments=True),
            lambda e, a: None,
            "No tienes permiso",
            id="auditor-reads-only",
        ),
        pytest.param(
            lambda e: staff_user("ana", Role.AGENT, establishments=[e]),
            lambda e, a: staff_user("lejos", Role.AGENT, establishments=[EstablishmentFactory()]),
            "no atiende este establecimiento",
            id="assignee-out-of-scope",
        ),
        pytest.param(
            lambda e: staff_user("ana", Role.AGENT, establishments=[e]),
            lambda e, a: staff_user("consejo", Role.COUNCIL, establishments=[e]),
            "no atiende este establecimiento",
            id="assignee-not-an-agent",
        ),
    ],
)
def test_assign_refused(hoja, establishment, make_actor, make_assignee, message):
    actor = make_actor(establishment)
    assignee = make_assignee(establishment, actor)
    before = _state(hoja)

    with pytest.raises(WorkflowError, match=message):
        complaint_assign(complaint_id=hoja.pk, assignee=assignee or actor, scope=Scope.of(actor))

    assert _state(hoja) == before


def test_note_is_internal_and_append_only(hoja, agent):
    complaint_note_add(complaint_id=hoja.pk, text="  Llamé al cliente; pide cambio.  ", scope=Scope.of(agent))

    [note] = hoja.events.filter(type=ComplaintEvent.Type.NOTE)
    assert (note.actor, note.data) == (agent, {"text": "Llamé al cliente; pide cambio."})
    with pytest.raises(WorkflowError):
        complaint_note_add(complaint_id=hoja.pk, text="   ", scope=Scope.of(agent))


def test_reclassify_keeps_what_the_consumer_ticked(hoja, agent):
    complaint_reclassify(complaint_id=hoja.pk, kind="queja", reason="Se queja de la atención", scope=Scope.of(agent))

    hoja.refresh_from_db()
    assert (hoja.kind, hoja.kind_filed) == ("queja", "reclamo")
    event = hoja.events.get(type=ComplaintEvent.Type.RECLASSIFIED)
    assert event.data == {"from": "reclamo", "to": "queja", "reason": "Se queja de la atención"}
    with pytest.raises(WorkflowError, match="motivo"):
        complaint_reclassify(complaint_id=hoja.pk, kind="reclamo", reason=" ", scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match="ya está clasificada"):
        complaint_reclassify(complaint_id=hoja.pk, kind="queja", reason="otra vez", scope=Scope.of(agent))


def test_answer_by_email_stops_the_clock_and_sends_section_4(
    hoja, agent, django_capture_on_commit_callbacks, mailoutbox
):
    now = datetime(2026, 10, 20, 16, 0, tzinfo=LIMA)
    with django_capture_on_commit_callbacks(execute=True):
        response = response_send(
            complaint_id=hoja.pk,
            text="Cambiamos la laptop.",
            channel=ResponseChannel.EMAIL,
            scope=Scope.of(agent),
            now=now,
        )

    hoja.refresh_from_db()
    assert hoja.status == Status.ANSWERED
    assert (response.communicated_at, response.responded_by) == (now, agent)
    event = hoja.events.get(type=ComplaintEvent.Type.RESPONDED)
    assert event.data["on_time"] is True
    [message] = [m for m in mailoutbox if m.to == [hoja.consumer_email] and "Respuesta" in subject(m.message())]
    assert "Cambiamos la laptop." in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename.endswith(".pdf"), mimetype, content[:4]) == (True, "application/pdf", b"%PDF")
    assert OutboundMessage.objects.get(kind=OutboundMessage.Kind.RESPONSE).status == OutboundMessage.Status.SENT
    response.text = "Otra cosa"
    with pytest.raises(ImmutableRecordError):
        response.save()


@pytest.mark.parametrize(
    ("communicated", "ok"),
    [
        pytest.param(datetime(2026, 10, 28, 11, 0, tzinfo=LIMA), True, id="late-letter-recorded-as-late"),
        pytest.param(datetime(2026, 10, 6, 11, 0, tzinfo=LIMA), True, id="letter-on-time"),
        pytest.param(datetime(2026, 10, 5, 9, 0, tzinfo=LIMA), False, id="before-the-filing"),
        pytest.param(datetime(2026, 11, 5, 9, 0, tzinfo=LIMA), False, id="in-the-future"),
        pytest.param(None, False, id="no-date"),
    ],
)
def test_answer_by_letter_needs_a_plausible_communication_date(hoja, agent, communicated, ok):
    now = datetime(2026, 10, 30, 12, 0, tzinfo=LIMA)
    call = {
        "complaint_id": hoja.pk,
        "text": "Carta enviada.",
        "channel": ResponseChannel.LETTER,
        "scope": Scope.of(agent),
        "communicated_at": communicated,
        "now": now,
    }
    if not ok:
        before = _state(hoja)
        with pytest.raises(WorkflowError, match="fecha"):
            response_send(**call)
        assert _state(hoja) == before
        assert not Response.objects.exists()
        return
    response_send(**call)
    event = hoja.events.get(type=ComplaintEvent.Type.RESPONDED)
    assert event.data["on_time"] is (communicated.date() <= hoja.due_date)
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.RESPONSE).exists()


def test_illegal_moves_are_refused_and_change_nothing(hoja, agent):
    with pytest.raises(WorkflowError, match="No se puede pasar"):
        complaint_close(complaint_id=hoja.pk, scope=Scope.of(agent))  # received -> closed: answer first
    response_send(complaint_id=hoja.pk, text="Listo.", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))
    before = _state(hoja)
    with pytest.raises(WorkflowError):
        response_send(complaint_id=hoja.pk, text="Otra vez.", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match="ya no está en trámite"):
        complaint_reclassify(complaint_id=hoja.pk, kind="queja", reason="tarde", scope=Scope.of(agent))
    assert _state(hoja) == before

    with pytest.raises(WorkflowError, match="Clasifica la causa"):
        complaint_close(complaint_id=hoja.pk, scope=Scope.of(agent))
    complaint_classify(complaint_id=hoja.pk, cause=cause_get(), scope=Scope.of(agent))
    complaint_close(complaint_id=hoja.pk, scope=Scope.of(agent))
    hoja.refresh_from_db()
    assert hoja.status == Status.CLOSED


def test_answer_without_email_must_be_a_letter(file_complaint, agent):
    hoja = file_complaint(consumer_email="", filed_at=FILED)
    with pytest.raises(WorkflowError, match="carta"):
        response_send(complaint_id=hoja.pk, text="Hola", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))


def test_survey_only_after_the_answer_and_only_once(hoja, agent):
    with pytest.raises(WorkflowError, match="cuando recibas"):
        survey_answer(complaint=hoja, solved=True, csat=5, nps=10)
    response_send(complaint_id=hoja.pk, text="Listo.", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))

    answer = survey_answer(complaint=hoja, solved=False, csat=2, nps=3, comment=" Tardaron. ")

    assert (answer.solved, answer.csat, answer.nps, answer.comment) == (False, 2, 3, "Tardaron.")
    assert hoja.events.filter(type=ComplaintEvent.Type.SURVEY_ANSWERED).count() == 1
    with pytest.raises(WorkflowError, match="Ya respondiste"):
        survey_answer(complaint=hoja, solved=True, csat=5, nps=10)


def test_answered_hoja_is_out_of_the_tracker(hoja, agent, django_capture_on_commit_callbacks, mailoutbox):
    from reclamaciones.deadlines.services import deadlines_sweep

    response_send(complaint_id=hoja.pk, text="Listo.", channel=ResponseChannel.EMAIL, scope=Scope.of(agent))
    result = deadlines_sweep(
        now=datetime(2026, 10, 28, 9, 0, tzinfo=LIMA) + timedelta(days=1), scope=Scope.everything()
    )
    assert (result.candidates, result.messages_created) == (0, 0)


def test_classify_records_old_and_new_cause_and_refuses_categories(hoja, agent):
    first, second = cause_get("TST-01"), cause_get("TST-02")

    complaint_classify(complaint_id=hoja.pk, cause=first, scope=Scope.of(agent))
    complaint_classify(complaint_id=hoja.pk, cause=second, scope=Scope.of(agent))

    events = list(hoja.events.filter(type=ComplaintEvent.Type.CLASSIFIED).order_by("pk"))
    assert [(e.data["from"], e.data["to"]) for e in events] == [(None, "TST-01"), ("TST-01", "TST-02")]
    with pytest.raises(WorkflowError, match="no una categoría"):
        complaint_classify(complaint_id=hoja.pk, cause=second.parent, scope=Scope.of(agent))
    with pytest.raises(WorkflowError, match="ya tiene esa causa"):
        complaint_classify(complaint_id=hoja.pk, cause=second, scope=Scope.of(agent))
    outsider = staff_user("otro", Role.AGENT, establishments=[EstablishmentFactory()])
    with pytest.raises(WorkflowError, match="No tienes permiso"):
        complaint_classify(complaint_id=hoja.pk, cause=first, scope=Scope.of(outsider))


def test_the_seeded_taxonomy_has_20_to_30_causes_under_categories():
    from importlib import import_module

    from django.apps import apps

    from reclamaciones.handling.models import Cause

    # Run the data migration's function again (idempotent): transactional tests may have flushed its rows.
    import_module("reclamaciones.migrations.0005_seed_causes").seed(apps, None)
    causes = Cause.objects.filter(parent__isnull=False, code__regex=r"^[A-Z]{3}-\d\d$")
    assert 20 <= causes.count() <= 30
    assert not causes.filter(parent__parent__isnull=False).exists()  # two levels: category > cause
    assert causes.filter(name="Contacto repetido sin solución").exists()
