"""Council meetings at /consejo/reuniones/: the list, one meeting with its generated agenda, minutes and
decisions, and the agenda and minutes as PDF (read back with pdftotext). Council, supervisors, auditors and
superusers read; agents do not."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.models import Complaint
from reclamaciones.council.models import CouncilMeeting
from reclamaciones.council.services import meeting_agenda_generate
from reclamaciones.handling.models import SurveyAnswer

from ..factories import action_item, cause_get, staff_user

pytestmark = pytest.mark.django_db

SECTIONS = [
    "1. Nuevas alertas de causas recurrentes",
    "2. Principales causas desde la última reunión",
    "3. Acciones vencidas",
    "4. Acciones por verificar y resultados",
    "5. Encuestas de satisfacción",
    "6. Desempeño de respuesta",
]


def _classified(file_complaint, cause, days_ago: int) -> Complaint:
    complaint = file_complaint(filed_at=timezone.now() - timedelta(days=days_ago))
    Complaint.objects.filter(pk=complaint.pk).update(cause=cause)  # staff-side field
    return complaint


@pytest.fixture
def meeting(file_complaint, settings):
    """A meeting today: 3 hojas of TST-01 and 1 of TST-02 in the last 4 weeks, 1 of TST-01 in the 4 before
    (so TST-01 is +200 %), an overdue action, a decision and an unhappy survey answer with a comment."""
    settings.COUNCIL_FLAG_MIN_COUNT = 3
    delays, billing = cause_get("TST-01"), cause_get("TST-02")
    for days_ago in (1, 5, 9):
        _classified(file_complaint, delays, days_ago)
    _classified(file_complaint, billing, 3)
    before = _classified(file_complaint, delays, 40)
    SurveyAnswer.objects.create(
        complaint=before, solved=False, csat=1, nps=2, comment="Nadie me llamó.", answered_at=timezone.now()
    )
    owner = staff_user(
        "rosa", Role.SUPERVISOR, all_establishments=True, first_name="Rosa", is_staff=False, last_name="Quispe"
    )
    action_item("Revisar la ruta del transportista", owner=owner, due_in_days=-2, causes=[delays])
    meeting = CouncilMeeting.objects.create(
        held_on=timezone.localdate(), guests="Carla Ríos, logística", minutes="Se revisaron los retrasos."
    )
    meeting.attendees.set(
        [
            owner,
            staff_user(
                "lucia", Role.COUNCIL, all_establishments=True, first_name="Lucia", is_staff=False, last_name="Paredes"
            ),
        ]
    )
    action_item(
        "Confirmar la fecha con el transportista",
        owner=owner,
        due_in_days=21,
        causes=[delays],
        target_reduction_pct=40,
        meeting=meeting,
    )
    return meeting_agenda_generate(meeting=meeting, scope=Scope.everything())


def _text(pdftotext: str, data: bytes) -> str:
    result = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def _urls(pk: int) -> list[str]:
    return [
        reverse("council:meetings"),
        reverse("council:meeting", args=[pk]),
        reverse("council:meeting_agenda_pdf", args=[pk]),
        reverse("council:meeting_minutes_pdf", args=[pk]),
    ]


# Pages ------------------------------------------------------------------------------------------------------


def test_list_shows_each_meeting_with_counts_and_its_documents(client, meeting):
    client.force_login(
        staff_user("auditor", Role.AUDITOR, all_establishments=True, first_name="Auditor", is_staff=False)
    )

    response = client.get(reverse("council:meetings"))

    assert response.status_code == 200
    html = response.content.decode()
    row = response.context["page"].object_list[0]
    assert (row.attendees_n, row.decisions_n) == (2, 1)
    assert f"Reunión del {meeting.held_on:%d/%m/%Y}" in html
    assert reverse("council:meeting_agenda_pdf", args=[meeting.pk]) in html
    assert reverse("council:meeting_minutes_pdf", args=[meeting.pk]) in html
    assert 'aria-current="page" href="/consejo/reuniones/"' in html  # the council's tabs, on "Reuniones"
    assert "Programar reunión" not in html  # auditors read the meetings; they do not run them


@pytest.mark.parametrize("role", [Role.COUNCIL, Role.SUPERVISOR])
def test_list_offers_a_new_meeting_to_who_runs_the_council(client, meeting, role):
    client.force_login(staff_user("consejo", role, all_establishments=True, first_name="Consejo", is_staff=False))

    html = client.get(reverse("council:meetings")).content.decode()

    assert "Programar reunión" in html
    assert reverse("council:meeting_add") in html
    assert "/admin/" not in html


def _perms(*codenames):
    return Permission.objects.filter(content_type__app_label="reclamaciones", codename__in=codenames)


def test_detail_shows_the_agenda_sections_with_real_figures(client, meeting):
    client.force_login(
        staff_user("consejo", Role.COUNCIL, all_establishments=True, first_name="Consejo", is_staff=False)
    )

    response = client.get(reverse("council:meeting", args=[meeting.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for title in SECTIONS:
        assert title in html, title
    agenda = response.context["agenda"]
    assert [(f["code"], f["recent"]) for f in agenda["new_flags"]] == [("TST-01", 3)]
    assert [(r["code"], r["count"], r["before"]) for r in agenda["top_causes"]] == [("TST-01", 3, 1), ("TST-02", 1, 0)]
    assert "+200.0 %" in html
    assert "Revisar la ruta del transportista" in html  # overdue action
    assert "Nadie me llamó." in html
    assert "Se revisaron los retrasos." in html
    assert "Confirmar la fecha con el transportista" in html  # the decision
    assert "-40 %" in html
    assert "Carla Ríos, logística" in html


def test_a_meeting_whose_agenda_was_not_generated_says_so(client):
    meeting = CouncilMeeting.objects.create(held_on=timezone.localdate())
    client.force_login(
        staff_user("consejo", Role.COUNCIL, all_establishments=True, first_name="Consejo", is_staff=False)
    )

    html = client.get(reverse("council:meeting", args=[meeting.pk])).content.decode()

    assert "La agenda aún no se ha generado." in html
    assert "Sin acuerdos registrados." in html


# PDFs -------------------------------------------------------------------------------------------------------


def test_agenda_pdf_has_the_header_and_the_six_sections(client, meeting, pdftotext, establishment):
    client.force_login(
        staff_user("consejo", Role.COUNCIL, all_establishments=True, first_name="Consejo", is_staff=False)
    )

    response = client.get(reverse("council:meeting_agenda_pdf", args=[meeting.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="agenda-consejo-{meeting.held_on.isoformat()}.pdf"'
    text = _text(pdftotext, response.content)
    assert "Consejo de mejora — Agenda" in text
    assert establishment.provider.display_name in text
    assert f"{meeting.held_on.day} de " in text
    assert "Rosa Quispe" in text
    assert "Lucia Paredes" in text
    for title in SECTIONS:
        assert title in text, title
    assert "TST-01 Causa TST-01" in text
    assert "+200.0 %" in text
    assert "Revisar la ruta del transportista" in text


def test_minutes_pdf_has_attendees_minutes_and_decisions(client, meeting, pdftotext):
    client.force_login(
        staff_user("auditor", Role.AUDITOR, all_establishments=True, first_name="Auditor", is_staff=False)
    )

    response = client.get(reverse("council:meeting_minutes_pdf", args=[meeting.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="acta-consejo-{meeting.held_on.isoformat()}.pdf"'
    text = _text(pdftotext, response.content)
    assert "Acta de la reunión del consejo de mejora" in text
    assert "Rosa Quispe, Lucia Paredes" in text or "Lucia Paredes, Rosa Quispe" in text
    assert "Carla Ríos, logística" in text
    assert "Resumen de la agenda" in text
    assert "Se revisaron los retrasos." in text
    assert "Confirmar la fecha con el transportista" in text
    due = meeting.decisions.get().due_date
    assert f"{due:%d/%m/%Y}" in text
    assert "-40 %" in text


# Access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNCIL, Role.SUPERVISOR, Role.AUDITOR, None])
def test_the_councils_readers_and_superusers_read_every_page(client, meeting, role):
    user = (
        staff_user("lector", role, all_establishments=True, first_name="Lector", is_staff=False)
        if role
        else staff_user("root", None, profile=False, first_name="Root", is_superuser=True, is_staff=True)
    )
    client.force_login(user)

    for url in _urls(meeting.pk):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.AGENT, None])
def test_agents_and_people_without_a_role_get_403(client, meeting, role):
    client.force_login(staff_user("agente", role, all_establishments=True, first_name="Agente", is_staff=False))

    for url in _urls(meeting.pk):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Reunión" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, meeting):
    for url in _urls(meeting.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))


def test_unknown_meetings_are_404_and_agents_still_403(client, meeting):
    missing = meeting.pk + 100
    client.force_login(
        staff_user("consejo", Role.COUNCIL, all_establishments=True, first_name="Consejo", is_staff=False)
    )
    for url in _urls(missing)[1:]:
        assert client.get(url).status_code == 404, url

    client.force_login(staff_user("agente", Role.AGENT, all_establishments=True, first_name="Agente", is_staff=False))
    for url in _urls(missing)[1:]:
        assert client.get(url).status_code == 403, url
