"""The compliance desk (issue 12): who reads and who runs it, the SIREC page (download, the hojas that block a
file, scope), the 30-day SIREC reminder and the personal-data access log."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.audit import PersonalDataAccess, What, personal_data_access_record
from reclamaciones.compliance.models import SirecExport, SirecReport
from reclamaciones.compliance.reminders import sirec_reminder_queue
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, staff_user
from .conftest import DESK_ROLES, login_as

pytestmark = pytest.mark.django_db

ROLES = DESK_ROLES
READERS = {"auditor", "compliance", "superuser"}
RUNNERS = {"compliance", "superuser"}


def _sirec_post(establishment, **extra):
    today = timezone.localdate()
    return {
        "establecimiento": establishment.pk,
        "desde": (today - timedelta(days=40)).isoformat(),
        "hasta": today.isoformat(),
        **extra,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["desk", "sirec", "access-log"])
def test_who_reads_the_desk(client, people, role, name):
    response = login_as(client, people[role]).get(reverse(f"compliance:{name}"))

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))
    else:
        assert response.status_code == (200 if role in READERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_who_exports_to_sirec(client, people, establishment, file_complaint, role):
    file_complaint()

    response = login_as(client, people[role]).post(reverse("compliance:sirec"), _sirec_post(establishment))

    expected = 302 if role == "anonymous" else 200 if role in RUNNERS else 403
    assert response.status_code == expected
    assert SirecExport.objects.count() == (1 if role in RUNNERS else 0)


def test_the_page_downloads_the_file_it_recorded(client, people, establishment, file_complaint):
    hojas = [file_complaint(), file_complaint(consumer_name="Pedro Quispe")]

    response = login_as(client, people["compliance"]).post(reverse("compliance:sirec"), _sirec_post(establishment))

    data = b"".join(response.streaming_content)
    export = SirecExport.objects.get()
    assert data.count(b"\n") == export.lines == 2
    assert hashlib.sha256(data).hexdigest() == export.sha256 == response["X-Content-SHA256"]
    assert export.created_by == people["compliance"]
    assert response["Content-Disposition"].startswith('attachment; filename="SIREC_')
    assert set(SirecReport.objects.values_list("complaint", flat=True)) == {h.pk for h in hojas}
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.what, access.hojas) == (people["compliance"], What.SIREC, 2)
    # Reported once: the next export has nothing left and writes no file.
    again = client.post(reverse("compliance:sirec"), _sirec_post(establishment))
    assert again.status_code == 200
    assert "No hay hojas por reportar" in again.content.decode()
    assert SirecExport.objects.count() == 2
    assert SirecExport.objects.first().lines == 0


def test_a_hoja_sirec_would_reject_blocks_the_file_and_is_listed(client, people, establishment, file_complaint):
    good = file_complaint()
    bad = file_complaint(kind="")  # neither reclamo nor queja marked: SIREC needs R or Q

    response = login_as(client, people["compliance"]).post(reverse("compliance:sirec"), _sirec_post(establishment))

    html = response.content.decode()
    assert response.status_code == 422
    assert f"Nº {bad.display_number}" in html
    assert f"Nº {good.display_number}" not in html
    assert "No se generó el archivo" in html
    assert "falta tipo de reclamo" in html
    assert not SirecExport.objects.exists()
    assert not SirecReport.objects.exists()


def test_another_establishment_cannot_be_chosen(client, people, establishment):
    stranger = EstablishmentFactory()

    response = login_as(client, people["compliance"]).post(reverse("compliance:sirec"), _sirec_post(stranger))

    assert response.status_code == 400
    assert not SirecExport.objects.exists()
    assert stranger.name not in response.content.decode()


@pytest.mark.parametrize(
    ("desde", "hasta", "message"),
    [
        ("2026-03-01", "2026-02-01", "anterior a la inicial"),
        ("2024-01-01", "2026-02-01", "máximo un año"),
        ("ayer", "2026-02-01", "fecha válida"),
    ],
)
def test_bad_dates_get_a_message_next_to_the_field(client, people, establishment, desde, hasta, message):
    data = _sirec_post(establishment, desde=desde, hasta=hasta)

    response = login_as(client, people["compliance"]).post(reverse("compliance:sirec"), data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_book_without_sirec_code_is_explained(client, people, establishment):
    establishment.sirec_code = ""
    establishment.save()

    response = login_as(client, people["compliance"]).post(reverse("compliance:sirec"), _sirec_post(establishment))

    assert response.status_code == 400
    assert "no tiene código de sede SIREC" in response.content.decode()


# The 30-day reminder ------------------------------------------------------------------------------------------


def _days_ago(file_complaint, days: int):
    return file_complaint(filed_at=timezone.now() - timedelta(days=days))


def test_the_compliance_role_is_reminded_before_30_days(people, establishment, file_complaint, settings):
    settings.RECLAMACIONES_SIREC_REMIND_AFTER_DAYS = 25
    _days_ago(file_complaint, 26)
    _days_ago(file_complaint, 33)
    _days_ago(file_complaint, 3)  # not yet

    assert sirec_reminder_queue(scope=Scope.everything()) == 1
    assert sirec_reminder_queue(scope=Scope.everything()) == 1  # the same day: the same message, not a second

    message = OutboundMessage.objects.get(kind=OutboundMessage.Kind.SIREC_REMINDER)
    assert message.recipient == people["compliance"].email
    assert message.context["due_soon"] == 2
    assert message.context["items"][0]["late"] == 1


def test_no_reminder_once_reported_or_without_sirec_code(people, establishment, file_complaint):
    hoja = _days_ago(file_complaint, 28)
    SirecReport.objects.create(
        complaint=hoja,
        export=SirecExport.objects.create(
            establishment=establishment,
            date_from=timezone.localdate(),
            date_to=timezone.localdate(),
            created_at=timezone.now(),
            lines=1,
            sha256="0" * 64,
            encoding="utf-8",
        ),
    )
    book = EstablishmentFactory(sirec_code="")
    file_complaint(establishment=book, filed_at=timezone.now() - timedelta(days=29))

    assert sirec_reminder_queue(scope=Scope.everything()) == 0


def test_a_book_without_compliance_staff_reminds_the_administrators(establishment, file_complaint):
    admin = staff_user("root", None, is_superuser=True, profile=False)
    _days_ago(file_complaint, 27)

    assert sirec_reminder_queue(scope=Scope.everything()) == 1
    assert OutboundMessage.objects.get(kind=OutboundMessage.Kind.SIREC_REMINDER).recipient == admin.email


def test_the_reminder_renders(people, establishment, file_complaint):
    from reclamaciones.outbox.render import message_build

    _days_ago(file_complaint, 31)
    sirec_reminder_queue(scope=Scope.everything())

    email = message_build(OutboundMessage.objects.get(kind=OutboundMessage.Kind.SIREC_REMINDER))

    assert "SIREC" in email.subject
    assert establishment.name in email.body
    assert "30 días calendario" in email.body
    assert reverse("compliance:sirec") in email.body


# The personal-data access log -----------------------------------------------------------------------------------


def test_the_log_shows_only_the_scope_and_filters(client, people, establishment, file_complaint):
    mine = file_complaint()
    stranger = file_complaint(establishment=EstablishmentFactory())
    agent = people["agent"]
    personal_data_access_record(scope=Scope.of(agent), what=What.DETAIL, complaint=mine)
    personal_data_access_record(scope=Scope.of(people["superuser"]), what=What.DETAIL, complaint=stranger)

    html = login_as(client, people["auditor"]).get(reverse("compliance:access-log")).content.decode()

    assert reverse("staff:detail", args=[mine.pk]) in html
    assert reverse("staff:detail", args=[stranger.pk]) not in html
    by_number = client.get(reverse("compliance:access-log"), {"hoja": mine.display_number}).context["rows"]
    assert [row.complaint for row in by_number] == [mine]
    assert client.get(reverse("compliance:access-log"), {"usuario": "nadie"}).context["rows"] == []
    assert client.get(reverse("compliance:access-log"), {"hoja": "<script>"}).status_code == 200


def test_the_log_pages_by_key(client, people, establishment, file_complaint):
    hoja = file_complaint()
    for _ in range(55):
        personal_data_access_record(scope=Scope.of(people["agent"]), what=What.PDF, complaint=hoja)
    login_as(client, people["compliance"])

    first = client.get(reverse("compliance:access-log"))
    second = client.get(reverse("compliance:access-log"), {"antes": first.context["next_before"]})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 5
    assert second.context["next_before"] is None
    assert {r.pk for r in first.context["rows"]}.isdisjoint({r.pk for r in second.context["rows"]})
    assert client.get(reverse("compliance:access-log"), {"antes": "x\x00"}).status_code == 400  # the NUL guard


def test_the_log_cannot_be_changed():
    from reclamaciones.records import ImmutableRecordError

    with pytest.raises(ImmutableRecordError):
        PersonalDataAccess.objects.all().delete()
    with pytest.raises(ImmutableRecordError):
        PersonalDataAccess.objects.update(detail="x")


def test_the_system_is_not_logged(file_complaint):
    assert personal_data_access_record(scope=Scope.everything(), what=What.DETAIL, complaint=file_complaint()) is None


def test_staff_views_and_exports_of_personal_data_are_logged(client, people, establishment, file_complaint):
    hoja = file_complaint()
    agent = people["agent"]
    client.force_login(agent)

    client.get(reverse("staff:detail", args=[hoja.pk]))
    client.get(reverse("staff:pdf", args=[hoja.pk]))
    client.get(reverse("staff:export-csv"))
    client.get(reverse("staff:detail", args=[hoja.pk + 999]))  # a 404 saw nothing

    rows = list(PersonalDataAccess.objects.order_by("pk").values_list("user", "what", "complaint", "hojas"))
    assert rows == [
        (agent.pk, What.DETAIL, hoja.pk, 1),
        (agent.pk, What.PDF, hoja.pk, 1),
        (agent.pk, What.EXPORT, None, 1),
    ]
    assert PersonalDataAccess.objects.filter(establishment=establishment).count() == 3


def test_the_admins_hoja_page_is_logged(client, people, file_complaint):
    hoja = file_complaint()
    client.force_login(people["superuser"])

    assert client.get(reverse("admin:reclamaciones_complaint_change", args=[hoja.pk])).status_code == 200
    assert client.get(reverse("admin:reclamaciones_complaint_changelist")).status_code == 200

    access = PersonalDataAccess.objects.get()
    assert (access.what, access.complaint_id, access.user) == (What.ADMIN, hoja.pk, people["superuser"])


def test_every_beat_entry_names_a_task_the_worker_knows(settings):
    import importlib

    from config.celery import TASK_CONTEXTS, app

    for context in TASK_CONTEXTS:
        importlib.import_module(f"reclamaciones.{context}.tasks")

    missing = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - set(app.tasks)

    assert missing == set()


def test_the_daily_task_queues_the_sirec_reminder(people, establishment, file_complaint):
    from reclamaciones.compliance.tasks import sirec_reminder

    _days_ago(file_complaint, 29)

    assert sirec_reminder() == 1
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.SIREC_REMINDER).count() == 1


def test_the_desk_says_whether_the_book_verifies(client, people, file_complaint):
    from django.db import connection

    from reclamaciones.access import Scope as S
    from reclamaciones.book.services import book_verify_daily

    hoja = file_complaint()
    login_as(client, people["compliance"])
    assert "aún no se ha ejecutado" in client.get(reverse("compliance:desk")).content.decode()

    book_verify_daily(scope=S.everything())
    assert "ninguna fue alterada" in client.get(reverse("compliance:desk")).content.decode()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE reclamaciones_complaint SET detail = 'Alterado' WHERE id = %s", [hoja.pk])
    book_verify_daily(scope=S.everything())
    assert "encontró 1 hoja alterada o faltante" in client.get(reverse("compliance:desk")).content.decode()


def test_blocking_hojas_typed_by_hand_are_marked_from_the_page(client, people, establishment, file_complaint):
    file_complaint()
    passport = file_complaint(doc_type="pasaporte", doc_number="AB1234567890")
    login_as(client, people["compliance"])

    blocked = client.post(reverse("compliance:sirec"), _sirec_post(establishment))
    html = blocked.content.decode()
    assert blocked.status_code == 422
    assert f'name="hojas" value="{passport.display_number}"' in html
    assert reverse("compliance:sirec-manual") in html

    missing_note = client.post(
        reverse("compliance:sirec-manual"),
        {"establecimiento": establishment.pk, "hojas": [passport.display_number], "nota": ""},
    )
    assert missing_note.status_code == 400
    assert "Indica cómo la ingresaste" in missing_note.content.decode()
    done = client.post(
        reverse("compliance:sirec-manual"),
        {"establecimiento": establishment.pk, "hojas": [passport.display_number], "nota": "Constancia 77"},
        follow=True,
    )
    assert "quedaron registradas como ingresadas a mano" in done.content.decode()
    assert "a mano" in done.content.decode()
    # Now the rest exports.
    exported = client.post(reverse("compliance:sirec"), _sirec_post(establishment))
    assert exported.status_code == 200
    assert b"".join(exported.streaming_content).count(b"\n") == 1


@pytest.mark.parametrize("role", ["auditor", "agent"])
def test_only_the_compliance_role_marks_hojas_by_hand(client, people, establishment, file_complaint, role):
    hoja = file_complaint()

    response = login_as(client, people[role]).post(
        reverse("compliance:sirec-manual"),
        {"establecimiento": establishment.pk, "hojas": [hoja.display_number], "nota": "x"},
    )

    assert response.status_code == 403
    assert not SirecReport.objects.exists()


def test_another_establishment_cannot_be_marked_from_the_page(client, people, file_complaint):
    stranger = EstablishmentFactory()
    hoja = file_complaint(establishment=stranger)

    response = login_as(client, people["compliance"]).post(
        reverse("compliance:sirec-manual"),
        {"establecimiento": stranger.pk, "hojas": [hoja.display_number], "nota": "x"},
    )

    assert response.status_code == 400
    assert not SirecReport.objects.exists()
    assert client.get(reverse("compliance:sirec-manual")).status_code == 405
