"""Pinned query counts of the council's action list (/consejo/acciones/) and meeting page
(/consejo/reuniones/<pk>/): more actions, causes, linked hojas or attendees never mean more queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.models import ActionStatus, CouncilMeeting
from reclamaciones.council.services import action_status_set, meeting_agenda_generate

from ..factories import EstablishmentFactory, action_item, cause_get, hoja_filed, staff_user

pytestmark = pytest.mark.django_db

ACTION_LIST_QUERIES = 10  # measured: the same for 4 and 12 actions (issue 13: +1, which owners can act)
# measured: the same for 2 and 8 decisions, 2 and 6 attendees (issue 13: +1 net, the reader's establishments to
# scope the meeting and, for the council, the new-decision form's cause and owner choices, one query each)
MEETING_QUERIES = 11


def _actions(n: int, start: int, establishment, **fields) -> list:
    """`n` actions, each with its own owner, two causes, a linked hoja and a status change in its history."""
    made = []
    for i in range(start, start + n):
        owner = staff_user(f"duena{i}", profile=False, is_staff=False, first_name=f"Dueña {i}")
        causes = [cause_get(f"TST-{i % 5:02d}"), cause_get(f"TST-{(i + 1) % 5:02d}")]
        hoja = hoja_filed(establishment, doc_number=f"4{i:07d}")
        action = action_item(
            f"Acción de mejora {i}",
            owner=owner,
            causes=causes,
            complaints=[hoja],
            establishment=establishment if i % 2 else None,
            due_in_days=i - 3,  # some overdue
            **fields,
        )
        action_status_set(action=action, status=ActionStatus.IN_PROGRESS, actor=owner)
        made.append(action)
    return made


def test_the_action_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    establishment = EstablishmentFactory()
    _actions(4, 0, establishment)
    client.force_login(staff_user("consejo", Role.COUNCIL, all_establishments=True))
    url = reverse("council:actions")

    with django_assert_num_queries(ACTION_LIST_QUERIES):
        response = client.get(url)
    assert response.status_code == 200

    _actions(8, 4, EstablishmentFactory())
    with django_assert_num_queries(ACTION_LIST_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("Acción de mejora") >= 12


def test_the_meeting_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    establishment = EstablishmentFactory()
    for days_ago in (3, 10, 20):
        hoja_filed(establishment, filed_at=timezone.now() - timedelta(days=days_ago))
    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate(), minutes="Se revisaron los retrasos.")
    meeting.attendees.set([staff_user(f"consejo{i}", Role.COUNCIL, all_establishments=True) for i in range(2)])
    _actions(2, 0, establishment, meeting=meeting)
    meeting_agenda_generate(meeting=meeting, scope=Scope.everything())
    client.force_login(staff_user("lectora", Role.COUNCIL, all_establishments=True))
    url = reverse("council:meeting", args=[meeting.pk])

    with django_assert_num_queries(MEETING_QUERIES):
        response = client.get(url)
    assert response.status_code == 200

    meeting.attendees.add(*[staff_user(f"consejo{i}", Role.COUNCIL, all_establishments=True) for i in range(2, 6)])
    _actions(6, 2, establishment, meeting=meeting)
    with django_assert_num_queries(MEETING_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("Acción de mejora") >= 8
