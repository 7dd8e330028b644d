"""The council's action list (/consejo/acciones/): access, figures, filters, admin links, scope."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role
from reclamaciones.council.models import ActionItem, ActionStatus

from ..factories import EstablishmentFactory, cause_get, council_rights, staff_user
from .pages_support import _action

pytestmark = pytest.mark.django_db


# Action items --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(Role.COUNCIL, 200, id="council"),
        pytest.param(Role.SUPERVISOR, 200, id="supervisor"),
        pytest.param(Role.AUDITOR, 200, id="auditor"),
        pytest.param(Role.AGENT, 403, id="agent"),
    ],
)
def test_action_list_access_by_role(client, establishment, actions, role, status):
    client.force_login(staff_user("quien", role, establishments=[establishment]))

    response = client.get(reverse("council:actions"))

    assert response.status_code == status
    if status == 403:
        assert "Capacitar al equipo de caja" not in response.content.decode()


def test_action_list_needs_login_and_superusers_read_it(client, actions):
    assert client.get(reverse("council:actions")).status_code == 302
    client.force_login(User.objects.create_superuser("admin", "admin@andina.example.pe", "x"))
    assert client.get(reverse("council:actions")).status_code == 200


def test_action_list_shows_every_action_with_its_figures(client, establishment, actions):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment], perms=council_rights()))

    response = client.get(reverse("council:actions"))

    html = response.content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert [row.action for row in response.context["rows"]] == sorted(actions.values(), key=lambda a: a.due_date)
    due = (timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")
    table_row = (
        "Capacitar al equipo de caja Todos los establecimientos · meta -30 % Editar «Capacitar al equipo de caja» "
        f"TST-01 Pedro Huamán {due} Vencida Propuesta sin línea base al implementarse, +8 semanas"
    )
    assert table_row in text
    phone_card = (
        "Capacitar al equipo de caja Propuesta Todos los establecimientos · meta -30 % Causas TST-01 "
        f"Responsable Pedro Huamán Fecha límite {due} Vencida"
    )
    assert phone_card in text
    # In progress and on time, or already implemented: no red badge (one in the table, one in the phone card).
    assert text.count("Vencida") == 2
    assert "Nuevo proceso de devoluciones" in text
    assert '>TST-01</abbr>, <abbr title="Causa TST-02">TST-02</abbr>' in html
    assert "2.50 → 1.75 → por medir" in text  # baseline, target (-30 %), not measured yet
    assert "4 → 2.80 → 1.25" in text
    # The verification window itself (issue 13: "Se mide desde" showed the measuring day, not the window's start)
    measured_on = timezone.localdate() - timedelta(weeks=1)
    implemented_on = measured_on - timedelta(weeks=8)
    assert (
        f"Mide las hojas del {implemented_on:%d/%m/%Y} al {measured_on - timedelta(days=1):%d/%m/%Y} · "
        f"resultado desde el {measured_on:%d/%m/%Y}"
    ) in text
    assert "Se mide desde" not in text
    assert "al implementarse, +8 semanas" in text
    assert "Verificada el" in text
    assert 'class="status-badge action-status action-not_effective">No efectiva<' in html
    assert "¿Cómo sabemos si una acción funcionó?" in text
    assert "12 semanas anteriores" in text
    assert "reducida en el porcentaje acordado" in text
    assert f'class="nav-link active" aria-current="page" href="{reverse("council:actions")}">Acciones</a>' in html


def test_action_list_filters_by_status(client, establishment, actions):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    implemented = client.get(reverse("council:actions"), {"estado": ActionStatus.IMPLEMENTED})
    unknown = client.get(reverse("council:actions"), {"estado": "cualquiera"})
    empty = client.get(reverse("council:actions"), {"estado": ActionStatus.NOT_EFFECTIVE})

    assert [row.action for row in implemented.context["rows"]] == [actions["to_verify"]]
    html = implemented.content.decode()
    assert 'aria-current="page" href="?estado=implemented">Implementada <span class="filter-count">1</span>' in html
    assert 'href="?estado=proposed">Propuesta <span class="filter-count">1</span>' in html
    assert len(unknown.context["rows"]) == 5  # an unknown status is ignored, as in the queue
    assert unknown.context["status"] == ""
    assert [row.action for row in empty.context["rows"]] == [actions["failed"]]
    ActionItem.objects.filter(status=ActionStatus.NOT_EFFECTIVE).delete()
    none_left = client.get(reverse("council:actions"), {"estado": ActionStatus.NOT_EFFECTIVE}).content.decode()
    assert "No hay acciones en este estado." in none_left


def test_action_list_links_to_the_admin_only_with_its_permissions(client, establishment, actions):
    first = actions["overdue"]
    edit = f'href="{reverse("admin:reclamaciones_actionitem_change", args=[first.pk])}"'
    add = f'href="{reverse("admin:reclamaciones_actionitem_add")}"'

    client.force_login(
        staff_user("consejo", Role.COUNCIL, establishments=[establishment], perms=council_rights())
    )  # the council group may add and change
    council = client.get(reverse("council:actions")).content.decode()
    client.force_login(staff_user("aud", Role.AUDITOR, establishments=[establishment]))
    auditor = client.get(reverse("council:actions")).content.decode()

    assert edit in council
    assert add in council
    assert "Nueva acción" in council
    assert council.count('class="edit-link"') == 10  # one per action, in the table and in its phone card
    assert edit not in auditor
    assert add not in auditor
    assert "Nueva acción" not in auditor


def test_action_list_empty_state(client, establishment):
    client.force_login(staff_user("consejo", Role.COUNCIL, establishments=[establishment]))

    html = client.get(reverse("council:actions")).content.decode()

    assert "Todavía no hay acciones de mejora." in html


def test_actions_of_another_establishment_stay_out_of_a_scoped_readers_pages(client, establishment, actions):
    other = EstablishmentFactory()
    elsewhere = _action(
        "Señalizar la tienda de San Isidro",
        actions["overdue"].owner,
        cause_get("TST-01"),
        establishment=other,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    mine = _action(
        "Revisar la caja de Surquillo", actions["overdue"].owner, cause_get("TST-01"), establishment=establishment
    )
    client.force_login(staff_user("supervisora", Role.SUPERVISOR, establishments=[establishment]))

    listed = [row.action for row in client.get(reverse("council:actions")).context["rows"]]
    overdue = client.get(reverse("council:dashboard")).context["actions"]["overdue"]

    assert mine in listed
    assert actions["overdue"] in listed
    assert elsewhere not in listed
    assert elsewhere not in overdue
    assert actions["overdue"] in overdue
    client.force_login(staff_user("consejo-general", Role.COUNCIL, all_establishments=True))
    assert elsewhere in [row.action for row in client.get(reverse("council:actions")).context["rows"]]
