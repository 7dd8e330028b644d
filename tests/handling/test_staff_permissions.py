"""Back office permissions: the role x action matrix, POST-only actions and the establishment scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.handling.forms import DATETIME_LOCAL

from .staff_support import ANSWER, _csv_rows, _login, _xlsx_rows

pytestmark = pytest.mark.django_db


ROLES = ["anonymous", "no-role", "agent", "supervisor", "council", "auditor", "compliance", "superuser"]
ACTORS = {"agent", "supervisor", "superuser"}  # act on hojas; council, auditors and compliance read them
TRANSCRIBERS = {"agent", "supervisor", "compliance", "superuser"}  # type a paper backup-book sheet (art. 4-A)
SUPERVISORS = {"supervisor", "superuser"}  # decide the old-regime extension


def _transcription(hoja) -> dict:
    """A valid paper sheet of the user's own establishment (`hoja`'s), filled in this minute."""
    return {
        "establishment": hoja.establishment_id,
        "backup_sheet_number": "000000007-2026",
        "paper_filed_at": timezone.localtime().strftime(DATETIME_LOCAL),
        "consumer_name": "Rosa Díaz",
        "doc_type": "dni",
        "doc_number": "43333333",
        "consumer_email": "rosa@example.pe",
        "currency": "PEN",
        "detail": "Me cobraron dos veces.",
    }


# (url name, method, needs a hoja, POST data (or a function of the in-scope hoja), status for someone who may
# act, status for a reader[, who may act when not ACTORS])
URLS = [
    ("queue", "get", False, None, 200, 200),
    ("export-csv", "get", False, None, 200, 200),
    ("export-xlsx", "get", False, None, 200, 200),
    # Saved personal queue views: everyone who reads the queue (renaming or deleting someone else's: a 404,
    # tests/handling/test_agent_flow.py).
    ("saved-views", "get", False, None, 200, 200),
    ("saved-views", "post", False, {"vista-name": "Mis vencidas", "vista-consulta": "vencidas=on"}, 302, 302),
    ("detail", "get", True, None, 200, 200),
    ("pdf", "get", True, None, 200, 200),
    ("answer", "get", True, None, 200, 403),
    ("answer", "post", True, ANSWER, 200, 403),  # the preview
    ("answer-send", "post", True, ANSWER, 302, 403),
    ("assign", "post", True, {"assign-assignee": ""}, 302, 403),
    ("note", "post", True, {"note-text": "Llamé al cliente."}, 302, 403),
    ("reclassify", "post", True, {"reclassify-kind": "queja", "reclassify-reason": "Es sobre la atención."}, 302, 403),
    ("offer", "post", True, {"offer-text": "Le cambiamos el equipo."}, 302, 403),
    ("close", "post", True, {}, 302, 403),
    ("remedy", "post", True, {"remedy-what_done": "Devolución hecha."}, 302, 403),  # open hoja: back with why
    ("good-type", "post", True, {"good_type-good_type": "ambos"}, 302, 403),
    # The approval step (handling.approvals): supervisors decide; no such request here, so back on the hoja.
    ("approval-grant", "post", True, {"solicitud": "999999"}, 302, 403, SUPERVISORS),
    ("approval-refuse", "post", True, {"solicitud": "999999", "motivo": "Falta el plazo."}, 302, 403, SUPERVISORS),
    # Bulk assign from the queue: supervisors; back to the queue.
    ("bulk-assign", "post", False, lambda hoja: {"hojas": [hoja.pk], "responsable": "bandeja"}, 302, 403, SUPERVISORS),
    # A Ley 31435 hoja: the service refuses (improrrogable) and the supervisor lands back on it; agents get a 403.
    ("extend", "post", True, {"extend-days": "10", "extend-reason": "Peritaje."}, 302, 403, SUPERVISORS),
    ("transcribe", "get", False, None, 200, 403, TRANSCRIBERS),
    ("transcribe", "post", False, _transcription, 302, 403, TRANSCRIBERS),  # to the new hoja
]


def _expected(role: str, needs_hoja: bool, in_scope: bool, acting: int, reading: int, actors: set[str] = ACTORS) -> int:
    if role == "anonymous":
        return 302  # to the login page
    if role == "no-role":
        return 403
    if needs_hoja and not in_scope and role != "superuser":
        return 404  # never reveal that a hoja outside one's scope exists
    return acting if role in actors else reading


@pytest.mark.parametrize("scope", ["in-scope", "out-of-scope"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "needs_hoja", "data", "acting", "reading", "actors"),
    [(*u, ACTORS) if len(u) == 6 else u for u in URLS],
    ids=[f"{u[1]}-{u[0]}" for u in URLS],
)
def test_permission_matrix(
    client, users, hoja, hoja_b, role, scope, name, method, needs_hoja, data, acting, reading, actors
):
    _login(client, users[role])
    target = hoja if scope == "in-scope" else hoja_b
    url = reverse(f"staff:{name}", args=[target.pk] if needs_hoja else [])
    if callable(data):
        data = data(hoja)

    response = getattr(client, method)(url, data or {})

    assert response.status_code == _expected(role, needs_hoja, scope == "in-scope", acting, reading, actors)
    if response.status_code == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("staff:login"))


@pytest.mark.parametrize("name", ["assign", "note", "reclassify", "offer", "extend", "answer-send", "close"])
def test_actions_are_post_only(client, agent, hoja, name):
    client.force_login(agent)

    assert client.get(reverse(f"staff:{name}", args=[hoja.pk])).status_code == 405


def test_out_of_scope_and_missing_hojas_look_the_same(client, agent, hoja_b):
    client.force_login(agent)

    missing = client.get(reverse("staff:detail", args=[hoja_b.pk + 1000]))
    hidden = client.get(reverse("staff:detail", args=[hoja_b.pk]))

    assert missing.status_code == hidden.status_code == 404
    assert hidden.content == missing.content


def test_readers_see_the_detail_without_any_action(client, users, hoja):
    for role in ("council", "auditor", "compliance"):
        client.force_login(users[role])
        html = client.get(reverse("staff:detail", args=[hoja.pk])).content.decode()
        assert "Vista de solo lectura" in html
        for name in ("assign", "note", "reclassify", "offer", "extend", "close", "answer"):
            assert reverse(f"staff:{name}", args=[hoja.pk]) not in html


@pytest.mark.parametrize("role", ROLES[2:])
def test_the_queue_links_the_transcription_for_those_who_may_transcribe(client, users, role):
    client.force_login(users[role])

    html = client.get(reverse("staff:queue")).content.decode()

    assert (reverse("staff:transcribe") in html) is (role in TRANSCRIBERS)


# Scoping: an agent of one establishment never sees another's hojas ------------------------------------------------


def test_an_agent_sees_only_the_hojas_of_their_establishments(client, agent_b, hoja, hoja_b):
    client.force_login(agent_b)

    queue = client.get(reverse("staff:queue"))
    assert [row.complaint for row in queue.context["rows"]] == [hoja_b]
    assert hoja.consumer_name not in queue.content.decode()
    assert client.get(reverse("staff:detail", args=[hoja.pk])).status_code == 404
    assert client.get(reverse("staff:pdf", args=[hoja.pk])).status_code == 404

    rows = _csv_rows(client.get(reverse("staff:export-csv")))
    assert [r["Número"] for r in rows] == [hoja_b.display_number]
    sheet = _xlsx_rows(client.get(reverse("staff:export-xlsx")))
    assert [r[0] for r in sheet[1:]] == [hoja_b.display_number]
    # Asking for the other establishment does not widen the scope: the filter is ignored.
    forced = client.get(reverse("staff:export-csv"), {"establecimiento": hoja.establishment_id})
    assert [r["Número"] for r in _csv_rows(forced)] == [hoja_b.display_number]
    assert [r["Consumidor"] for r in _csv_rows(forced)] == ["Pedro Quispe Mamani"]


def test_the_establishment_filter_lists_only_establishments_in_scope(client, agent, hoja, hoja_b, establishment):
    client.force_login(agent)

    form = client.get(reverse("staff:queue")).context["form"]

    assert [value for value, _ in form.fields["establecimiento"].choices] == ["", establishment.pk]


def test_pdf_of_a_hoja_in_scope(client, agent, hoja):
    client.force_login(agent)

    response = client.get(reverse("staff:pdf", args=[hoja.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"hoja-de-reclamacion-{hoja.display_number}.pdf" in response["Content-Disposition"]
