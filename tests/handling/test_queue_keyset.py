"""The queue's keyset pages (issue 11): the order across page boundaries both ways, filters kept while paging,
accent-insensitive name search, exact document search, and the scope never widened by a cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import OPEN_STATUSES, Complaint
from reclamaciones.handling.selectors import QueueCursor, complaint_queue, complaint_queue_page

from ..factories import hoja_answered, staff_user
from .staff_support import PASSWORD, _filed_with_days_left

pytestmark = pytest.mark.django_db


def _expected(hojas) -> list[int]:
    """The queue's order, spelled out: open by (due date, id), then the rest newest first."""
    rows = list(Complaint.objects.filter(pk__in=[h.pk for h in hojas]))
    opened = sorted((c for c in rows if c.status in OPEN_STATUSES), key=lambda c: (c.due_date, c.pk))
    closed = sorted((c for c in rows if c.status not in OPEN_STATUSES), key=lambda c: (c.filed_at, c.pk), reverse=True)
    return [c.pk for c in opened + closed]


def _walk(scope, *, size, **filters) -> tuple[list[list[int]], list[list[int]]]:
    """Every page forwards from the first, then every page backwards from the last."""
    today = timezone.localdate()
    forwards, page = [], complaint_queue_page(scope=scope, today=today, size=size, **filters)
    forwards.append([c.pk for c in page.object_list])
    starts = [page.start_index]
    while page.has_next:
        page = complaint_queue_page(scope=scope, today=today, size=size, cursor=page.next_cursor, **filters)
        forwards.append([c.pk for c in page.object_list])
        starts.append(page.start_index)
    assert starts == ([1 + size * i for i in range(len(forwards))] if forwards[0] else [0])
    backwards = [forwards[-1]]
    while page.has_previous:
        page = complaint_queue_page(scope=scope, today=today, size=size, cursor=page.previous_cursor, **filters)
        backwards.insert(0, [c.pk for c in page.object_list])
    assert page.start_index == (1 if forwards[0] else 0)
    return forwards, backwards


@pytest.fixture
def book(file_complaint, establishment, agent):
    """Open hojas due on a few days (several on the same day: ties) and answered ones filed on different days."""
    hojas = []
    for days_left in (5, -2, 5, 0, 9, -2, 5, 12, 1, 0, 5):
        hojas.append(_filed_with_days_left(file_complaint, days_left, consumer_name=f"Abierta {len(hojas)}"))
    for back in (1, 30, 3, 7, 2, 20, 11):
        answered = file_complaint(filed_at=timezone.now() - timedelta(days=back), consumer_name=f"Cerrada {back}")
        hojas.append(hoja_answered(answered, by=agent, text="Resuelto."))
    return hojas


@pytest.mark.parametrize("size", [1, 3, 4, 25])
def test_pages_follow_the_queue_order_across_the_boundary_both_ways(book, agent, size):
    expected = _expected(book)
    assert len({c.status in OPEN_STATUSES for c in Complaint.objects.all()}) == 2  # both segments

    forwards, backwards = _walk(Scope.of(agent), size=size)

    assert [pk for page in forwards for pk in page] == expected
    assert all(len(page) == size for page in forwards[:-1])
    assert backwards == forwards
    # The exports read every row at once in the same order.
    assert [c.pk for c in complaint_queue(scope=Scope.of(agent), today=timezone.localdate())] == expected


def test_a_page_that_straddles_the_segments_over_http(client, book, agent, file_complaint):
    for i in range(19):  # 30 open, 7 answered: page 1 is open only, page 2 ends the open ones and starts the rest
        book.append(_filed_with_days_left(file_complaint, i % 4, consumer_name=f"Más {i}"))
    expected = _expected(book)
    client.force_login(agent)

    first = client.get(reverse("staff:queue"))
    second = client.get(reverse("staff:queue"), {"cursor": first.context["page"].next_cursor})
    back = client.get(reverse("staff:queue"), {"cursor": second.context["page"].previous_cursor})

    assert [r.complaint.pk for r in first.context["rows"]] == expected[:25]
    assert [r.complaint.pk for r in second.context["rows"]] == expected[25:]
    assert [r.tone == "done" for r in second.context["rows"]] == [False] * 5 + [True] * 7
    assert [r.complaint.pk for r in back.context["rows"]] == expected[:25]
    html = second.content.decode()
    assert "Mostrando 26–37 de 37 hojas" in html
    assert 'rel="prev">Anterior</a>' in html
    assert "Siguiente" not in html


def test_filters_are_kept_while_paging(client, file_complaint, establishment, other_establishment, monkeypatch):
    supervisor = staff_user(
        "sofia", Role.SUPERVISOR, establishments=[establishment, other_establishment], password=PASSWORD
    )
    hojas = []
    for i in range(7):
        for where in (establishment, other_establishment):
            kind = "queja" if i % 2 else "reclamo"
            hojas.append(
                _filed_with_days_left(file_complaint, i - 2, establishment=where, kind=kind, consumer_name=f"Ana {i}")
            )
    for h in hojas[-4:]:
        hoja_answered(h, by=supervisor, text="Listo.")
    wanted = [h for h in hojas if h.establishment_id == other_establishment.pk and h.kind == "reclamo"]

    forwards, backwards = _walk(
        Scope.of(supervisor), size=2, establishment_id=other_establishment.pk, kind="reclamo", query="ana"
    )
    assert [pk for page in forwards for pk in page] == _expected(wanted)
    assert backwards == forwards

    overdue = [h for h in hojas if Complaint.objects.get(pk=h.pk).status in OPEN_STATUSES]
    overdue = [h for h in overdue if Complaint.objects.get(pk=h.pk).due_date < timezone.localdate()]
    assert len(overdue) == 4
    forwards, _ = _walk(Scope.of(supervisor), size=1, overdue=True)
    assert [pk for page in forwards for pk in page] == _expected(overdue)

    # Over HTTP: the "Siguiente" link carries the filters and the cursor, and the next page keeps them.
    monkeypatch.setattr("reclamaciones.handling.views.PAGE_SIZE", 2)
    client.force_login(supervisor)
    params = {"establecimiento": other_establishment.pk, "tipo": "reclamo", "estado": "abiertas"}
    first = client.get(reverse("staff:queue"), params)
    cursor = first.context["page"].next_cursor
    assert cursor
    assert f"tipo=reclamo&amp;estado=abiertas&amp;cursor={cursor}" in first.content.decode()
    second = client.get(reverse("staff:queue"), {**params, "cursor": cursor})
    shown = [r.complaint for r in first.context["rows"] + second.context["rows"]]
    assert all(c.establishment_id == other_establishment.pk and c.kind == "reclamo" for c in shown)
    assert all(c.status in OPEN_STATUSES for c in shown)
    assert len(shown) == len({c.pk for c in shown}) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nahui", {"enie", "plain"}),  # typed without the Ñ: finds both
        ("Ñahui", {"enie", "plain"}),  # typed with it: finds the one filed without it too
        ("ÑAHUI", {"enie", "plain"}),
        ("núñez", {"enie", "nunez"}),
        ("NUNEZ", {"enie", "nunez"}),
        ("maria", {"enie"}),
        ("josé", {"plain"}),
        ("Jose Nahui", {"plain"}),
        ("ahu", {"enie", "plain"}),
        ("50%", set()),  # LIKE wildcards are literal
        ("_", set()),
    ],
)
def test_name_search_ignores_accents_and_case_both_ways(client, agent, file_complaint, query, expected):
    hojas = {
        "enie": file_complaint(consumer_name="María Núñez Ñahui", doc_number="45805689"),
        "plain": file_complaint(consumer_name="JOSE NAHUI PEREZ", doc_number="40000001"),
        "nunez": file_complaint(consumer_name="Pedro Nunez", doc_number="40000002"),
        "other": file_complaint(consumer_name="Rosa Quispe", doc_number="40000003"),
    }
    client.force_login(agent)

    rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]

    assert {name for name, h in hojas.items() if h.pk in {r.complaint.pk for r in rows}} == expected


def test_document_search_is_exact_on_the_normalized_number(client, agent, file_complaint):
    dni = file_complaint(consumer_name="María Núñez", doc_number="45805689")
    file_complaint(consumer_name="Otra Persona", doc_number="45805680")
    file_complaint(consumer_name="Otra Más", doc_number="145805689")
    client.force_login(agent)

    for query in ("45805689", " 45.805.689 ", "45805-689"):
        rows = client.get(reverse("staff:queue"), {"q": query}).context["rows"]
        assert [r.complaint.pk for r in rows] == [dni.pk], query
    assert client.get(reverse("staff:queue"), {"q": "4580568"}).context["rows"] == []  # no partial match


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
def test_the_search_sql_has_no_upper_and_reads_the_normalized_name():
    from reclamaciones.handling.selectors import search_q

    sql = str(Complaint.objects.filter(search_q("Ñahui 45805689")).query)
    assert "UPPER(" not in sql
    assert "reclamaciones_search_text" in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT reclamaciones_search_text('MARÍA NÚÑEZ ÑAHUI Ü')")
        assert cursor.fetchone()[0] == "maria nunez nahui u"
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'reclamaciones_complaint' AND indexname IN "
            "('complaint_name_trgm_idx', 'complaint_open_due_idx', 'complaint_unassigned_filed_idx')"
        )
        assert len(cursor.fetchall()) == 3


def test_hojas_out_of_scope_are_never_listed(client, agent, file_complaint, other_establishment):
    mine = [_filed_with_days_left(file_complaint, d, consumer_name="Lucía Ñahui") for d in (3, 1, 7)]
    theirs = [
        _filed_with_days_left(
            file_complaint, d, consumer_name="Lucía Ñahui", doc_number="47777777", establishment=other_establishment
        )
        for d in (2, 0, 5, -1)
    ]
    hoja_answered(theirs[0], by=staff_user("berta", Role.AGENT, establishments=[other_establishment]), text="Ok.")
    scope = Scope.of(agent)

    forwards, backwards = _walk(scope, size=1)
    assert [pk for page in forwards for pk in page] == _expected(mine)
    assert backwards == forwards
    for filters in ({"query": "nahui"}, {"query": "47777777"}, {"establishment_id": other_establishment.pk}):
        forwards, _ = _walk(scope, size=2, **filters)
        assert not {pk for page in forwards for pk in page} & {h.pk for h in theirs}, filters

    # A cursor built from another establishment's hoja (a crafted link) pages through the agent's own only.
    today = timezone.localdate()
    for hoja in theirs:
        hoja = Complaint.objects.get(pk=hoja.pk)
        for forward in (True, False):
            cursor = QueueCursor.of(hoja, forward=forward, position=2).encode()
            page = complaint_queue_page(scope=scope, today=today, cursor=cursor)
            assert {c.pk for c in page.object_list} <= {h.pk for h in mine}
    client.force_login(agent)
    response = client.get(reverse("staff:queue"), {"q": "47777777"})
    assert response.context["rows"] == []
    assert response.context["summary"]["open"] == 3


@pytest.mark.parametrize("cursor", ["", "x", "s.o.2026-02-30.1.1", "s.c.abc.1.1", "a.o.2026-01-01.0.1", "s.c.1.1"])
def test_a_tampered_cursor_shows_the_first_page(client, agent, file_complaint, cursor):
    hojas = [_filed_with_days_left(file_complaint, d) for d in (4, 2)]
    client.force_login(agent)

    rows = client.get(reverse("staff:queue"), {"cursor": cursor}).context["rows"]

    assert [r.complaint.pk for r in rows] == _expected(hojas)


def test_a_deep_page_runs_as_many_queries_as_the_first(client, agent, file_complaint, django_assert_num_queries):
    from .test_queue import QUEUE_QUERIES

    for i in range(60):
        file_complaint(consumer_name=f"Cliente {i:02d}", doc_number=f"4{i:07d}")
    client.force_login(agent)
    page = client.get(reverse("staff:queue")).context["page"]
    page = client.get(reverse("staff:queue"), {"cursor": page.next_cursor}).context["page"]

    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("staff:queue"), {"cursor": page.next_cursor})
    assert "Mostrando 51–60 de 60 hojas" in response.content.decode()
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("staff:queue"), {"cursor": response.context["page"].previous_cursor})
    assert "Mostrando 26–50 de 60 hojas" in response.content.decode()
