"""Every write to an action item goes through the council's services and leaves its history row; the history
survives the people in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import ActionItemEvent, ActionStatus
from reclamaciones.council.services import (
    CouncilError,
    action_complaints_set,
    action_create,
    action_update,
    council_digest_queue,
)
from reclamaciones.outbox import render
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, cause_get, staff_user

pytestmark = pytest.mark.django_db


def _action(owner, **kwargs):
    return action_create(
        title="Capacitar al personal de caja",
        owner=owner,
        due_date=timezone.localdate() + timedelta(days=14),
        causes=[cause_get("ACT-01")],
        created_by=owner,
        **kwargs,
    )


def test_an_update_records_what_changed_with_old_and_new_values(establishment):
    council = staff_user("consejo", Role.COUNCIL, all_establishments=True)
    action = _action(council)
    new_due = action.due_date + timedelta(days=7)

    action_update(
        action_id=action.pk,
        scope=Scope.of(council),
        changes={"title": "Capacitar a caja y almacén", "due_date": new_due, "description": ""},
        causes=[cause_get("ACT-01"), cause_get("ACT-02")],
    )

    event = action.events.get(type=ActionItemEvent.Type.UPDATED)
    assert event.actor == council
    assert event.data["changes"] == {
        "title": ["Capacitar al personal de caja", "Capacitar a caja y almacén"],
        "due_date": [action.due_date.isoformat(), new_due.isoformat()],
        "causes": [["ACT-01"], ["ACT-01", "ACT-02"]],
    }
    action.refresh_from_db()
    assert action.title == "Capacitar a caja y almacén"
    assert action.due_date == new_due


def test_an_update_that_changes_nothing_leaves_no_event_and_a_status_move_its_own(establishment):
    council = staff_user("consejo", Role.COUNCIL, all_establishments=True)
    action = _action(council)
    before = action.events.count()

    action_update(action_id=action.pk, scope=Scope.of(council), changes={"title": action.title})
    assert action.events.count() == before

    action_update(action_id=action.pk, scope=Scope.of(council), changes={}, status=ActionStatus.IN_PROGRESS)
    assert list(action.events.values_list("type", flat=True))[before:] == [ActionItemEvent.Type.STATUS_CHANGED]


def test_an_action_cannot_lose_all_its_causes(establishment):
    council = staff_user("consejo", Role.COUNCIL, all_establishments=True)
    action = _action(council)
    with pytest.raises(CouncilError):
        action_update(action_id=action.pk, scope=Scope.of(council), changes={}, causes=[])


def test_linking_hojas_is_recorded_and_other_establishments_links_are_kept(file_complaint, establishment):
    elsewhere = EstablishmentFactory()
    here_hoja, other_here = file_complaint(), file_complaint()
    there_hoja = file_complaint(establishment=elsewhere)
    everywhere = staff_user("jefa", Role.COUNCIL, all_establishments=True)
    local = staff_user("local", Role.COUNCIL, establishments=[establishment])
    action = _action(everywhere, complaints=[here_hoja, there_hoja])

    action_complaints_set(action_id=action.pk, complaint_ids=[other_here.pk], scope=Scope.of(local))

    assert set(action.complaints.values_list("pk", flat=True)) == {other_here.pk, there_hoja.pk}
    event = action.events.get(type=ActionItemEvent.Type.COMPLAINTS_LINKED)
    assert (event.actor, event.data) == (local, {"added": [other_here.pk], "removed": [here_hoja.pk]})
    with pytest.raises(CouncilError):
        action_complaints_set(action_id=action.pk, complaint_ids=[there_hoja.pk], scope=Scope.of(local))


def test_deleting_a_person_does_not_rewrite_the_history_they_are_in(establishment):
    council = staff_user("consejo", Role.COUNCIL, all_establishments=True)
    editor = staff_user("editor", Role.COUNCIL, all_establishments=True)
    action = _action(council)
    action_update(action_id=action.pk, scope=Scope.of(editor), changes={"title": "Otro título"})

    with pytest.raises(ProtectedError):
        editor.delete()
    assert action.events.get(type=ActionItemEvent.Type.UPDATED).actor == editor


def test_the_council_digest_carries_its_figures_and_rendering_only_renders(
    file_complaint, establishment, django_capture_on_commit_callbacks
):
    staff_user("consejo", Role.COUNCIL, all_establishments=True, email="consejo@nandu.example.pe")
    file_complaint()
    with django_capture_on_commit_callbacks():
        assert council_digest_queue(scope=Scope.everything()) == 1
    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.COUNCIL_DIGEST)
    assert {"today", "since", "top_causes", "performance"} <= set(message.context["snapshot"])

    with CaptureQueriesContext(connection) as queries:
        email = render.message_build(message)
    assert email.subject
    assert [q["sql"] for q in queries.captured_queries if "reclamaciones_complaint" in q["sql"]] == []
