"""Council meetings without the admin (issue 13): scheduling on /consejo/reuniones/, the agenda with its standing
item "Todas las acciones abiertas", the meeting-day refresh and e-mail, attendance, notes per agenda item,
decisions, "Cerrar acta" (read-only afterwards) and the minutes e-mailed once. Who may: the council and
supervisors run meetings; auditors read; agents and people without a role get 403; another establishment's
meeting is a 404."""

from __future__ import annotations

import subprocess
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.council.meetings import (
    MSG_ATTENDANCE_MISSING,
    MSG_ATTENDEES,
    MSG_CLOSED,
    MSG_NOT_HELD_YET,
    meeting_close,
    meeting_decision_add,
    meeting_minutes_record,
    meeting_save,
    meetings_day_prepare,
)
from reclamaciones.council.models import ActionItemEvent, ActionStatus, CouncilMeeting
from reclamaciones.council.services import CouncilError, action_progress_record
from reclamaciones.council.tasks import council_meetings_day
from reclamaciones.outbox import render
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, action_item, cause_get, staff_user

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def people(establishment):
    """A council member and a supervisor of `establishment` (with e-mail), an auditor, an agent, and a council
    member of another establishment."""
    other = EstablishmentFactory()
    return {
        "council": staff_user(
            "lucia", Role.COUNCIL, establishments=[establishment], email="lucia@example.pe", first_name="Lucía"
        ),
        "supervisor": staff_user(
            "rosa", Role.SUPERVISOR, establishments=[establishment], email="rosa@example.pe", first_name="Rosa"
        ),
        "auditor": staff_user("ana", Role.AUDITOR, establishments=[establishment], email="ana@example.pe"),
        "agent": staff_user("jose", Role.AGENT, establishments=[establishment], email="jose@example.pe"),
        "outsider": staff_user("beto", Role.COUNCIL, establishments=[other], email="beto@example.pe"),
        "other": other,
    }


def _scope(user) -> Scope:
    return Scope.of(user)


@pytest.fixture
def meeting(people, establishment):
    """A meeting of `establishment` today at 09:30 with the council member and the supervisor, scheduled by the
    council member; an overdue action of the establishment with a progress note."""
    owner = people["supervisor"]
    action = action_item(
        f"Revisar la ruta {HOSTILE}",
        owner=owner,
        due_in_days=-3,
        causes=[cause_get("TST-01")],
        establishment=establishment,
    )
    action_progress_record(action_id=action.pk, scope=_scope(owner), note="Llamamos al transportista.")
    return meeting_save(
        scope=_scope(people["council"]),
        held_on=timezone.localdate(),
        starts_at=time(9, 30),
        place="https://meet.example.com/consejo",
        establishment=establishment,
        attendee_ids=[people["council"].pk, people["supervisor"].pk],
        guests="Carla Ríos, logística",
    )


def _text(pdftotext: str, data: bytes) -> str:
    result = subprocess.run([pdftotext, "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


# Scheduling and the agenda ----------------------------------------------------------------------------------


def test_scheduling_generates_the_agenda_with_the_standing_item_of_every_open_action(meeting, establishment):
    other_establishment = EstablishmentFactory()
    action_item("Acción de otro local", due_in_days=5, establishment=other_establishment)

    rows = meeting.agenda["open_actions"]

    assert [row["title"] for row in rows] == [f"Revisar la ruta {HOSTILE}"]  # B's action is not in A's meeting
    [row] = rows
    assert row["owner"] == "Rosa"
    assert row["status"] == "Propuesta"
    assert row["overdue"] is True
    assert row["last_progress"] == "Llamamos al transportista."
    assert row["last_progress_on"] == timezone.localdate().isoformat()
    assert meeting.establishment == establishment
    assert meeting.starts_at == time(9, 30)


def test_the_standing_item_lists_implemented_actions_but_not_verified_ones(people, establishment):
    owner = people["supervisor"]
    implemented = action_item("En verificación", owner=owner, establishment=establishment)
    implemented.status, implemented.implemented_on = ActionStatus.IMPLEMENTED, timezone.localdate()
    implemented.save()
    verified = action_item("Ya verificada", owner=owner, establishment=establishment)
    verified.status, verified.implemented_on = ActionStatus.EFFECTIVE, timezone.localdate()
    verified.save()

    meeting = meeting_save(
        scope=_scope(people["council"]),
        held_on=timezone.localdate(),
        starts_at=time(10, 0),
        place="Sala 2",
        establishment=establishment,
        attendee_ids=[people["council"].pk],
    )

    titles = [row["title"] for row in meeting.agenda["open_actions"]]
    assert "En verificación" in titles
    assert "Ya verificada" not in titles


def test_a_scoped_council_member_cannot_schedule_for_every_establishment_nor_invite_outsiders(people, establishment):
    scope = _scope(people["council"])
    with pytest.raises(CouncilError):
        meeting_save(
            scope=scope,
            held_on=timezone.localdate(),
            starts_at=time(9, 0),
            place="Sala",
            establishment=None,
            attendee_ids=[people["council"].pk],
        )
    with pytest.raises(CouncilError, match=MSG_ATTENDEES):
        meeting_save(
            scope=scope,
            held_on=timezone.localdate(),
            starts_at=time(9, 0),
            place="Sala",
            establishment=establishment,
            attendee_ids=[people["council"].pk, people["outsider"].pk, people["agent"].pk],
        )
    assert not CouncilMeeting.objects.exists()


@pytest.mark.parametrize("role", ["auditor", "agent"])
def test_only_the_council_and_supervisors_schedule_meetings(people, establishment, role):
    with pytest.raises(PermissionDenied):
        meeting_save(
            scope=_scope(people[role]),
            held_on=timezone.localdate(),
            starts_at=time(9, 0),
            place="Sala",
            establishment=establishment,
            attendee_ids=[people["council"].pk],
        )


# The meeting day: refresh and e-mail ------------------------------------------------------------------------


def test_the_meeting_day_task_refreshes_the_agenda_and_mails_it_once_per_day(meeting, people, establishment):
    meeting.held_on = timezone.localdate() + timedelta(days=2)
    meeting.save()
    morning = datetime.combine(meeting.held_on, time(6, 30), tzinfo=LIMA)
    action_item("Acordada después", owner=people["supervisor"], due_in_days=20, establishment=establishment)

    assert meetings_day_prepare(now=morning - timedelta(days=1)) == {"refreshed": 0, "queued": 0}
    assert meetings_day_prepare(now=morning) == {"refreshed": 1, "queued": 2}
    assert meetings_day_prepare(now=morning + timedelta(hours=1)) == {"refreshed": 1, "queued": 0}

    meeting.refresh_from_db()
    assert meeting.agenda_generated_at == morning + timedelta(hours=1)
    assert "Acordada después" in [row["title"] for row in meeting.agenda["open_actions"]]
    messages = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.MEETING_AGENDA)
    assert sorted(messages.values_list("recipient", flat=True)) == ["lucia@example.pe", "rosa@example.pe"]


def test_the_beat_task_is_scheduled_early_and_calls_the_service(settings, meeting):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("council_meetings_day")]
    assert entry["schedule"].hour == {6}
    result = council_meetings_day()
    assert result["refreshed"] == 1


def test_a_closed_meeting_is_not_refreshed_on_its_day(meeting, people):
    _close(meeting, people)
    generated = CouncilMeeting.objects.get(pk=meeting.pk).agenda_generated_at

    assert meetings_day_prepare() == {"refreshed": 0, "queued": 0}
    assert CouncilMeeting.objects.get(pk=meeting.pk).agenda_generated_at == generated


def test_the_agenda_email_escapes_hostile_text_and_attaches_the_pdf(meeting, pdftotext):
    CouncilMeeting.objects.filter(pk=meeting.pk).update(place=f"Sala {HOSTILE}")
    meetings_day_prepare()
    message = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.MEETING_AGENDA).first()

    email = render.message_build(message)

    html = email.alternatives[0][0]
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html
    assert "TODAS LAS ACCIONES ABIERTAS" in email.body
    assert "(VENCIDA)" in email.body
    assert email.subject == f"Agenda del consejo de mejora · reunión del {meeting.held_on:%d/%m/%Y} a las 09:30"
    [(filename, content, mimetype)] = email.attachments
    assert filename == f"agenda-consejo-{meeting.held_on.isoformat()}.pdf"
    assert mimetype == "application/pdf"
    assert "7. Todas las acciones abiertas" in _text(pdftotext, content)


# Minutes, decisions and closing ------------------------------------------------------------------------------


def _close(meeting, people):
    meeting_minutes_record(
        meeting_id=meeting.pk,
        scope=_scope(people["council"]),
        attendance={people["council"].pk: True, people["supervisor"].pk: False},
        item_notes={"open_actions": "Se revisó cada acción.", "other": "Nada más."},
        minutes="Reunión breve.",
    )
    return meeting_close(meeting_id=meeting.pk, scope=_scope(people["council"]))


def test_closing_needs_every_attendance_and_a_held_meeting(meeting, people):
    scope = _scope(people["council"])
    with pytest.raises(CouncilError, match=MSG_ATTENDANCE_MISSING):
        meeting_close(meeting_id=meeting.pk, scope=scope)

    meeting_minutes_record(
        meeting_id=meeting.pk,
        scope=scope,
        attendance={people["council"].pk: True, people["supervisor"].pk: True},
        item_notes={},
        minutes="",
    )
    CouncilMeeting.objects.filter(pk=meeting.pk).update(held_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(CouncilError, match=MSG_NOT_HELD_YET):
        meeting_close(meeting_id=meeting.pk, scope=scope)


def test_closed_minutes_refuse_every_later_change(meeting, people):
    _close(meeting, people)
    scope = _scope(people["council"])

    with pytest.raises(CouncilError, match=MSG_CLOSED):
        meeting_minutes_record(meeting_id=meeting.pk, scope=scope, attendance={}, item_notes={}, minutes="Otra cosa")
    with pytest.raises(CouncilError, match=MSG_CLOSED):
        meeting_decision_add(
            meeting_id=meeting.pk,
            scope=scope,
            title="Tarde",
            owner=people["council"],
            due_date=timezone.localdate() + timedelta(days=7),
            causes=[cause_get("TST-01")],
        )
    with pytest.raises(CouncilError, match=MSG_CLOSED):
        meeting_close(meeting_id=meeting.pk, scope=scope)
    meeting.refresh_from_db()
    assert meeting.minutes == "Reunión breve."
    assert meeting.closed_by == people["council"]


def test_closing_mails_the_minutes_once_to_each_attendee(meeting, people, pdftotext):
    _close(meeting, people)
    with pytest.raises(CouncilError):
        meeting_close(meeting_id=meeting.pk, scope=_scope(people["council"]))

    messages = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.MEETING_MINUTES)
    assert sorted(messages.values_list("recipient", flat=True)) == ["lucia@example.pe", "rosa@example.pe"]
    email = render.message_build(messages.first())
    assert "Presentes: Lucía" in email.body
    assert "Ausentes: Rosa" in email.body
    text = _text(pdftotext, email.attachments[0][1])
    assert "Se revisó cada acción." in text
    assert "7. Todas las acciones abiertas" in text
    assert "Acta cerrada el" in text


def test_a_decision_is_an_action_of_the_meeting_and_its_establishment(meeting, people, establishment):
    action = meeting_decision_add(
        meeting_id=meeting.pk,
        scope=_scope(people["supervisor"]),
        title="Confirmar la fecha con el transportista",
        owner=people["council"],
        due_date=timezone.localdate() + timedelta(days=14),
        causes=[cause_get("TST-01")],
    )

    assert action.meeting == meeting
    assert action.establishment == establishment
    assert action.created_by == people["supervisor"]
    assert action.events.filter(type=ActionItemEvent.Type.CREATED).exists()
    with pytest.raises(CouncilError):  # an agent cannot own an action
        meeting_decision_add(
            meeting_id=meeting.pk,
            scope=_scope(people["council"]),
            title="Otra",
            owner=people["agent"],
            due_date=timezone.localdate() + timedelta(days=14),
            causes=[cause_get("TST-01")],
        )


# Pages ---------------------------------------------------------------------------------------------------------


def test_a_council_member_schedules_a_meeting_on_the_page(client, people, establishment):
    client.force_login(people["council"])
    url = reverse("council:meeting_add")
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "held_on": timezone.localdate().isoformat(),
            "starts_at": "09:30",
            "place": "Sala 2",
            "establishment": establishment.pk,
            "attendees": [people["council"].pk, people["supervisor"].pk],
        },
    )

    meeting = CouncilMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("council:meeting", args=[meeting.pk])
    assert meeting.agenda["open_actions"] == []
    html = client.get(response["Location"]).content.decode()
    assert "Todas las acciones abiertas" in html
    assert "Cerrar acta" in html


def test_bad_schedule_input_is_refused_next_to_the_field_in_spanish(client, people, establishment):
    client.force_login(people["council"])

    response = client.post(
        reverse("council:meeting_add"),
        {"held_on": "31/02/2026", "starts_at": "9h", "place": "", "establishment": establishment.pk},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="held_on-error"' in html
    assert "Escribe una fecha válida." in html
    assert "Escribe la hora como 09:30." in html
    assert "Indica dónde se reúnen" in html
    assert "Elige al menos un asistente." in html
    assert not CouncilMeeting.objects.exists()


def test_an_outsider_offered_as_attendee_is_refused(client, people, establishment):
    client.force_login(people["council"])
    response = client.post(
        reverse("council:meeting_add"),
        {
            "held_on": timezone.localdate().isoformat(),
            "starts_at": "09:30",
            "place": "Sala",
            "establishment": establishment.pk,
            "attendees": [people["outsider"].pk],
        },
    )
    assert response.status_code == 400
    assert "Elige asistentes de la lista." in response.content.decode()


def test_minutes_are_recorded_then_closed_on_the_page_and_then_read_only(client, meeting, people):
    client.force_login(people["council"])
    url = reverse("council:meeting", args=[meeting.pk])
    council, supervisor = people["council"].pk, people["supervisor"].pk

    response = client.post(
        url,
        {
            "form": "minutes",
            f"asistencia_{council}": "present",
            f"asistencia_{supervisor}": "absent",
            "nota_open_actions": f"Todas al día {HOSTILE}",
            "minutes": "Se revisó todo.",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.attendance == {str(council): True, str(supervisor): False}
    assert meeting.item_notes == {"open_actions": f"Todas al día {HOSTILE}"}

    assert client.post(url, {"form": "close"}).status_code == 302
    html = client.get(url).content.decode()
    assert "Acta cerrada" in html
    assert "Cerrar acta" not in html
    assert HOSTILE not in html
    assert "Todas al día &lt;script&gt;" in html
    assert "(presente)" in html
    assert "(ausente)" in html

    response = client.post(url, {"form": "minutes", "minutes": "Cambio tardío"})
    assert response.status_code == 409
    assert MSG_CLOSED in response.content.decode()
    assert client.get(reverse("council:meeting_edit", args=[meeting.pk])).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Se revisó todo."


def test_closing_without_attendance_says_why_on_the_page(client, meeting, people):
    client.force_login(people["council"])
    response = client.post(reverse("council:meeting", args=[meeting.pk]), {"form": "close"})
    assert response.status_code == 400
    assert MSG_ATTENDANCE_MISSING in response.content.decode()


def test_a_decision_with_bad_input_is_refused_next_to_its_fields(client, meeting, people):
    client.force_login(people["council"])
    response = client.post(
        reverse("council:meeting", args=[meeting.pk]),
        {
            "form": "decision",
            "acuerdo-title": "",
            "acuerdo-owner": people["agent"].pk,
            "acuerdo-due_date": "2020-01-01",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Escribe el título de la acción." in html
    assert "Elige como responsable a alguien del consejo de mejora o de supervisión" in html
    assert "La fecha límite no puede estar en el pasado." in html


def test_the_page_and_the_pdfs_escape_hostile_text(client, meeting, people, pdftotext):
    CouncilMeeting.objects.filter(pk=meeting.pk).update(place=HOSTILE, guests=HOSTILE)
    client.force_login(people["auditor"])

    html = client.get(reverse("council:meeting", args=[meeting.pk])).content.decode()

    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Revisar la ruta &lt;script&gt;" in html  # the standing item's action title
    text = _text(pdftotext, client.get(reverse("council:meeting_minutes_pdf", args=[meeting.pk])).content)
    assert HOSTILE in text  # written as text in the PDF, never interpreted


@pytest.mark.parametrize("role", ["auditor"])
def test_auditors_read_but_do_not_write(client, meeting, people, role):
    client.force_login(people[role])
    url = reverse("council:meeting", args=[meeting.pk])

    html = client.get(url).content.decode()
    assert "Cerrar acta" not in html
    assert "Programar reunión" not in html
    assert client.post(url, {"form": "close"}).status_code == 403
    assert client.get(reverse("council:meeting_add")).status_code == 403
    assert client.get(reverse("council:meeting_edit", args=[meeting.pk])).status_code == 403
    assert CouncilMeeting.objects.get(pk=meeting.pk).closed_at is None


@pytest.mark.parametrize("role", ["agent", None])
def test_agents_and_people_without_a_role_get_403_everywhere(client, meeting, people, role):
    user = people[role] if role else staff_user("nadie", None)
    client.force_login(user)
    for url in [
        reverse("council:meeting_add"),
        reverse("council:meeting", args=[meeting.pk]),
        reverse("council:meeting_edit", args=[meeting.pk]),
    ]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"form": "close"}).status_code == 403, url


def test_another_establishments_meeting_does_not_exist_for_a_scoped_member(client, meeting, people):
    client.force_login(people["outsider"])
    pk = meeting.pk
    for url in [
        reverse("council:meeting", args=[pk]),
        reverse("council:meeting_edit", args=[pk]),
        reverse("council:meeting_agenda_pdf", args=[pk]),
        reverse("council:meeting_minutes_pdf", args=[pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("council:meeting", args=[pk]), {"form": "close"}).status_code == 404
    assert "Reunión del" not in client.get(reverse("council:meetings")).content.decode()


def test_a_supervisor_edits_the_schedule_and_the_agenda_is_regenerated(client, meeting, people, establishment):
    client.force_login(people["supervisor"])
    day = timezone.localdate() + timedelta(days=7)

    response = client.post(
        reverse("council:meeting_edit", args=[meeting.pk]),
        {
            "held_on": day.isoformat(),
            "starts_at": "15:00",
            "place": "Sala 3",
            "establishment": establishment.pk,
            "attendees": [people["supervisor"].pk],
        },
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.starts_at, meeting.place) == (day, time(15, 0), "Sala 3")
    assert list(meeting.attendees.all()) == [people["supervisor"]]


def test_the_admin_leaves_closed_minutes_alone(client, meeting, people):
    _close(meeting, people)
    root = staff_user("root", None, profile=False, is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:reclamaciones_councilmeeting_change", args=[meeting.pk])

    assert client.get(url).status_code == 200  # read-only: it still shows
    response = client.post(url, {"held_on": meeting.held_on.isoformat(), "minutes": "Reescrita"})

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == "Reunión breve."


def test_the_admin_lists_only_the_meetings_in_scope(client, meeting, people):
    outsider = people["outsider"]
    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.add(*Permission.objects.filter(codename="view_councilmeeting"))
    client.force_login(outsider)

    response = client.get(reverse("admin:reclamaciones_councilmeeting_change", args=[meeting.pk]))

    assert response.status_code in (302, 404)  # Django's admin: "does not exist", back to the list
    changelist = client.get(reverse("admin:reclamaciones_councilmeeting_changelist"))
    assert changelist.context["cl"].result_count == 0


# role: (GET the new-meeting page, GET the meeting, POST "Actualizar agenda"); anonymous visitors go to the login
MATRIX = {
    "anonymous": (302, 302, 302),
    "no-role": (403, 403, 403),
    "agent": (403, 403, 403),
    "supervisor": (200, 200, 302),
    "council": (200, 200, 302),
    "auditor": (403, 200, 403),
    "compliance": (403, 200, 403),
    "superuser": (200, 200, 302),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_meeting_permission_matrix(client, meeting, establishment, role):
    if role == "superuser":
        client.force_login(staff_user("root", None, profile=False, is_superuser=True, is_staff=True))
    elif role != "anonymous":
        client.force_login(staff_user(f"u-{role}", None if role == "no-role" else role, establishments=[establishment]))
    url = reverse("council:meeting", args=[meeting.pk])

    got = (
        client.get(reverse("council:meeting_add")).status_code,
        client.get(url).status_code,
        client.post(url, {"form": "refresh"}).status_code,
    )

    assert got == MATRIX[role]
