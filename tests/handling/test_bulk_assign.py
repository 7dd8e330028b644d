"""Bulk assign from the queue (handling.bulk_assign): supervisors check hojas and give them to one person (or back
to the queue) in one transaction; out-of-scope hojas refuse everything (404), closed ones are skipped and listed,
an assignee who does not work for a hoja's establishment refuses everything with a Spanish message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import ComplaintEvent
from reclamaciones.handling.bulk_assign import (
    BULK_LIMIT,
    MSG_PICK_HOJAS,
    MSG_SUPERVISORS_ONLY,
    MSG_TOO_MANY,
    HojasOutOfScope,
    complaints_bulk_assign,
)
from reclamaciones.handling.services import WorkflowError

from ..factories import hoja_answered, hoja_assigned, hoja_closed, staff_user
from .staff_support import PASSWORD, _file_many
from .test_queue import QUEUE_QUERIES

pytestmark = pytest.mark.django_db

URL = "staff:bulk-assign"


@pytest.fixture
def supervisor(establishment):
    return staff_user("sofia", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD, first_name="Sofía")


@pytest.fixture
def lead(establishment, other_establishment):
    """A supervisor of both establishments."""
    return staff_user("lucia", Role.SUPERVISOR, establishments=[establishment, other_establishment], first_name="Lucía")


def _assigned_events(hoja) -> int:
    return ComplaintEvent.objects.filter(complaint=hoja, type=ComplaintEvent.Type.ASSIGNED).count()


def test_a_supervisor_assigns_the_checked_hojas_with_one_event_each(client, supervisor, agent, file_complaint):
    first, second, third = _file_many(file_complaint, 3)
    third = hoja_assigned(third, to=agent)
    client.force_login(supervisor)

    response = client.post(
        reverse(URL) + "?estado=abiertas",
        {"hojas": [first.pk, second.pk, third.pk], "responsable": agent.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue") + "?estado=abiertas"
    for hoja in (first, second, third):
        hoja.refresh_from_db()
        assert hoja.assignee == agent
    assert (_assigned_events(first), _assigned_events(second), _assigned_events(third)) == (1, 1, 1)
    flash = client.get(response["Location"]).content.decode()
    assert "Listo: 2 hojas asignadas a Ana. 1 hoja ya estaba así." in flash


def test_back_to_the_queue_and_every_hoja_of_the_page_without_javascript(client, supervisor, agent, file_complaint):
    hojas = [hoja_assigned(h, to=agent) for h in _file_many(file_complaint, 3)]
    client.force_login(supervisor)

    client.post(reverse(URL), {"toda_la_pagina": "on", "pagina": [h.pk for h in hojas], "responsable": "bandeja"})

    for hoja in hojas:
        hoja.refresh_from_db()
        assert hoja.assignee is None


def test_hojas_no_longer_in_progress_are_skipped_and_listed(client, supervisor, agent, file_complaint):
    open_hoja, closing, answering = _file_many(file_complaint, 3)
    closed = hoja_closed(closing, by=agent)
    answered = hoja_answered(answering, by=agent)
    client.force_login(supervisor)
    assert "Las que ya no están en trámite se omiten." in client.get(reverse("staff:queue")).content.decode()

    response = client.post(reverse(URL), {"hojas": [open_hoja.pk, closed.pk], "responsable": agent.pk}, follow=True)

    html = response.content.decode()
    assert f"1 hoja que ya no está en trámite no se tocó: Nº {closed.display_number}" in html
    response = client.post(reverse(URL), {"hojas": [closed.pk, answered.pk], "responsable": "bandeja"}, follow=True)
    assert "2 hojas que ya no están en trámite no se tocaron: Nº" in response.content.decode()
    closed.refresh_from_db()
    assert closed.assignee_id is None
    assert _assigned_events(closed) == 0


def test_an_out_of_scope_hoja_refuses_everything(client, supervisor, agent, file_complaint, hoja_b):
    mine = _file_many(file_complaint, 1)[0]
    client.force_login(supervisor)

    response = client.post(reverse(URL), {"hojas": [mine.pk, hoja_b.pk], "responsable": agent.pk})

    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.assignee is None
    assert _assigned_events(mine) == 0


def test_an_assignee_who_does_not_work_there_refuses_everything(client, lead, agent, file_complaint, hoja_b):
    mine = _file_many(file_complaint, 1)[0]
    client.force_login(lead)

    response = client.post(reverse(URL), {"hojas": [mine.pk, hoja_b.pk], "responsable": agent.pk})

    assert response.status_code == 409
    html = response.content.decode()
    assert f"Ana no atiende el establecimiento de la hoja: Nº {hoja_b.display_number}" in html
    assert "No se cambió ninguna hoja" in html
    mine.refresh_from_db()
    assert mine.assignee is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"responsable": "bandeja"}, MSG_PICK_HOJAS),
        ({"hojas": ["x"], "responsable": "bandeja"}, MSG_PICK_HOJAS),
        ({"hojas": ["1"]}, "Elige a quién asignar las hojas"),
        ({"hojas": ["1"], "responsable": "999999"}, "Elige a una persona de la lista."),
    ],
)
def test_bad_input_gets_a_spanish_message_and_a_400(client, supervisor, data, message):
    client.force_login(supervisor)

    response = client.post(reverse(URL), data)

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("role", ["agent", "council", "auditor", "compliance", "no-role"])
def test_only_supervisors_assign_in_bulk(client, users, hoja, role):
    client.force_login(users[role])

    response = client.post(reverse(URL), {"hojas": [hoja.pk], "responsable": "bandeja"})

    assert response.status_code == 403
    assert _assigned_events(hoja) == 0


def test_more_hojas_than_the_limit_is_a_bad_request(client, supervisor, hoja):
    client.force_login(supervisor)

    response = client.post(reverse(URL), {"hojas": list(range(1, BULK_LIMIT + 2)), "responsable": "bandeja"})

    assert response.status_code == 400
    assert MSG_TOO_MANY in response.content.decode()
    assert _assigned_events(hoja) == 0


def test_the_service_refuses_non_supervisors_and_unknown_hojas(agent, supervisor, hoja):
    with pytest.raises(WorkflowError, match=MSG_SUPERVISORS_ONLY):
        complaints_bulk_assign(complaint_ids=[hoja.pk], assignee=None, scope=Scope.of(agent))
    with pytest.raises(HojasOutOfScope):
        complaints_bulk_assign(complaint_ids=[hoja.pk, hoja.pk + 999], assignee=agent, scope=Scope.of(supervisor))


def test_only_supervisors_see_the_checkboxes(client, agent, supervisor, hoja):
    client.force_login(agent)
    agent_html = client.get(reverse("staff:queue")).content.decode()
    client.force_login(supervisor)
    supervisor_html = client.get(reverse("staff:queue")).content.decode()

    for html, shown in ((agent_html, False), (supervisor_html, True)):
        assert ('name="hojas"' in html) is shown
        assert (reverse(URL) in html) is shown
    assert 'aria-label="Seleccionar la hoja Nº' in supervisor_html
    assert "Todas las de esta página (1)" in supervisor_html


def test_the_supervisors_queue_adds_two_queries_whatever_the_rows(client, supervisor, file_complaint):
    """QUEUE_QUERIES (the agent's pin) plus the people the bulk bar offers and the «Por aprobar» counter
    (approval_views.queue_bulk_context), one query each for any page."""
    client.force_login(supervisor)
    _file_many(file_complaint, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("staff:queue"))
    _file_many(file_complaint, 30)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("staff:queue"))

    assert len(few) == len(many) == QUEUE_QUERIES + 2
