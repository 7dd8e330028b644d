"""Gapless sheet numbers per (establishment, year): Reglamento art. 5, "numeración correlativa".

The counter row is bumped with one atomic upsert inside the filing transaction. On PostgreSQL the row lock
taken by the upsert is held until commit, so concurrent filings queue on it and get consecutive numbers;
on SQLite the IMMEDIATE transaction holds the database write lock. A filing that rolls back rolls the
counter back with it, so no number is ever skipped or reused.
"""

from __future__ import annotations

from django.db import connection

from .models import Complaint, SheetCounter

_UPSERT = """
INSERT INTO {table} (establishment_id, year, last_number) VALUES (%s, %s, 1)
ON CONFLICT (establishment_id, year) DO UPDATE SET last_number = {table}.last_number + 1
RETURNING last_number
"""


def number_allocate(*, establishment_id: int, year: int) -> int:
    """Next sheet number of the establishment's book for `year`. Must run inside the filing transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("number_allocate must run inside the filing transaction")
    table = connection.ops.quote_name(SheetCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), [establishment_id, year])
        (number,) = cursor.fetchone()
    return number


def complaint_id_reserve() -> int | None:
    """PostgreSQL: the id the hoja being filed will have, from its table's sequence, so that rows naming it (its
    outbox copies) can be written before the counter row is locked. Elsewhere None: SQLite's IMMEDIATE
    transaction locks the whole database from its start, so writing earlier gains nothing there."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Complaint._meta.db_table])
        (complaint_id,) = cursor.fetchone()
    return complaint_id
