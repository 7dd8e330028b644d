"""The council edits an action's title, owner and dates on /consejo/acciones/<pk>/ (issue 13), without the admin:
only people who can act may own it, every change leaves an EDITED event with the old and new values shown in the
history, bad input is refused next to its field in Spanish, and only the council may do it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import ActionItemEvent, ActionStatus
from reclamaciones.council.services import MSG_OWNER_CANNOT_ACT, CouncilError, action_edit

from ..factories import EstablishmentFactory, action_item, cause_get, staff_user

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def people(establishment):
    return {
        "council": staff_user("julia", Role.COUNCIL, establishments=[establishment], first_name="Julia"),
        "owner": staff_user("rosa", Role.SUPERVISOR, establishments=[establishment], first_name="Rosa"),
        "supervisor": staff_user("marco", Role.SUPERVISOR, establishments=[establishment], first_name="Marco"),
        "auditor": staff_user("ana", Role.AUDITOR, establishments=[establishment]),
        "agent": staff_user("jose", Role.AGENT, establishments=[establishment], first_name="José"),
        "outsider": staff_user("beto", Role.COUNCIL, establishments=[EstablishmentFactory()]),
    }


@pytest.fixture
def action(people, establishment):
    return action_item(
        "Capacitar al equipo de caja",
        owner=people["owner"],
        causes=[cause_get("TST-01")],
        establishment=establishment,
        due_in_days=10,
    )


def _post(client, action, **overrides):
    data = {
        "form": "edit",
        "title": action.title,
        "owner": action.owner_id,
        "due_date": action.due_date.isoformat(),
        "target_reduction_pct": action.target_reduction_pct,
        "verification_weeks": action.verification_weeks,
        **overrides,
    }
    return client.post(reverse("council:action", args=[action.pk]), data)


def test_the_council_changes_title_owner_and_dates_and_the_history_shows_old_and_new(client, people, action):
    client.force_login(people["council"])
    new_due = action.due_date + timedelta(days=14)

    response = _post(
        client,
        action,
        title=f"Capacitar a caja {HOSTILE}",
        owner=people["supervisor"].pk,
        due_date=new_due.isoformat(),
        target_reduction_pct=40,
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.title == f"Capacitar a caja {HOSTILE}"
    assert action.owner == people["supervisor"]
    assert action.due_date == new_due
    assert action.target_reduction_pct == 40
    event = action.events.get(type=ActionItemEvent.Type.EDITED)
    assert event.actor == people["council"]
    assert event.data["changes"]["owner"] == ["Rosa", "Marco"]
    assert set(event.data["changes"]) == {"title", "owner", "due_date", "target_reduction_pct"}
    html = client.get(reverse("council:action", args=[action.pk])).content.decode()
    assert HOSTILE not in html
    text = _text(html)
    assert "Datos de la acción cambiados" in text
    assert "Responsable: «Rosa» → «Marco»." in text
    assert (
        f"Fecha límite de implementación: «{action.due_date - timedelta(days=14):%d/%m/%Y}» → «{new_due:%d/%m/%Y}»."
        in text
    )


def test_saving_without_changes_records_nothing(client, people, action):
    client.force_login(people["council"])
    assert _post(client, action).status_code == 302
    assert not action.events.filter(type=ActionItemEvent.Type.EDITED).exists()


def test_bad_input_is_refused_next_to_each_field_in_spanish(client, people, action):
    client.force_login(people["council"])

    response = _post(
        client,
        action,
        title="",
        owner=people["agent"].pk,
        due_date=(timezone.localdate() - timedelta(days=1)).isoformat(),
        target_reduction_pct=0,
        verification_weeks="muchas",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="title-error"' in html
    assert "Escribe el título de la acción." in html
    assert 'id="owner-error"' in html
    assert MSG_OWNER_CANNOT_ACT in html
    assert "La nueva fecha límite no puede estar en el pasado." in html
    assert "La meta es un porcentaje de reducción entre 1 y 100." in html
    assert "Mide al menos una semana." in html
    action.refresh_from_db()
    assert action.title == "Capacitar al equipo de caja"


def test_the_owner_choices_are_only_people_who_can_act(client, people, action):
    client.force_login(people["council"])
    html = client.get(reverse("council:action", args=[action.pk])).content.decode()
    select = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert "Marco" in select
    assert "José" not in select  # an agent
    assert "ana" not in select  # an auditor


@pytest.mark.parametrize("role", ["owner", "supervisor", "auditor"])
def test_only_the_council_edits(client, people, action, role):
    client.force_login(people[role])
    html = client.get(reverse("council:action", args=[action.pk])).content.decode()
    assert 'value="edit"' not in html

    assert _post(client, action, title="Otro título").status_code == 403
    action.refresh_from_db()
    assert action.title == "Capacitar al equipo de caja"
    with pytest.raises(PermissionDenied):
        action_edit(
            action_id=action.pk,
            scope=Scope.of(people[role]),
            title="Otro",
            owner=action.owner,
            due_date=action.due_date,
            target_reduction_pct=30,
            verification_weeks=8,
        )


@pytest.mark.parametrize("role", ["agent", None])
def test_agents_and_people_without_a_role_get_403(client, people, action, role):
    client.force_login(people[role] if role else staff_user("nadie", None))
    assert _post(client, action, title="Otro").status_code == 403


def test_another_establishments_action_is_a_404(client, people, action):
    client.force_login(people["outsider"])
    assert _post(client, action, title="Otro").status_code == 404


def test_a_verified_action_is_not_edited(people, action):
    action.status, action.implemented_on = ActionStatus.EFFECTIVE, timezone.localdate()
    action.save()
    with pytest.raises(CouncilError):
        action_edit(
            action_id=action.pk,
            scope=Scope.of(people["council"]),
            title="Otro",
            owner=action.owner,
            due_date=action.due_date,
            target_reduction_pct=30,
            verification_weeks=8,
        )
