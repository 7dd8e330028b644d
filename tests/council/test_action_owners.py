"""Who may own an action item (issue 13): only people who can open /consejo/acciones/ and act on actions, i.e.
the council and supervisors (and superusers). The admin's forms offer only them, the service refuses anyone
else in Spanish, and an old action whose owner cannot act is flagged on the council's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.forms import ActionFromComplaintsForm, ActionItemAdminForm, DecisionForm
from reclamaciones.council.models import ActionItem, ActionStatus
from reclamaciones.council.selectors import action_owner_can_act, action_owner_choices
from reclamaciones.council.services import MSG_OWNER_CANNOT_ACT, CouncilError, action_create, action_update

from ..factories import cause_get, council_rights, staff_user
from .test_admin import _errors, _form_data, _url

pytestmark = pytest.mark.django_db

WARNING = "El responsable no puede actualizar esta acción."


@pytest.fixture
def people(establishment):
    return {
        "council": staff_user("julia", Role.COUNCIL, all_establishments=True, perms=council_rights()),
        "supervisor": staff_user("carmen", Role.SUPERVISOR, establishments=[establishment]),
        "agent": staff_user("rosa", Role.AGENT, establishments=[establishment]),
        "auditor": staff_user("ana", Role.AUDITOR, all_establishments=True),
        "compliance": staff_user("cesar", Role.COMPLIANCE, all_establishments=True),
        "no_role": staff_user("invitado", is_staff=False, profile=False),
        "former": staff_user("jubilado", Role.COUNCIL, is_active=False, profile=False),
        "admin": User.objects.create_superuser("admin", "admin@andina.example.pe", "x"),
    }


CAN_ACT = {"council", "supervisor", "admin"}


def test_the_owner_rule_and_the_choices_agree(people):
    choices = set(action_owner_choices())

    for name, user in people.items():
        assert action_owner_can_act(user) is (name in CAN_ACT), name
        assert (user in choices) is (name in CAN_ACT), name


def test_every_form_that_chooses_an_owner_offers_only_those_who_can_act(people):
    expected = {people[name] for name in CAN_ACT}
    for form in (ActionItemAdminForm(), DecisionForm(), ActionFromComplaintsForm()):
        assert set(form.fields["owner"].queryset) == expected, type(form).__name__


def test_a_posted_owner_who_cannot_act_is_refused_next_to_the_field(people):
    form = ActionFromComplaintsForm(
        data={
            "title": "Capacitar a caja",
            "causes": [cause_get().pk],
            "owner": people["agent"].pk,
            "due_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "target_reduction_pct": 30,
            "verification_weeks": 8,
        }
    )

    assert not form.is_valid()
    assert form.errors["owner"] == [MSG_OWNER_CANNOT_ACT]


@pytest.mark.parametrize("name", ["agent", "auditor", "compliance", "no_role", "former"])
def test_a_person_cannot_give_an_action_to_someone_who_cannot_act(people, name):
    with pytest.raises(CouncilError, match="alguien del consejo de mejora o de supervisión"):
        action_create(
            title="Capacitar a caja",
            owner=people[name],
            due_date=timezone.localdate() + timedelta(days=10),
            causes=[cause_get()],
            created_by=people["council"],
        )
    assert not ActionItem.objects.exists()


def test_changing_the_owner_checks_the_new_one_but_an_old_owner_may_stay(people, establishment):
    old = action_create(  # made without a person choosing (an import): its owner is an agent
        title="Capacitar a caja",
        owner=people["agent"],
        due_date=timezone.localdate(),
        causes=[cause_get()],
        establishment=establishment,
    )
    scope = Scope.of(people["council"])

    with pytest.raises(CouncilError) as refused:
        action_update(action_id=old.pk, scope=scope, changes={"owner": people["auditor"]})
    assert str(refused.value) == MSG_OWNER_CANNOT_ACT
    # other fields change without forcing a new owner; then the council gives it to a supervisor
    action_update(action_id=old.pk, scope=scope, changes={"owner": people["agent"], "title": "Capacitar al equipo"})
    action_update(action_id=old.pk, scope=scope, changes={"owner": people["supervisor"]})

    old.refresh_from_db()
    assert (old.title, old.owner) == ("Capacitar al equipo", people["supervisor"])


def test_the_admin_keeps_an_old_owner_but_offers_no_one_else_who_cannot_act(client, people, establishment):
    action = action_create(
        title="Cartel de horarios",
        owner=people["agent"],
        due_date=timezone.localdate(),
        causes=[cause_get()],
        establishment=establishment,
    )
    client.force_login(people["council"])
    page = client.get(_url("actionitem", "change", action.pk))
    owner_field = page.context["adminform"].form.fields["owner"]

    assert set(owner_field.queryset) == {people[name] for name in CAN_ACT} | {people["agent"]}
    assert "(no puede actualizar la acción)" in page.content.decode()

    data = _form_data(page)
    data["owner"] = people["auditor"].pk
    response = client.post(_url("actionitem", "change", action.pk), data)
    assert response.status_code == 200
    assert _errors(response)["owner"] == [MSG_OWNER_CANNOT_ACT]

    data["owner"] = people["supervisor"].pk
    response = client.post(_url("actionitem", "change", action.pk), data)
    assert response.status_code == 302, _errors(response)
    action.refresh_from_db()
    assert action.owner == people["supervisor"]


def test_the_action_list_warns_about_an_owner_who_cannot_act(client, people):
    due = timezone.localdate() + timedelta(days=5)
    action_create(title="Cartel de horarios", owner=people["agent"], due_date=due, causes=[cause_get()])
    action_create(title="Ruta de despacho", owner=people["supervisor"], due_date=due, causes=[cause_get()])
    verified = action_create(title="Cobro con voucher", owner=people["agent"], due_date=due, causes=[cause_get()])
    ActionItem.objects.filter(pk=verified.pk).update(
        status=ActionStatus.EFFECTIVE, implemented_on=due - timedelta(weeks=9), verified_at=timezone.now()
    )
    client.force_login(people["council"])

    response = client.get(reverse("council:actions"))

    html = response.content.decode()
    # a verified action needs no more updates: its owner is not flagged
    assert [(row.action.title, row.owner_can_act) for row in response.context["rows"]] == [
        ("Cartel de horarios", False),
        ("Ruta de despacho", True),
        ("Cobro con voucher", True),
    ]
    assert html.count(WARNING) == 2  # the table row and the phone card of "Cartel de horarios"
    assert "Asígnala a alguien del consejo o de supervisión." in html  # the council may edit it
    # a supervisor reading the list sees the warning, without the advice to reassign it
    client.force_login(people["supervisor"])
    html = client.get(reverse("council:actions")).content.decode()
    assert html.count(WARNING) == 2
    assert "Asígnala" not in html
