"""GET /api/v1/hojas/: the hojas changed since a cursor, in a stable order, with a settle lag so that a
transaction committing after a later one is never left behind the cursor; pinned query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reclamaciones.api.selectors import client_scope, complaint_changes
from reclamaciones.book.models import Complaint

from ..factories import hoja_answered, hoja_filed

pytestmark = pytest.mark.django_db

LIST_QUERIES = 3  # the token, the client's establishments, one page of hojas with their answers and filings
DETAIL_QUERIES = 3  # the token, the client's establishments, the hoja with its answer and filing


def _age(hojas, seconds: float) -> None:
    """Make these hojas' last change `seconds` old (what the clock does while the feed waits)."""
    for hoja in hojas:
        Complaint.objects.filter(pk=hoja.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


def _shift(seconds: float) -> None:
    """Let `seconds` pass for every hoja's last change."""
    for pk, updated_at in Complaint.objects.values_list("pk", "updated_at"):
        Complaint.objects.filter(pk=pk).update(updated_at=updated_at - timedelta(seconds=seconds))


def _ids(response) -> list[int]:
    return [h["id"] for h in response.json()["results"]]


def test_pages_through_every_hoja_once_in_a_stable_order(api, shop, store, stranger, no_lag):
    hojas = [hoja_filed(shop if i % 2 else store) for i in range(7)]
    hoja_filed(stranger)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/hojas/", **params).json()
        seen += [h["id"] for h in body["results"]]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            break

    assert seen == [h.pk for h in sorted(hojas, key=lambda h: (h.updated_at, h.pk))]
    assert pages == 3
    assert api.get("/hojas/", cursor=cursor).json() == {"results": [], "next_cursor": cursor, "has_more": False}


def test_a_changed_hoja_comes_again_with_its_answer(api, shop, no_lag):
    hoja = hoja_filed(shop)
    first = api.get("/hojas/").json()
    assert _ids_of(first) == [hoja.pk]

    hoja_answered(hoja)

    body = api.get("/hojas/", cursor=first["next_cursor"]).json()
    assert _ids_of(body) == [hoja.pk]
    assert body["results"][0]["status"] == "answered"
    assert body["results"][0]["answer"]["text"].startswith("Le devolvemos")


def _ids_of(body) -> list[int]:
    return [h["id"] for h in body["results"]]


def test_the_settle_lag_keeps_a_late_commit_ahead_of_the_cursor(api, shop, settings):
    """A stamped its change long ago, C just now; B's transaction stamped its change before C's but commits
    after the first read. The cursor must not have passed B."""
    settings.RECLAMACIONES_API_SETTLE_SECONDS = 30
    a, c = hoja_filed(shop), hoja_filed(shop)
    _age([a], 120)
    _age([c], 5)
    first = api.get("/hojas/")
    assert _ids(first) == [a.pk]  # C is too recent to be listed yet

    b = hoja_filed(shop)  # the late commit: its change stamped before C's
    _age([b], 20)
    assert _ids(api.get("/hojas/", cursor=first.json()["next_cursor"])) == []

    _shift(60)
    assert _ids(api.get("/hojas/", cursor=first.json()["next_cursor"])) == [b.pk, c.pk]


def test_without_the_lag_the_late_commit_would_be_skipped(api, shop, no_lag):
    """Why the lag exists (the same story with RECLAMACIONES_API_SETTLE_SECONDS = 0)."""
    a, c = hoja_filed(shop), hoja_filed(shop)
    _age([a], 120)
    _age([c], 5)
    first = api.get("/hojas/")
    b = hoja_filed(shop)
    _age([b], 20)

    assert _ids(first) == [a.pk, c.pk]
    assert b.pk not in _ids(api.get("/hojas/", cursor=first.json()["next_cursor"]))


def test_a_tampered_or_foreign_cursor_is_400(api, shop, client, provider, no_lag):
    from reclamaciones.api.services import api_client_create, api_token_issue

    from .conftest import Api

    hoja_filed(shop)
    cursor = api.get("/hojas/").json()["next_cursor"]
    other, _secret = api_client_create(name="Otra", provider_id=provider.pk)
    other_api = Api(client, api_token_issue(client=other)[1])

    for bad in (cursor[:-2] + "xx", "no-es-un-cursor", "\x00", "a" * 5000):
        response = api.get("/hojas/", cursor=bad)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"
    assert other_api.get("/hojas/", cursor=cursor).status_code == 400


def test_the_page_size_is_limited(api, settings, no_lag):
    settings.RECLAMACIONES_API_PAGE_MAX = 50

    for bad in ("0", "51", "-1", "diez", "1e3"):
        response = api.get("/hojas/", limit=bad)
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "invalid_limit",
            "message": "limit debe ser un número entre 1 y 50.",
        }
    assert api.get("/hojas/", limit="50").status_code == 200


def test_the_list_runs_a_fixed_number_of_queries(api, shop, store, no_lag, django_assert_num_queries):
    api.get("/hojas/")  # records the token's last use (at most once a minute)
    for i in range(2):
        hoja_answered(hoja_filed(shop if i else store))
    with django_assert_num_queries(LIST_QUERIES):
        assert len(api.get("/hojas/").json()["results"]) == 2

    for i in range(6):
        hoja_answered(hoja_filed(shop if i % 2 else store))
    with django_assert_num_queries(LIST_QUERIES):
        assert len(api.get("/hojas/").json()["results"]) == 8


def test_one_hoja_and_the_establishments_run_a_fixed_number_of_queries(api, shop, django_assert_num_queries):
    hoja = hoja_answered(hoja_filed(shop))
    api.get("/establecimientos/")

    with django_assert_num_queries(DETAIL_QUERIES):
        assert api.get(f"/hojas/{hoja.pk}/").json()["answer"] is not None
    with django_assert_num_queries(DETAIL_QUERIES):
        assert api.get(f"/establecimientos/{shop.code}/hojas/{hoja.display_number}/").status_code == 200
    with django_assert_num_queries(3):
        assert api.get("/establecimientos/").status_code == 200


@pytest.mark.postgres
def test_the_feed_is_a_range_scan_of_its_index_with_no_sort(api_client, shop):
    hoja = hoja_filed(shop)
    page = complaint_changes(
        scope=client_scope(client=api_client), after=(hoja.updated_at, hoja.pk), until=timezone.now(), limit=101
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a table this small would rightly be read whole
        try:
            plan = page.explain()
        finally:
            cursor.execute("RESET enable_seqscan")

    assert "complaint_updated_idx" in plan
    assert "Sort" not in plan


def test_a_due_date_moved_by_a_new_non_working_day_is_in_the_feed(api, shop, no_lag):
    from reclamaciones.access import Scope
    from reclamaciones.deadlines.models import NonWorkingDay
    from reclamaciones.deadlines.services import deadlines_recompute

    hoja = hoja_filed(shop)
    cursor = api.get("/hojas/").json()["next_cursor"]
    day = timezone.localdate(hoja.filed_at) + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    NonWorkingDay.objects.create(date=day, description="Feriado nuevo", legal_source="Ley de prueba")

    assert deadlines_recompute(changed_on=day, reason="feriado", scope=Scope.everything()) == 1

    moved = api.get("/hojas/", cursor=cursor).json()["results"]
    assert [h["id"] for h in moved] == [hoja.pk]
    assert moved[0]["due_date"] != hoja.due_date.isoformat()
