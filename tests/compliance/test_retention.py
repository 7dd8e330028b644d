"""Retention (issue 12 §3): nothing of a hoja is deleted before two years (models, admin, PostgreSQL trigger);
`anonymise_expired` replaces personal data after the retention period, dry by default, never below two years,
never for hojas an open INDECOPI request covers, and the anonymised book still verifies."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reclamaciones.access import Scope
from reclamaciones.book.models import PERSONAL_FIELDS, Complaint, ComplaintEvent
from reclamaciones.book.services import book_verify, complaint_integrity_problems
from reclamaciones.compliance.models import Anonymisation, IndecopiRequest, RetentionRun
from reclamaciones.compliance.retention import ANONYMISED, RetentionError, anonymise_expired, retention_cutoff
from reclamaciones.outbox.models import OutboundMessage
from reclamaciones.records import ImmutableRecordError

from ..factories import EstablishmentFactory, hoja_answered, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LIMA = timezone.get_default_timezone()
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=LIMA)


@pytest.fixture
def old_and_new(file_complaint):
    """Two hojas filed 2 years and a day ago (one answered), one filed a year ago."""
    old = file_complaint(filed_at=NOW - timedelta(days=732), client_ip="190.12.1.5", user_agent="Firefox")
    answered = hoja_answered(file_complaint(filed_at=NOW - timedelta(days=731), consumer_name="Pedro Quispe"))
    recent = file_complaint(filed_at=NOW - timedelta(days=365))
    return old, answered, recent


def _fresh(hoja) -> Complaint:
    return Complaint.objects.get(pk=hoja.pk)


def test_a_dry_run_changes_nothing_but_records_that_it_ran(old_and_new):
    before = list(Complaint.objects.order_by("pk").values())

    result = anonymise_expired(scope=Scope.everything(), now=NOW)

    assert (result.dry_run, result.anonymised, result.held) == (True, 2, 0)
    assert list(Complaint.objects.order_by("pk").values()) == before
    run = RetentionRun.objects.get()
    assert (run.dry_run, run.anonymised, run.retention_years) == (True, 2, 2)
    assert not Anonymisation.objects.exists()


def test_anonymising_replaces_personal_data_and_keeps_the_record(old_and_new):
    old, answered, recent = old_and_new
    compliance = staff_user("carmen", "compliance", all_establishments=True)

    result = anonymise_expired(scope=Scope.of(compliance), dry_run=False, now=NOW)

    assert result.anonymised == 2
    hoja = _fresh(old)
    assert (hoja.consumer_name, hoja.doc_number, hoja.consumer_address) == (ANONYMISED, ANONYMISED, ANONYMISED)
    assert hoja.consumer_email == hoja.consumer_phone == ""
    # What the book and the council count stays: number, date, kind, amount, detail, status, the answer.
    assert (hoja.number, hoja.filed_at, hoja.kind, hoja.amount_claimed, hoja.detail) == (
        old.number,
        old.filed_at,
        old.kind,
        old.amount_claimed,
        old.detail,
    )
    assert _fresh(answered).response.text == answered.response.text
    untouched = _fresh(recent)
    assert untouched.consumer_name == recent.consumer_name
    assert not untouched.anonymised_sha256
    record = Anonymisation.objects.get(complaint=old)
    assert {"consumer_name", "doc_number", "consumer_email", "consumer_phone"} <= set(record.fields)
    assert "art. 12" in record.reason
    assert record.run.ran_by == compliance
    event = ComplaintEvent.objects.get(complaint=old, type=ComplaintEvent.Type.ANONYMISED)
    assert event.actor == compliance
    assert event.data["fields"] == record.fields
    filed = ComplaintEvent.objects.get(complaint=old, type=ComplaintEvent.Type.FILED)
    assert "ip" not in filed.data
    assert "user_agent" not in filed.data
    assert filed.data["number"] == old.display_number
    assert set(OutboundMessage.objects.filter(complaint=old).values_list("recipient", flat=True)) == {""}
    assert OutboundMessage.objects.filter(complaint=recent).exclude(recipient="").exists()
    # A second run finds nothing left.
    assert anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW).anonymised == 0


def test_the_anonymised_book_still_verifies_and_a_later_edit_is_caught(old_and_new):
    old, _answered, _recent = old_and_new
    anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW)

    assert book_verify(scope=Scope.everything()).ok
    assert complaint_integrity_problems(_fresh(old)) == []

    with connection.cursor() as cursor:
        cursor.execute("UPDATE reclamaciones_complaint SET detail = 'Otro' WHERE id = %s", [old.pk])
    broken = {item["number"]: item["problems"] for item in book_verify(scope=Scope.everything()).broken}
    assert broken == {old.display_number: ["content", "seal"]}
    assert complaint_integrity_problems(_fresh(old))


def test_forging_the_anonymised_fingerprint_without_the_key_is_caught(old_and_new):
    from reclamaciones.book.integrity import content_hash
    from reclamaciones.book.services import HASHED_FIELDS

    old, _answered, _recent = old_and_new
    anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reclamaciones_complaint SET detail = 'Otro' WHERE id = %s", [old.pk])
    forged = content_hash({name: getattr(_fresh(old), name) for name in HASHED_FIELDS})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reclamaciones_complaint SET anonymised_sha256 = %s WHERE id = %s", [forged, old.pk])

    assert not book_verify(scope=Scope.everything()).ok


def test_hojas_an_open_indecopi_request_covers_are_held(old_and_new, establishment):
    old, answered, _recent = old_and_new
    request = IndecopiRequest.objects.create(
        reference="Oficio 123-2026/INDECOPI",
        received_on=date(2026, 11, 20),
        due_on=date(2026, 12, 10),
        numbers=[old.display_number],
        created_at=NOW,
    )
    request.establishments.set([establishment])

    result = anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW)

    assert (result.anonymised, result.held) == (1, 1)
    assert _fresh(old).consumer_name == old.consumer_name
    assert _fresh(answered).consumer_name == ANONYMISED
    request.status = IndecopiRequest.Status.ANSWERED
    request.save()
    assert anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW).anonymised == 1


def test_the_scope_limits_what_is_anonymised(old_and_new):
    other = EstablishmentFactory()
    from ..factories import hoja_filed

    stranger = hoja_filed(establishment=other, filed_at=NOW - timedelta(days=800))
    compliance = staff_user("carmen", "compliance", establishments=[other])

    assert anonymise_expired(scope=Scope.of(compliance), dry_run=False, now=NOW).anonymised == 1
    assert _fresh(stranger).consumer_name == ANONYMISED
    assert _fresh(old_and_new[0]).consumer_name != ANONYMISED


def test_the_retention_period_cannot_go_below_two_years(settings, old_and_new):
    from reclamaciones.checks import retention_check

    settings.RECLAMACIONES_RETENTION_YEARS = 1

    with pytest.raises(RetentionError, match="no puede ser menor de 2 años"):
        anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW)
    assert [e.id for e in retention_check(None)] == ["reclamaciones.E003"]
    assert _fresh(old_and_new[0]).consumer_name != ANONYMISED
    with pytest.raises(CommandError, match="no puede ser menor"):
        call_command("anonymise_expired", "--apply")


def test_a_longer_retention_period_keeps_them(settings, old_and_new):
    settings.RECLAMACIONES_RETENTION_YEARS = 5

    assert anonymise_expired(scope=Scope.everything(), dry_run=False, now=NOW).anonymised == 0
    assert retention_cutoff(now=NOW, years=5).year == 2021


def test_29_february_counts_to_28_february():
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=LIMA)

    assert retention_cutoff(now=leap, years=2).date() == date(2026, 2, 28)


def test_the_command_is_a_dry_run_unless_told(old_and_new):
    out = StringIO()
    call_command("anonymise_expired", stdout=out)
    assert "Simulación" in out.getvalue()
    assert "--apply" in out.getvalue()
    assert not Anonymisation.objects.exists()

    out = StringIO()
    call_command("anonymise_expired", "--apply", stdout=out)
    assert "Anonimizadas 2 hojas" in out.getvalue()
    assert Anonymisation.objects.count() == 2


def test_only_personal_fields_can_be_anonymised(file_complaint):
    hoja = file_complaint()

    with pytest.raises(ImmutableRecordError):
        Complaint.objects.filter(pk=hoja.pk).anonymise(values={"detail": "x"}, anonymised_sha256="", anonymised_seal="")
    assert set(PERSONAL_FIELDS) >= {"consumer_name", "doc_number", "guardian_email"}


# Nothing is deleted before two years ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        "reclamaciones_complaintevent",
        "reclamaciones_outboundmessage",
        "reclamaciones_response",
    ],
)
def test_the_database_refuses_to_delete_a_recent_hojas_records(file_complaint, table):
    hoja = hoja_answered(file_complaint())

    with pytest.raises(IntegrityError, match=r"art\. 12"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE complaint_id = %s", [hoja.pk])  # noqa: S608

    assert ComplaintEvent.objects.filter(complaint=hoja).exists()


def test_the_database_refuses_to_delete_a_recent_hoja(file_complaint):
    hoja = file_complaint()

    with pytest.raises(IntegrityError, match=r"art\. 12"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reclamaciones_complaint WHERE id = %s", [hoja.pk])


def test_an_old_hojas_messages_may_go_after_two_years(file_complaint):
    old = file_complaint(filed_at=timezone.now() - timedelta(days=2 * 366 + 2))

    assert OutboundMessage.objects.filter(complaint=old).delete()[0] >= 1


def test_the_application_refuses_too(file_complaint):
    hoja = file_complaint()

    with pytest.raises(ImmutableRecordError, match=r"art\. 12"):
        OutboundMessage.objects.filter(complaint=hoja).delete()
    with pytest.raises(ImmutableRecordError, match=r"art\. 12"):
        OutboundMessage.objects.filter(complaint=hoja).first().delete()
    with pytest.raises(ImmutableRecordError):
        Complaint.objects.filter(pk=hoja.pk).delete()
    with pytest.raises(ImmutableRecordError):
        ComplaintEvent.objects.filter(complaint=hoja).delete()


def test_the_system_check_is_registered():
    assert not [e for e in checks.run_checks() if e.id == "reclamaciones.E003"]
