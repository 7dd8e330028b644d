"""The supervisor's team view (issue 13 §1): open, overdue and soon-due hojas per person and per establishment,
answers of the last 30 days, bulk reassignment through the same service as one assignment; supervisors only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint, ComplaintEvent
from reclamaciones.deadlines.selectors import business_calendar_get
from reclamaciones.handling.services import WorkflowError
from reclamaciones.handling.team import complaints_reassign, team_workload

from ..factories import EstablishmentFactory, hoja_answered, hoja_assigned, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(establishment, agent):
    supervisor = staff_user("sofia", Role.SUPERVISOR, establishments=[establishment], first_name="Sofía")
    other = staff_user("beto", Role.AGENT, establishments=[establishment], first_name="Beto")
    return {"agent": agent, "other": other, "supervisor": supervisor}


def _filed(file_complaint, days_ago: int):
    return file_complaint(filed_at=timezone.now() - timedelta(days=days_ago))


def test_the_workload_per_person_and_establishment(team, establishment, file_complaint):
    agent = team["agent"]
    overdue = hoja_assigned(_filed(file_complaint, 40), to=agent, by=team["supervisor"])
    hoja_assigned(_filed(file_complaint, 1), to=agent, by=team["supervisor"])
    file_complaint()  # nobody's yet
    hoja_answered(_filed(file_complaint, 3), by=agent)
    stranger = file_complaint(establishment=EstablishmentFactory())  # another establishment: not counted

    workload = team_workload(
        scope=Scope.of(team["supervisor"]), today=timezone.localdate(), calendar=business_calendar_get()
    )

    people = {p.user.username if p.user else None: p for p in workload.people}
    assert (people["ana"].open, people["ana"].overdue, people["ana"].answered) == (2, 1, 1)
    assert people["ana"].on_time_pct == 100
    assert (people[None].open, people["beto"].open) == (1, 0)
    assert workload.people[0].user is None  # the unassigned first, then the most overdue
    place = workload.establishments[0]
    assert (place.establishment, place.open, place.unassigned, place.overdue) == (establishment, 3, 1, 1)
    assert place.oldest_due == overdue.due_date
    assert stranger.establishment not in [e.establishment for e in workload.establishments]


def test_bulk_reassignment_moves_each_hoja_with_its_event(team, establishment, file_complaint):
    agent, other = team["agent"], team["other"]
    hojas = [hoja_assigned(_filed(file_complaint, d), to=agent, by=team["supervisor"]) for d in (40, 2)]

    result = complaints_reassign(from_user=agent, to_user=other, only_overdue=True, scope=Scope.of(team["supervisor"]))

    assert (result.moved, result.refused) == (1, [])
    assert Complaint.objects.get(pk=hojas[0].pk).assignee == other
    assert Complaint.objects.get(pk=hojas[1].pk).assignee == agent
    event = ComplaintEvent.objects.filter(complaint=hojas[0], type=ComplaintEvent.Type.ASSIGNED).last()
    assert (event.actor, event.data["to"]) == (team["supervisor"], other.pk)


def test_a_person_of_another_establishment_cannot_take_them(team, establishment, file_complaint):
    elsewhere = EstablishmentFactory()
    outsider = staff_user("olga", Role.AGENT, establishments=[elsewhere])
    boss = staff_user("jefa", Role.SUPERVISOR, establishments=[establishment, elsewhere])
    hoja = hoja_assigned(file_complaint(), to=team["agent"], by=boss)

    result = complaints_reassign(from_user=team["agent"], to_user=outsider, scope=Scope.of(boss))

    assert result.moved == 0
    assert result.refused[0][0] == hoja.display_number
    assert Complaint.objects.get(pk=hoja.pk).assignee == team["agent"]


def test_only_supervisors_reassign_in_bulk(team, file_complaint):
    hoja_assigned(file_complaint(), to=team["agent"], by=team["supervisor"])

    with pytest.raises(WorkflowError, match="Solo supervisión"):
        complaints_reassign(from_user=team["agent"], to_user=team["other"], scope=Scope.of(team["agent"]))
    with pytest.raises(WorkflowError, match="otra persona"):
        complaints_reassign(from_user=team["agent"], to_user=team["agent"], scope=Scope.of(team["supervisor"]))
    with pytest.raises(WorkflowError, match="no tiene hojas abiertas"):
        complaints_reassign(from_user=team["other"], to_user=team["agent"], scope=Scope.of(team["supervisor"]))


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 403), ("council", 403), ("auditor", 403), ("compliance", 403), ("supervisor", 200)],
)
def test_the_page_is_for_supervisors(client, establishment, role, status):
    user = staff_user(f"u-{role}", role, establishments=[establishment])
    client.force_login(user)

    response = client.get(reverse("staff:team"))

    assert response.status_code == status
    if status == 403:
        assert "la vista de equipo" in response.content.decode()


def test_the_page_moves_hojas_and_says_so(client, team, file_complaint):
    hoja = hoja_assigned(file_complaint(), to=team["agent"], by=team["supervisor"])
    client.force_login(team["supervisor"])

    page = client.get(reverse("staff:team")).content.decode()
    assert f"responsable={team['agent'].pk}" in page
    response = client.post(reverse("staff:team"), {"desde": team["agent"].pk, "hacia": team["other"].pk}, follow=True)

    assert "Listo: 1 hoja(s) pasaron a Beto." in response.content.decode()
    assert Complaint.objects.get(pk=hoja.pk).assignee == team["other"]
    queue = client.get(reverse("staff:queue"), {"responsable": team["other"].pk, "estado": "abiertas"})
    assert [row.complaint.pk for row in queue.context["rows"]] == [hoja.pk]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"desde": "999999", "hacia": "bandeja"},
        {"desde": "<script>", "hacia": "x\x00"},
        {"desde": "bandeja", "hacia": "bandeja"},
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, team, data):
    client.force_login(team["supervisor"])

    response = client.post(reverse("staff:team"), data)

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()


def test_an_answer_late_in_the_evening_of_the_due_day_is_on_time(team, establishment, file_complaint):
    """The Lima date counts (deadlines.rules.answered_on_time): 21:00 in Lima is already the next day in UTC."""
    from datetime import datetime, time

    lima = timezone.get_default_timezone()
    hoja = _filed(file_complaint, 20)
    evening = datetime.combine(hoja.due_date, time(21, 0), tzinfo=lima)
    hoja_answered(hoja, channel="letter", communicated_at=evening, now=evening, by=team["agent"])
    late = _filed(file_complaint, 25)
    next_morning = datetime.combine(late.due_date + timedelta(days=1), time(8, 0), tzinfo=lima)
    hoja_answered(late, channel="letter", communicated_at=next_morning, now=next_morning, by=team["agent"])

    workload = team_workload(
        scope=Scope.of(team["supervisor"]), today=timezone.localdate(), calendar=business_calendar_get()
    )

    ana = next(p for p in workload.people if p.user == team["agent"])
    assert (ana.answered, ana.answered_on_time) == (2, 1)


def test_supervisors_find_it_in_the_menu_and_agents_do_not(client, team):
    client.force_login(team["supervisor"])
    assert reverse("staff:team") in client.get(reverse("staff:queue")).content.decode()
    client.force_login(team["agent"])
    assert reverse("staff:team") not in client.get(reverse("staff:queue")).content.decode()
