"""Numbering (Reglamento art. 5): consecutive per establishment and year, no gaps, no duplicates."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from reclamaciones.access import Scope
from reclamaciones.book.models import Complaint, SheetCounter
from reclamaciones.book.numbering import number_allocate
from reclamaciones.book.services import book_verify, complaint_file

from ..factories import EstablishmentFactory, filing_kwargs

LIMA = ZoneInfo("America/Lima")
CONCURRENT_FILINGS = 24


def _file_concurrently(establishment, count: int) -> tuple[list[int], list[BaseException]]:
    barrier = threading.Barrier(count)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            complaint = complaint_file(
                **filing_kwargs(establishment=establishment, consumer_name=f"Consumidor concurrente {i}")
            )
            with lock:
                numbers.append(complaint.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return numbers, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_distinct_consecutive_numbers():
    """Runs on the configured database: PostgreSQL in CI, SQLite otherwise (and via the test below)."""
    establishment = EstablishmentFactory()
    numbers, errors = _file_concurrently(establishment, CONCURRENT_FILINGS)

    assert errors == []
    assert sorted(numbers) == list(range(1, CONCURRENT_FILINGS + 1))
    # Each filing read its predecessor's seal once the counter lock let it through: the chain is whole.
    assert book_verify(scope=Scope.everything()).ok
    assert SheetCounter.objects.get(establishment=establishment).last_number == CONCURRENT_FILINGS
    stored = sorted(Complaint.objects.filter(establishment=establishment).values_list("number", flat=True))
    assert stored == list(range(1, CONCURRENT_FILINGS + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_on_postgresql_use_the_counter_row_lock():
    establishment = EstablishmentFactory()
    numbers, errors = _file_concurrently(establishment, CONCURRENT_FILINGS)

    assert errors == []
    assert sorted(numbers) == list(range(1, CONCURRENT_FILINGS + 1))
    # Each filing read its predecessor's seal once the counter lock let it through: the chain is whole.
    assert book_verify(scope=Scope.everything()).ok


def test_concurrent_filings_on_sqlite_never_report_database_locked(tmp_path):
    """The same concurrent test on a SQLite file, in a child pytest (the suite may be on PostgreSQL)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'concurrency.sqlite3'}",
        "TEST_SQLITE_PATH": str(tmp_path / "test-concurrency.sqlite3"),
        "REQUIRE_SERVICES": "0",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"{Path(__file__).relative_to(settings.BASE_DIR)}::test_concurrent_filings_get_distinct_consecutive_numbers",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output
    assert "database is locked" not in output


@pytest.mark.django_db
def test_numbers_are_consecutive_per_establishment(file_complaint):
    other = EstablishmentFactory()
    assert [file_complaint().number for _ in range(3)] == [1, 2, 3]
    assert file_complaint(establishment=other).number == 1
    assert file_complaint().number == 4


@pytest.mark.django_db
def test_numbering_restarts_each_year_in_lima_time(file_complaint):
    last_of_2026 = file_complaint(filed_at=datetime(2026, 12, 31, 23, 59, tzinfo=LIMA))
    # 03:30 UTC on 1 January is still 31 December in Lima: same year, next number.
    still_2026 = file_complaint(filed_at=datetime(2027, 1, 1, 3, 30, tzinfo=ZoneInfo("UTC")))
    first_of_2027 = file_complaint(filed_at=datetime(2027, 1, 1, 0, 1, tzinfo=LIMA))

    assert (last_of_2026.year, last_of_2026.number) == (2026, 1)
    assert (still_2026.year, still_2026.number) == (2026, 2)
    assert (first_of_2027.year, first_of_2027.number) == (2027, 1)
    assert first_of_2027.display_number == "000000001-2027"


@pytest.mark.django_db
def test_rolled_back_filing_consumes_no_number(file_complaint):
    assert file_complaint().number == 1
    allocated = []

    def file_then_fail():
        with transaction.atomic():
            allocated.append(file_complaint().number)
            raise RuntimeError("the surrounding transaction fails after the number was allocated")

    with pytest.raises(RuntimeError):
        file_then_fail()

    assert allocated == [2]

    assert file_complaint().number == 2
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_invalid_filing_consumes_no_number(file_complaint, establishment):
    file_complaint()
    with pytest.raises(ValidationError):
        file_complaint(detail="")
    with pytest.raises(ValidationError):
        file_complaint(consumer_address="", consumer_email="")

    assert SheetCounter.objects.get(establishment=establishment).last_number == 1
    assert file_complaint().number == 2


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    establishment = EstablishmentFactory()
    with pytest.raises(RuntimeError):
        number_allocate(establishment_id=establishment.pk, year=2026)
    assert not SheetCounter.objects.exists()
