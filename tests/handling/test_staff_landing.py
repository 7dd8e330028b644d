"""Where each role lands after logging in (and ?next= still wins), and a 403 that says which case it is: no
staff role at all, a role without access to that area, or a role that reads but may not act."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reclamaciones.access import Role

from ..factories import staff_user
from .staff_support import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_axes_clean")]


def _login(client, username: str, **params):
    url = reverse("staff:login")
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(url, {"username": username, "password": PASSWORD})


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ((Role.COUNCIL,), "council:dashboard"),  # only reads the council: straight to /consejo/
        ((Role.COMPLIANCE,), "compliance:desk"),
        ((Role.AGENT,), "staff:queue"),
        ((Role.SUPERVISOR,), "staff:queue"),  # reads the council too, but works the queue
        ((Role.AUDITOR,), "staff:queue"),
        ((Role.COUNCIL, Role.AGENT), "staff:queue"),
        ((Role.COUNCIL, Role.COMPLIANCE), "staff:queue"),
    ],
)
def test_each_role_lands_on_its_own_page(client, establishment, roles, landing):
    user = staff_user("carmen", roles[0], establishments=[establishment], password=PASSWORD)
    for role in roles[1:]:
        user.groups.add(staff_user(f"x-{role}", role).groups.get())

    response = _login(client, "carmen")

    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    assert client.get(response["Location"]).status_code == 200
    # Already logged in, the login page sends them to the same place.
    assert client.get(reverse("staff:login"))["Location"] == reverse(landing)


def test_next_wins_over_the_landing_page_except_the_queue_front_door(client, establishment):
    staff_user("carmen", Role.COUNCIL, establishments=[establishment], password=PASSWORD)

    assert _login(client, "carmen", next="/consejo/reuniones/")["Location"] == "/consejo/reuniones/"
    client.logout()
    # /gestion/ is where a bookmark or the public site's link sends everyone: not a choice of hers.
    assert _login(client, "carmen", next="/gestion/")["Location"] == reverse("council:dashboard")
    client.logout()
    assert _login(client, "carmen", next="https://evil.example.com/")["Location"] == reverse("council:dashboard")


def test_an_agent_on_the_council_is_told_her_role_does_not_include_it(client, establishment):
    client.force_login(staff_user("rosa", Role.AGENT, establishments=[establishment]))

    response = client.get(reverse("council:dashboard"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "Tu rol (Agente) no incluye el consejo de mejora" in html
    assert "no tiene un rol" not in html
    assert f'href="{reverse("staff:queue")}">Ir a tu página de inicio' in html


def test_an_agent_on_the_compliance_desk_is_told_it_is_not_part_of_her_role(client, establishment):
    client.force_login(staff_user("rosa", Role.AGENT, establishments=[establishment]))

    html = client.get(reverse("compliance:desk")).content.decode()

    assert "Tu rol (Agente) no incluye el escritorio de cumplimiento" in html
    assert "consultar las hojas" not in html


def test_a_council_member_who_tries_to_act_reads_that_her_role_only_reads(client, establishment, file_complaint):
    complaint = file_complaint(establishment=establishment)
    client.force_login(staff_user("carmen", Role.COUNCIL, establishments=[establishment]))

    response = client.post(reverse("staff:note", args=[complaint.pk]), {"text": "Hola"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "Tu rol (Consejo de mejora) permite consultar las hojas y su historial, pero no modificarlas" in html
    assert f'href="{reverse("council:dashboard")}">Ir a tu página de inicio' in html


def test_a_user_without_a_role_is_told_so_and_offered_no_home(client):
    client.force_login(staff_user("nadie", None, profile=False))

    response = client.get(reverse("council:dashboard"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "Tu usuario no tiene un rol en la gestión de reclamos" in html
    assert "Ir a tu página de inicio" not in html


def test_an_auditor_who_tries_a_compliance_tool_reads_that_only_the_compliance_role_runs_it(client, establishment):
    client.force_login(staff_user("ines", Role.AUDITOR, all_establishments=True))

    assert client.get(reverse("compliance:desk")).status_code == 200  # auditors read the desk
    response = client.get(reverse("compliance:request-new"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "Tu rol (Auditoría) permite consultar el escritorio de cumplimiento, pero no ejecutar sus" in html
    assert "rol de agente o de supervisión" not in html
