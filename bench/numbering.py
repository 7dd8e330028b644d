"""Numbering alone: number_allocate (one upsert on the counter row), each call in its own transaction.
Run by `python -m bench`; alone: `python -m bench.numbering --db postgres`.
"""

from __future__ import annotations

from bench.common import database_settings_note, scenario_main, timed, timing_stats

ALLOCATIONS = 2000
WARMUP = 20


def numbering_only() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from reclamaciones.book.models import SheetCounter
    from reclamaciones.book.numbering import number_allocate
    from tests.factories import EstablishmentFactory

    establishment = EstablishmentFactory()
    year = timezone.localdate().year
    numbers: list[int] = []

    def allocate() -> None:
        with transaction.atomic():
            numbers.append(number_allocate(establishment_id=establishment.pk, year=year))

    for _ in range(WARMUP):
        allocate()
    durations, wall = timed(allocate, ALLOCATIONS)
    expected = WARMUP + ALLOCATIONS
    counter = SheetCounter.objects.get(establishment=establishment, year=year).last_number
    ok = numbers == list(range(1, expected + 1)) and counter == expected
    return {
        "parts": [{"title": "number_allocate in transaction.atomic()", "stats": timing_stats(durations, wall)}],
        "checks": {f"numbers 1..{expected} in order, counter = {expected}": "yes" if ok else "NO"},
        "info": {"connection settings": database_settings_note()},
    }


if __name__ == "__main__":
    scenario_main({"numbering-only": numbering_only})
