"""Tampering is detected: every hoja is sealed with an HMAC chaining it to the previous hoja of its book (the key
lives outside the database), `manage.py verify_book` and a daily beat task check every book, the staff detail
page says when a hoja fails, and a failure alarms like a lost e-mail does.

Tampering is done the way an attacker with database access would: raw SQL, recomputing the SHA-256."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.book.integrity import GENESIS, PROBLEM_LABELS, content_hash, seal_compute
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.services import (
    book_verify,
    book_verify_daily,
    complaint_content_hash,
    complaint_integrity_problems,
    integrity_key,
)
from reclamaciones.deadlines.models import TrackerHeartbeat
from reclamaciones.outbox.models import OutboundMessage

from ..factories import EstablishmentFactory, staff_user

pytestmark = pytest.mark.django_db

TABLE = Complaint._meta.db_table


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table=connection.ops.quote_name(TABLE)), params)


def _tamper(complaint: Complaint, *, detail: str, rehash: bool = True) -> None:
    """Edit the detail in SQL and, like a careful attacker, recompute the SHA-256 so the row looks consistent."""
    _sql("UPDATE {table} SET detail = %s WHERE id = %s", [detail, complaint.pk])
    if rehash:
        altered = Complaint.objects.get(pk=complaint.pk)
        _sql("UPDATE {table} SET content_sha256 = %s WHERE id = %s", [complaint_content_hash(altered), complaint.pk])


@pytest.fixture
def book(file_complaint):
    """Five hojas in one book."""
    return [file_complaint(doc_number=f"4580568{n}") for n in range(5)]


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_book", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_each_seal_chains_the_previous_hoja_of_the_book(book):
    previous = GENESIS
    for complaint in book:
        complaint.refresh_from_db()
        assert complaint.seal == seal_compute(
            key=integrity_key(), previous_seal=previous, content_sha256=complaint.content_sha256
        )
        previous = complaint.seal


def test_books_chain_separately(file_complaint):
    other = EstablishmentFactory()
    first_here, first_there = file_complaint(), file_complaint(establishment=other)

    expected = seal_compute(key=integrity_key(), previous_seal=GENESIS, content_sha256=first_there.content_sha256)
    assert first_there.seal == expected
    assert first_here.seal != first_there.seal


def test_an_intact_book_verifies(book):
    code, output = _verify()

    assert code == 0
    assert "Libro íntegro: 5 hojas verificadas en 1 libro(s)." in output


def test_an_edit_with_the_sha256_recomputed_is_still_detected(book):
    _tamper(book[2], detail="La laptop funciona perfectamente.")

    code, output = _verify()

    assert code == 1
    assert f"Nº {book[2].display_number}" in output
    assert PROBLEM_LABELS["seal"] in output
    assert f"Nº {book[3].display_number}" not in output  # one edit is reported once
    assert "1 hoja(s) no superan la verificación (de 5 verificadas)." in output


def test_resealing_without_the_key_is_detected_at_the_next_hoja(book):
    """Even a forged seal (any key but ours) on the edited hoja breaks the link to the next one."""
    _tamper(book[1], detail="Otro detalle.")
    forged = hashlib.sha256(b"no tengo la llave").hexdigest()
    _sql("UPDATE {table} SET seal = %s WHERE id = %s", [forged, book[1].pk])

    broken = {item["number"]: item["problems"] for item in book_verify(scope=Scope.everything()).broken}

    assert broken == {book[1].display_number: ["seal"], book[2].display_number: ["seal"]}


def test_an_edit_without_recomputing_the_hash_is_a_content_failure(book):
    _tamper(book[0], detail="Alterado.", rehash=False)

    [item] = book_verify(scope=Scope.everything()).broken

    assert item["number"] == book[0].display_number
    assert item["problems"] == ["content", "seal"]


def _attacker_deletes(complaint: Complaint) -> None:
    """A database superuser who switches the retention trigger off (it refuses these deletes) and removes a hoja
    with everything that points to it."""
    _sql("SET LOCAL session_replication_role = replica")
    for table in ("reclamaciones_complaintevent", "reclamaciones_outboundmessage"):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE complaint_id = %s", [complaint.pk])  # noqa: S608
    _sql("DELETE FROM {table} WHERE id = %s", [complaint.pk])
    _sql("SET LOCAL session_replication_role = origin")


def test_a_deleted_hoja_is_a_gap(book):
    _attacker_deletes(book[2])

    broken = {item["number"]: item["problems"] for item in book_verify(scope=Scope.everything()).broken}

    assert broken == {book[3].display_number: ["gap", "seal"]}


def test_deleted_last_hojas_are_missing_numbers_of_the_counter(book):
    for complaint in book[3:]:
        _attacker_deletes(complaint)

    broken = book_verify(scope=Scope.everything()).broken

    assert [(item["number"], item["id"], item["problems"]) for item in broken] == [
        (book[3].display_number, None, ["gap"]),
        (book[4].display_number, None, ["gap"]),
    ]
    assert SheetCounter.objects.get().last_number == 5


def test_verify_book_for_one_establishment(book, file_complaint):
    other = EstablishmentFactory(code="LR-OTRA")
    stranger = file_complaint(establishment=other)
    _tamper(stranger, detail="Alterado.")
    out = StringIO()

    call_command("verify_book", "--establishment", book[0].establishment.code, stdout=out)

    assert "5 hojas verificadas" in out.getvalue()
    with pytest.raises(CommandError, match="LR-NADA"):
        call_command("verify_book", "--establishment", "LR-NADA")


def test_the_fingerprint_treats_negative_zero_as_zero():
    from decimal import Decimal

    assert content_hash({"amount_claimed": Decimal("-0.00")}) == content_hash({"amount_claimed": Decimal("0.00")})


# On the staff detail page ------------------------------------------------------------------------------------


def test_the_detail_page_says_when_a_hoja_fails(client, book):
    client.force_login(staff_user("sofia", Role.SUPERVISOR, establishments=[book[0].establishment]))
    _tamper(book[1], detail="Alterado.")

    tampered = client.get(reverse("staff:detail", args=[book[1].pk])).content.decode()
    intact = client.get(reverse("staff:detail", args=[book[2].pk])).content.decode()

    assert 'id="alerta-integridad"' in tampered
    assert PROBLEM_LABELS["seal"] in tampered
    assert 'id="alerta-integridad"' not in intact
    assert complaint_integrity_problems(Complaint.objects.get(pk=book[2].pk)) == []


# The daily check and its alarm -------------------------------------------------------------------------------


def test_the_daily_check_records_its_result_and_stays_quiet_when_intact(book):
    result = book_verify_daily(scope=Scope.everything())

    assert result == {"checked": 5, "books": 1, "broken_count": 0}
    assert TrackerHeartbeat.objects.get(name="book-integrity").data["broken_count"] == 0
    assert not OutboundMessage.objects.filter(kind=OutboundMessage.Kind.INTEGRITY_ALARM).exists()


def test_a_broken_book_alarms_the_supervisors_once_a_day(
    client, admin_client, book, mailoutbox, django_capture_on_commit_callbacks
):
    store = book[0].establishment
    supervisor = staff_user("sofia", Role.SUPERVISOR, establishments=[store], email="sofia@andina.example.pe")
    staff_user("otro", Role.SUPERVISOR, establishments=[EstablishmentFactory()])
    _tamper(book[4], detail="Alterado.")
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        book_verify_daily(now=now, scope=Scope.everything())
        book_verify_daily(
            now=now + timedelta(hours=1), scope=Scope.everything()
        )  # a second run the same day: no second e-mail

    [alarm] = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.INTEGRITY_ALARM)
    assert alarm.recipient == supervisor.email
    [email] = [m for m in mailoutbox if m.to == [supervisor.email]]
    assert "ALERTA DE INTEGRIDAD: 1 hoja del libro no supera la verificación" in email.subject
    assert f"Nº {book[4].display_number}" in email.body
    assert reverse("staff:detail", args=[book[4].pk]) in email.body

    health = client.get("/healthz").json()
    assert health["integrity"]["status"] == "broken"
    assert health["integrity"]["broken"] == 1
    assert (
        "Alerta de integridad: 1 hoja del libro no supera la verificación"
        in admin_client.get("/admin/").content.decode()
    )


def test_a_daily_check_that_stopped_running_is_degraded(client, book):
    from reclamaciones.deadlines.services import deadlines_sweep

    deadlines_sweep(now=timezone.now(), scope=Scope.everything())
    book_verify_daily(now=timezone.now() - timedelta(days=3), scope=Scope.everything())

    payload = client.get("/healthz").json()

    assert payload["status"] == "degraded"
    assert payload["integrity"]["status"] == "stale"


def test_the_migration_seals_hojas_filed_before_the_chain(book):
    import importlib

    from django.db.migrations.loader import MigrationLoader

    migration = "0011_seal_filed_hojas"
    seal_existing = importlib.import_module(f"reclamaciones.migrations.{migration}").seal_existing
    historical = MigrationLoader(connection).project_state(("reclamaciones", migration)).apps
    sealed = list(Complaint.objects.order_by("number").values_list("seal", flat=True))
    _sql("UPDATE {table} SET seal = ''")

    seal_existing(historical, None)

    assert list(Complaint.objects.order_by("number").values_list("seal", flat=True)) == sealed
    assert book_verify(scope=Scope.everything()).ok


def test_a_wholly_broken_book_is_counted_but_not_kept_in_memory(book, settings):
    settings.BOOK_INTEGRITY_KEY = "a-key-that-is-not-the-one-the-book-was-sealed-with"

    report = book_verify(keep=2, scope=Scope.everything())

    assert report.broken_count == 5
    assert len(report.broken) == 2
    assert [item["number"] for item in report.broken] == [c.display_number for c in book[:2]]
    code, output = _verify()
    assert code == 1
    assert output.count("Nº ") == 5  # the command streams every one of them
