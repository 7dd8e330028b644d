"""Verifying the book: every hoja's content against its SHA-256, every seal against the chain, and the
numbering against the counter (reclamaciones.integrity has the pure rules)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..integrity import (
    GENESIS,
    PROBLEM_CONTENT,
    PROBLEM_GAP,
    PROBLEM_LABELS,
    PROBLEM_SEAL,
    SealedRecord,
    book_problems,
    content_hash,
    seal_compute,
)
from ..models import Complaint, Establishment, SheetCounter, TrackerHeartbeat, number_format
from ..selectors import complaint_seal_get
from .alarms import INTEGRITY, INTEGRITY_ALARM_ITEMS, integrity_alarm
from .filing import HASHED_FIELDS, complaint_content_hash, integrity_key

HEARTBEAT_LISTED = 100  # failing hojas kept in the heartbeat for the banner and healthz (the count is exact)


@dataclass
class BookReport:
    """What a verification found. `broken` keeps the failing hojas found first, at most `keep` of them (a book
    whose key was lost would otherwise fill the memory); `broken_count` counts them all."""

    keep: int | None = None
    checked: int = 0
    books: int = 0
    broken_count: int = 0
    broken: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken_count

    def add(self, item: dict) -> dict:
        self.broken_count += 1
        if self.keep is None or len(self.broken) < self.keep:
            self.broken.append(item)
        return item


def _broken_item(*, pk: int | None, establishment: Establishment, year: int, number: int, problems) -> dict:
    return {
        "id": pk,
        "number": number_format(number, year),
        "establishment_id": establishment.pk,
        "establishment": f"{establishment.name} ({establishment.code})",
        "problems": list(problems),
    }


def _sealed(row: dict) -> SealedRecord:
    return SealedRecord(
        pk=row["pk"],
        number=row["number"],
        stored_sha256=row["content_sha256"],
        computed_sha256=content_hash({name: row[name] for name in HASHED_FIELDS}),
        seal=row["seal"],
    )


def book_verify_iter(*, report: BookReport, establishment_ids: Iterable[int] | None = None) -> Iterator[dict]:
    """Walk every book (establishment and year) in number order, yielding each failing hoja as it is found
    and counting into `report`; streams, so memory stays flat at any size."""
    key = integrity_key()
    rows = Complaint.objects.order_by("establishment_id", "year", "number").values(
        "pk", "content_sha256", "seal", *HASHED_FIELDS
    )
    counters = SheetCounter.objects.all()
    if establishment_ids is not None:
        rows = rows.filter(establishment_id__in=establishment_ids)
        counters = counters.filter(establishment_id__in=establishment_ids)
    last_numbers = {(c.establishment_id, c.year): c.last_number for c in counters}
    establishments = Establishment.objects.in_bulk({pk for pk, _year in last_numbers})

    def missing(establishment_id: int, year: int, after: int) -> Iterator[dict]:
        # Numbers the counter handed out that are no longer in the book after its last hoja found.
        establishment = establishments[establishment_id]
        for number in range(after + 1, last_numbers.pop((establishment_id, year), 0) + 1):
            yield report.add(
                _broken_item(pk=None, establishment=establishment, year=year, number=number, problems=[PROBLEM_GAP])
            )

    books = itertools.groupby(rows.iterator(chunk_size=2000), key=lambda row: (row["establishment_id"], row["year"]))
    for (establishment_id, year), book_rows in books:
        establishment = establishments[establishment_id]
        last = {"number": 0}

        def records(book_rows=book_rows, last=last):
            for row in book_rows:
                report.checked += 1
                last["number"] = row["number"]
                yield _sealed(row)

        for record, problems in book_problems(records(), key=key):
            yield report.add(
                _broken_item(
                    pk=record.pk, establishment=establishment, year=year, number=record.number, problems=problems
                )
            )
        report.books += 1
        yield from missing(establishment_id, year, last["number"])
    for establishment_id, year in list(last_numbers):  # books whose every hoja is gone
        yield from missing(establishment_id, year, 0)


def book_verify(*, establishment_ids: Iterable[int] | None = None, keep: int | None = None) -> BookReport:
    """The whole verification as a report (keeping at most `keep` failing hojas, all of them by default)."""
    report = BookReport(keep=keep)
    for _item in book_verify_iter(report=report, establishment_ids=establishment_ids):
        pass
    return report


def complaint_integrity_problems(complaint: Complaint) -> list[str]:
    """What fails on one hoja, in words for its detail page (empty when it verifies). One query: its
    predecessor's seal."""
    problems = []
    computed = complaint_content_hash(complaint)
    if computed != complaint.content_sha256:
        problems.append(PROBLEM_LABELS[PROBLEM_CONTENT])
    previous = GENESIS
    if complaint.number > 1:
        previous = complaint_seal_get(
            establishment_id=complaint.establishment_id, year=complaint.year, number=complaint.number - 1
        )
        if previous is None:
            problems.append(PROBLEM_LABELS[PROBLEM_GAP])
            previous = GENESIS
    if seal_compute(key=integrity_key(), previous_seal=previous, content_sha256=computed) != complaint.seal:
        problems.append(PROBLEM_LABELS[PROBLEM_SEAL])
    return problems


def book_verify_daily(*, now: datetime | None = None) -> dict:
    """The daily check (Celery beat): verify every book, record the result as a heartbeat, and alarm the
    supervisors while anything fails."""
    now = now or timezone.now()
    started = time.monotonic()
    report = book_verify(keep=INTEGRITY_ALARM_ITEMS)
    result = {
        "checked": report.checked,
        "books": report.books,
        "broken_count": report.broken_count,
        "broken": report.broken[:HEARTBEAT_LISTED],
    }
    with transaction.atomic():
        TrackerHeartbeat.objects.update_or_create(
            name=INTEGRITY,
            defaults={"last_run_at": now, "duration_ms": int((time.monotonic() - started) * 1000), "data": result},
        )
        if report.broken:
            integrity_alarm(broken=report.broken, total=report.broken_count, today=timezone.localdate(now))
    return {key: value for key, value in result.items() if key != "broken"}
