"""The back office queue: urgency order, filters, search, pagination, counters and the stale tracker warning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint
from reclamaciones.deadlines.services import deadlines_sweep

from ..factories import hoja_answered, hoja_assigned
from .staff_support import STALE_WARNING, _file_many, _filed_with_days_left

pytestmark = pytest.mark.django_db


QUEUE_QUERIES = 12  # the same for 5 and 60 rows; pinned so a per-row query shows up here; 1 is the user's
# saved views (issue 13: one query for the list, whatever its length)


def test_queue_runs_a_fixed_number_of_queries(client, agent, file_complaint, django_assert_max_num_queries):
    client.force_login(agent)
    _file_many(file_complaint, 5)
    with django_assert_max_num_queries(QUEUE_QUERIES), CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("staff:queue")).context["rows"]) == 5

    more = _file_many(file_complaint, 55)
    hoja_assigned(more[0], to=agent)  # rows with and without assignee
    with django_assert_max_num_queries(QUEUE_QUERIES), CaptureQueriesContext(connection) as many:
        response = client.get(reverse("staff:queue"), {"estado": "abiertas", "q": "Cliente", "page": 2})
        assert len(response.context["rows"]) == 25

    assert len(few) == len(many) == QUEUE_QUERIES


def test_queue_is_sorted_by_urgency_open_first(client, agent, file_complaint):
    relaxed = _filed_with_days_left(file_complaint, 10, consumer_name="Holgada")
    late = _filed_with_days_left(file_complaint, -3, consumer_name="Vencida")
    soon = _filed_with_days_left(file_complaint, 1, consumer_name="Urgente")
    done = _filed_with_days_left(file_complaint, -10, consumer_name="Respondida")
    hoja_answered(done, by=agent, text="Respuesta.")
    client.force_login(agent)

    response = client.get(reverse("staff:queue"))

    rows = response.context["rows"]
    assert [r.complaint for r in rows] == [late, soon, relaxed, done]
    assert [(r.days_left, r.tone) for r in rows] == [(-3, "overdue"), (1, "soon"), (10, "ok"), (None, "done")]
    html = response.content.decode()
    assert "Vencida hace 3 días hábiles" in html
    assert '<span class="days-pill days-soon">1 día hábil</span>' in html


def _this_week(hojas) -> set[str]:
    today = timezone.localdate()
    sunday = today + timedelta(days=6 - today.weekday())
    return {
        name
        for name, h in hojas.items()
        if name != "answered" and today <= Complaint.objects.get(pk=h.pk).due_date <= sunday
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"mine", "late", "queja", "other", "answered"}),
        ({"estado": "abiertas"}, {"mine", "late", "queja", "other"}),
        ({"estado": "answered"}, {"answered"}),
        ({"estado": "in_progress"}, {"mine"}),
        ({"tipo": "queja"}, {"queja"}),
        ({"tipo": "reclamo"}, {"mine", "late", "other", "answered"}),
        ({"mias": "on"}, {"mine"}),
        ({"sin_asignar": "on"}, {"late", "queja", "other", "answered"}),
        ({"vencidas": "on"}, {"late"}),
        ({"semana": "on"}, "this-week"),
        ({"establecimiento": "other"}, {"other"}),
        ({"q": "000000001-2026"}, {"mine", "other"}),  # the first hoja of each book
        ({"q": "1"}, {"mine", "other"}),
        ({"q": "42222222"}, {"late"}),
        ({"q": "ce0012345"}, {"other"}),
        ({"q": "díaz"}, {"queja"}),
        ({"q": "Lucía Ramos"}, {"mine"}),
        ({"q": "nadie así"}, set()),
        ({"q": "Jorge", "vencidas": "on"}, {"late"}),
        ({"estado": "no-existe"}, {"mine", "late", "queja", "other", "answered"}),  # invalid values are ignored
        ({"estado": "no-existe", "tipo": "queja"}, {"queja"}),  # ...and the valid ones still apply
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_queue_filters_and_search(client, mixed, other_establishment, params, expected):
    supervisor, hojas = mixed
    client.force_login(supervisor)
    params = dict(params)
    if params.get("establecimiento") == "other":
        params["establecimiento"] = other_establishment.pk
    if params.get("q") == "000000001-2026":
        params["q"] = hojas["other"].display_number  # the year is this year's
    if expected == "this-week":
        expected = _this_week(hojas)

    response = client.get(reverse("staff:queue"), params)

    found = {name for name, h in hojas.items() if h in [r.complaint for r in response.context["rows"]]}
    assert found == expected


def test_search_by_number_with_and_without_zeros(client, agent, file_complaint):
    hojas = _file_many(file_complaint, 12)
    twelfth = hojas[11]
    client.force_login(agent)

    for query in (twelfth.display_number, f"{twelfth.number}-{twelfth.year}", str(twelfth.number), "Nº 12"):
        rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]
        assert [r.complaint for r in rows] == [twelfth], query


def test_queue_pagination_keeps_the_filters(client, agent, file_complaint):
    _file_many(file_complaint, 60)
    client.force_login(agent)

    first = client.get(reverse("staff:queue"), {"estado": "abiertas"})
    second = client.get(reverse("staff:queue"), {"estado": "abiertas", "cursor": first.context["page"].next_cursor})
    last = client.get(reverse("staff:queue"), {"estado": "abiertas", "cursor": second.context["page"].next_cursor})

    assert len(first.context["rows"]) == 25
    assert len(last.context["rows"]) == 10
    next_link = f"?estado=abiertas&amp;cursor={first.context['page'].next_cursor}"
    assert f'href="{next_link}" rel="next">Siguiente</a>' in first.content.decode()
    assert "Mostrando 51–60 de 60 hojas" in last.content.decode()
    assert not last.context["page"].has_next


def test_queue_counters(client, mixed):
    supervisor, _ = mixed
    client.force_login(supervisor)

    summary = client.get(reverse("staff:queue")).context["summary"]

    assert (summary["open"], summary["overdue"], summary["unassigned"], summary["mine"]) == (4, 1, 3, 1)


def test_queue_warns_when_the_deadline_tracker_is_stale(client, agent, hoja):
    client.force_login(agent)
    assert STALE_WARNING in client.get(reverse("staff:queue")).content.decode()  # never ran

    deadlines_sweep(now=timezone.now(), scope=Scope.everything())

    assert STALE_WARNING not in client.get(reverse("staff:queue")).content.decode()
