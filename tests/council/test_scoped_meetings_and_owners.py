"""Review fixes: the admin regenerates an agenda only for an open meeting in the user's scope, with the meeting's
own establishment, and never deletes closed minutes; meeting attendees (admin too) must see the meeting's
establishment; an action's owner must act and see the action's establishment (forms and services); typed meeting
texts lose their control characters; the minutes PDF reads the standing item without a double colon."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint
from reclamaciones.book.services import complaint_file
from reclamaciones.council.forms import ActionEditForm, MeetingDecisionForm
from reclamaciones.council.meetings import (
    MSG_ATTENDEES,
    MSG_CLOSED,
    meeting_decision_add,
    meeting_minutes_record,
    meeting_save,
)
from reclamaciones.council.models import ActionItem, ActionItemEvent, CouncilMeeting
from reclamaciones.council.pdf import _meeting_context
from reclamaciones.council.services import (
    MSG_OWNER_ESTABLISHMENT,
    CouncilError,
    action_create,
    action_edit,
    action_update,
    meeting_agenda_generate,
)

from ..factories import EstablishmentFactory, action_item, cause_get, council_rights, filing_kwargs, staff_user
from .test_admin import _errors, _form_data, _prefix, _url

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(establishment):
    other = EstablishmentFactory(name="Tienda Arequipa")
    return {
        "other": other,
        "member": staff_user(
            "consejo.lima", Role.COUNCIL, establishments=[establishment], first_name="Lucía", perms=council_rights()
        ),
        "supervisor": staff_user("rosa", Role.SUPERVISOR, establishments=[establishment], first_name="Rosa"),
        "outsider": staff_user("beto", Role.SUPERVISOR, establishments=[other], first_name="Beto"),
        "outsider_council": staff_user("berta", Role.COUNCIL, establishments=[other], first_name="Berta"),
        "everywhere": staff_user(
            "julia", Role.COUNCIL, all_establishments=True, first_name="Julia", perms=council_rights()
        ),
    }


def _hoja(establishment, cause, days_ago=2):
    complaint = complaint_file(
        **filing_kwargs(establishment=establishment, filed_at=timezone.now() - timedelta(days=days_ago))
    )
    Complaint.objects.filter(pk=complaint.pk).update(cause=cause)
    return complaint


def _meeting(establishment=None, **fields) -> CouncilMeeting:
    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate(), establishment=establishment, **fields)
    return meeting_agenda_generate(meeting=meeting, scope=Scope.everything())


# 1. Regenerating the agenda in the admin ---------------------------------------------------------------------


def test_the_admin_regenerates_with_the_meetings_own_establishment(client, people, establishment):
    cause = cause_get("TST-01")
    _hoja(establishment, cause)
    _hoja(people["other"], cause)
    meeting = _meeting(establishment)
    client.force_login(people["everywhere"])  # sees every establishment; the agenda is still only Lima's

    response = client.post(_url("councilmeeting", "regenerate_agenda", meeting.pk))

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.agenda["total"] == 1


def test_the_admin_does_not_regenerate_a_closed_meetings_agenda(client, people, establishment):
    meeting = _meeting(establishment, closed_at=timezone.now())
    generated = meeting.agenda_generated_at
    client.force_login(people["everywhere"])

    response = client.post(_url("councilmeeting", "regenerate_agenda", meeting.pk), follow=True)
    assert MSG_CLOSED in response.content.decode()
    response = client.post(
        _url("councilmeeting", "changelist"),
        {"action": "regenerate_agenda", "_selected_action": [meeting.pk], "index": 0},
        follow=True,
    )

    assert "conservan la agenda con que se celebraron" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at == generated


def test_another_establishments_meeting_is_a_404_for_the_regenerate_button(client, people):
    meeting = _meeting(people["other"])
    client.force_login(people["member"])

    assert client.post(_url("councilmeeting", "regenerate_agenda", meeting.pk)).status_code == 404


def test_closed_minutes_cannot_be_deleted_in_the_admin(client, people, establishment):
    closed = _meeting(establishment, closed_at=timezone.now())
    root = staff_user("root", None, profile=False, is_superuser=True, is_staff=True)
    client.force_login(root)

    assert client.post(_url("councilmeeting", "delete", closed.pk), {"post": "yes"}).status_code == 403
    client.post(
        _url("councilmeeting", "changelist"),
        {"action": "delete_selected", "_selected_action": [closed.pk], "post": "yes"},
    )
    assert CouncilMeeting.objects.filter(pk=closed.pk).exists()


# 2. The admin's attendees ------------------------------------------------------------------------------------


def test_the_admin_offers_and_accepts_only_attendees_who_see_the_establishment(client, people, establishment):
    client.force_login(people["member"])
    page = client.get(_url("councilmeeting", "add"))
    offered = set(page.context["adminform"].form.fields["attendees"].queryset)
    assert people["member"] in offered
    assert people["supervisor"] in offered
    assert people["outsider_council"] not in offered

    data = _form_data(page)
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            "establishment": establishment.pk,
            "attendees": [people["member"].pk, people["outsider_council"].pk],
        }
    )
    refused = client.post(_url("councilmeeting", "add"), data)

    assert refused.status_code == 200
    assert "attendees" in _errors(refused)
    assert not CouncilMeeting.objects.exists()


def test_changing_the_establishment_rechecks_the_attendees(client, people, establishment):
    client.force_login(people["everywhere"])
    page = client.get(_url("councilmeeting", "add"))
    data = _form_data(page)
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            "establishment": establishment.pk,
            "attendees": [people["member"].pk],
        }
    )
    assert client.post(_url("councilmeeting", "add"), data).status_code == 302
    meeting = CouncilMeeting.objects.get()
    change = _form_data(client.get(_url("councilmeeting", "change", meeting.pk)))

    moved = client.post(_url("councilmeeting", "change", meeting.pk), {**change, "establishment": people["other"].pk})
    everywhere = client.post(_url("councilmeeting", "change", meeting.pk), {**change, "establishment": ""})

    for response in (moved, everywhere):
        assert response.status_code == 200
        assert _errors(response)["attendees"] == [MSG_ATTENDEES]
    meeting.refresh_from_db()
    assert meeting.establishment == establishment


# 3. Owners who see the action's establishment -----------------------------------------------------------------


def test_the_edit_form_offers_only_owners_who_see_the_actions_establishment(people, establishment):
    action = action_item(owner=people["supervisor"], causes=[cause_get("TST-01")], establishment=establishment)

    offered = set(ActionEditForm(action=action).fields["owner"].queryset)

    assert people["supervisor"] in offered
    assert people["everywhere"] in offered
    assert people["outsider"] not in offered
    form = ActionEditForm(
        data={
            "title": action.title,
            "owner": people["outsider"].pk,
            "due_date": action.due_date.isoformat(),
            "target_reduction_pct": 30,
            "verification_weeks": 8,
        },
        action=action,
    )
    assert not form.is_valid()
    assert "owner" in form.errors


def test_the_services_refuse_an_owner_of_another_establishment(people, establishment):
    action = action_item(owner=people["supervisor"], causes=[cause_get("TST-01")], establishment=establishment)
    scope = Scope.of(people["member"])

    for change in (
        lambda: action_edit(
            action_id=action.pk,
            scope=scope,
            title=action.title,
            owner=people["outsider"],
            due_date=action.due_date,
            target_reduction_pct=30,
            verification_weeks=8,
        ),
        lambda: action_update(action_id=action.pk, scope=scope, changes={"owner": people["outsider"]}),
        lambda: action_create(
            title="Otra",
            owner=people["outsider"],
            due_date=action.due_date,
            causes=[cause_get("TST-01")],
            establishment=establishment,
            created_by=people["member"],
        ),
        lambda: action_create(  # an action for every establishment: only who sees them all
            title="Otra",
            owner=people["supervisor"],
            due_date=action.due_date,
            causes=[cause_get("TST-01")],
            created_by=people["everywhere"],
        ),
    ):
        with pytest.raises(CouncilError) as refused:
            change()
        assert str(refused.value) == MSG_OWNER_ESTABLISHMENT
    action.refresh_from_db()
    assert action.owner == people["supervisor"]
    assert ActionItem.objects.count() == 1


def test_the_action_page_refuses_another_establishments_owner_next_to_the_field(client, people, establishment):
    action = action_item(owner=people["supervisor"], causes=[cause_get("TST-01")], establishment=establishment)
    client.force_login(people["member"])

    response = client.post(
        reverse("council:action", args=[action.pk]),
        {
            "form": "edit",
            "title": action.title,
            "owner": people["outsider"].pk,
            "due_date": action.due_date.isoformat(),
            "target_reduction_pct": 30,
            "verification_weeks": 8,
        },
    )

    assert response.status_code == 400
    assert "También debe ver el establecimiento de la acción." in response.content.decode()
    action.refresh_from_db()
    assert action.owner == people["supervisor"]


def test_a_current_owner_who_no_longer_sees_the_establishment_stays_listed_and_flagged(people, establishment):
    action = action_item(owner=people["outsider"], causes=[cause_get("TST-01")], establishment=establishment)

    form = ActionEditForm(action=action)

    assert people["outsider"] in set(form.fields["owner"].queryset)
    assert "Beto (beto) (no puede actualizar la acción)" in str(form["owner"])
    edited = action_edit(  # the other fields change without forcing a new owner
        action_id=action.pk,
        scope=Scope.of(people["member"]),
        title="Nuevo título",
        owner=people["outsider"],
        due_date=action.due_date,
        target_reduction_pct=30,
        verification_weeks=8,
    )
    assert edited.title == "Nuevo título"


def test_meeting_decisions_offer_and_accept_only_owners_of_the_meetings_establishment(client, people, establishment):
    meeting = meeting_save(
        scope=Scope.of(people["member"]),
        held_on=timezone.localdate(),
        starts_at=time(9, 30),
        place="Sala 2",
        establishment=establishment,
        attendee_ids=[people["member"].pk],
    )
    offered = set(MeetingDecisionForm(prefix="acuerdo", meeting=meeting).fields["owner"].queryset)
    assert people["supervisor"] in offered
    assert people["outsider"] not in offered
    client.force_login(people["member"])

    response = client.post(
        reverse("council:meeting", args=[meeting.pk]),
        {
            "form": "decision",
            "acuerdo-title": "Revisar la ruta",
            "acuerdo-causes": [cause_get("TST-01").pk],
            "acuerdo-owner": people["outsider"].pk,
            "acuerdo-due_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "acuerdo-target_reduction_pct": 30,
            "acuerdo-verification_weeks": 8,
        },
    )

    assert response.status_code == 400
    assert not ActionItem.objects.exists()


def test_an_admin_decision_is_of_the_meetings_establishment_and_its_owner_must_see_it(client, people, establishment):
    client.force_login(people["everywhere"])
    page = client.get(_url("councilmeeting", "add"))
    prefix = _prefix(page, ActionItem)
    data = _form_data(page)
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            "establishment": establishment.pk,
            "attendees": [people["member"].pk],
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-title": "Revisar la ruta",
            f"{prefix}-0-causes": [cause_get("TST-01").pk],
            f"{prefix}-0-owner": people["outsider"].pk,
            f"{prefix}-0-due_date": (timezone.localdate() + timedelta(days=21)).isoformat(),
            f"{prefix}-0-target_reduction_pct": "30",
            f"{prefix}-0-verification_weeks": "8",
        }
    )

    refused = client.post(_url("councilmeeting", "add"), data)
    assert refused.status_code == 200
    assert MSG_OWNER_ESTABLISHMENT in refused.content.decode()
    assert not CouncilMeeting.objects.exists()

    accepted = client.post(_url("councilmeeting", "add"), {**data, f"{prefix}-0-owner": people["supervisor"].pk})
    assert accepted.status_code == 302, _errors(accepted)
    decision = ActionItem.objects.get()
    assert (decision.owner, decision.establishment) == (people["supervisor"], establishment)


# 4. Control characters ---------------------------------------------------------------------------------------


def test_meeting_texts_lose_their_control_characters(people, establishment):
    scope = Scope.of(people["member"])
    meeting = meeting_save(
        scope=scope,
        held_on=timezone.localdate(),
        starts_at=time(9, 30),
        place="Sala\x1b[31m 2\x07",
        establishment=establishment,
        attendee_ids=[people["member"].pk],
        guests="Carla\x00 Ríos",
    )
    meeting_minutes_record(
        meeting_id=meeting.pk,
        scope=scope,
        attendance={people["member"].pk: True},
        item_notes={"flags": "Nota\x1b con\x08 escape"},
        minutes="Acta\x07 breve\x0b",
    )
    decision = meeting_decision_add(
        meeting_id=meeting.pk,
        scope=scope,
        title="Revisar\x1b la ruta",
        owner=people["supervisor"],
        due_date=timezone.localdate() + timedelta(days=10),
        causes=[cause_get("TST-01")],
    )

    meeting.refresh_from_db()
    stored = [meeting.place, meeting.guests, meeting.minutes, meeting.item_notes["flags"], decision.title]
    assert not any(ch in text for text in stored for ch in "\x00\x07\x08\x0b\x1b")
    assert meeting.place == "Sala [31m 2"


# 5. action_edit shares action_update's change log -------------------------------------------------------------


def test_both_edits_record_the_owner_by_name_and_nothing_without_a_change(people, establishment):
    action = action_item(owner=people["supervisor"], causes=[cause_get("TST-01")], establishment=establishment)
    scope = Scope.of(people["member"])

    action_update(action_id=action.pk, scope=scope, changes={"owner": people["member"]})
    action_edit(
        action_id=action.pk,
        scope=scope,
        title=action.title,
        owner=people["supervisor"],
        due_date=action.due_date,
        target_reduction_pct=action.target_reduction_pct,
        verification_weeks=action.verification_weeks,
    )
    action_edit(  # the same again: no event
        action_id=action.pk,
        scope=scope,
        title=action.title,
        owner=people["supervisor"],
        due_date=action.due_date,
        target_reduction_pct=action.target_reduction_pct,
        verification_weeks=action.verification_weeks,
    )

    changes = [
        (e.type, e.data["changes"])
        for e in action.events.filter(type__in=[ActionItemEvent.Type.UPDATED, ActionItemEvent.Type.EDITED]).order_by(
            "pk"
        )
    ]
    assert changes == [
        (ActionItemEvent.Type.UPDATED, {"owner": ["Rosa", "Lucía"]}),
        (ActionItemEvent.Type.EDITED, {"owner": ["Lucía", "Rosa"]}),
    ]


# 6. The minutes PDF ------------------------------------------------------------------------------------------


def test_the_minutes_read_the_standing_item_without_a_double_colon(people, establishment):
    action_item(
        "Revisar la ruta", owner=people["supervisor"], causes=[cause_get("TST-01")], establishment=establishment
    )
    meeting = meeting_save(
        scope=Scope.of(people["member"]),
        held_on=timezone.localdate(),
        starts_at=time(9, 30),
        place="Sala 2",
        establishment=establishment,
        attendee_ids=[people["member"].pk],
    )

    html = render_to_string("reclamaciones/pdf/council_minutes.html", {**_meeting_context(meeting), "doc_name": "Acta"})
    text = " ".join(html.split())

    assert "Acciones abiertas (punto fijo), 1 en total: Revisar la ruta" in text
    assert "(punto fijo): 1:" not in text
