"""SIREC export at size (issue 12 §1: streams in constant memory; 100,000 hojas in the benchmark): one book of
BENCH_SIREC_SIZE hojas (default 100,000) over two years, built by bench/book.py's generator (indexes after the
load, then VACUUM ANALYZE), its establishment given a SIREC code. Measured in one run, side by side:
- the anchor: the export's own SELECT (`compliance.selectors.sirec_rows`) read through a server-side cursor,
  rows thrown away;
- `compliance.services.sirec_export` writing the whole book to a file (every row validated, then written, each
  hoja marked reported), with the process's peak RSS growth;
- the same export again (nothing left to report) and with `include_reported` (`--all`, every line again,
  nothing marked).
Run by `python -m bench`; alone: `python -m bench.sirec --db postgres`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from datetime import timedelta

from bench.book import BookShape, complaints_insert, counters_insert, execute, indexes_built_after, staff_create
from bench.common import database_settings_note, scenario_main
from bench.export import NOW, RssPeak

SIZE = int(os.environ.get("BENCH_SIREC_SIZE", "100000"))
SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series) and the target is PostgreSQL, the production "
    "database."
)


def _seed() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from reclamaciones.book.models import Complaint, Establishment

    staff = staff_create(1)
    Establishment.objects.filter(pk__in=staff.establishment_ids).update(sirec_code="000001")
    shape = BookShape(size=SIZE, now=NOW, staff=staff, open_every=50, due_from=-10, due_to=15)
    t0 = time.perf_counter()
    with indexes_built_after([Complaint._meta.db_table]), transaction.atomic():
        complaints_insert(shape)
        counters_insert()
    seed_s = time.perf_counter() - t0
    execute(f"VACUUM ANALYZE {Complaint._meta.db_table}")
    book = Establishment.objects.get(pk=staff.establishment_ids[0])
    first = Complaint.objects.order_by("filed_at").values_list("filed_at", flat=True).first()
    return {"seed_s": seed_s, "book": book, "start": timezone.localdate(first), "end": timezone.localdate(NOW)}


def _anchor(book, start, end) -> dict:
    from django.db import connection, transaction

    from reclamaciones.access import Scope
    from reclamaciones.compliance.selectors import sirec_rows

    rows = sirec_rows(scope=Scope.everything(), establishment_id=book.pk, start=start, end=end, include_reported=True)
    sql, params = rows.query.sql_with_params()
    count = 0
    with transaction.atomic():
        connection.ensure_connection()
        t0 = time.perf_counter()
        with connection.connection.cursor(name="bench_sirec_anchor") as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                count += len(batch)
        total = time.perf_counter() - t0
    return {"rows": count, "total_s": total}


def _export(book, start, end, *, include_reported: bool) -> dict:
    from reclamaciones.access import Scope
    from reclamaciones.compliance.models import SirecReport
    from reclamaciones.compliance.services import sirec_export

    marked = SirecReport.objects.count()
    with tempfile.TemporaryFile() as out, RssPeak() as memory:
        t0 = time.perf_counter()
        result = sirec_export(
            scope=Scope.everything(),
            establishment=book,
            start=start,
            end=end,
            out=out,
            include_reported=include_reported,
        )
        total = time.perf_counter() - t0
        size = out.tell()
        out.seek(0)
        digest = hashlib.file_digest(out, "sha256").hexdigest()
    export = result.export
    return {
        "total_s": total,
        "lines": export.lines if export else 0,
        "problems": len(result.problems),
        "mb": size / 2**20,
        "sha256_matches": export is not None and export.sha256 == digest,
        "marked": SirecReport.objects.count() - marked,
        "rss_growth_mb": memory.growth_mb,
    }


def sirec_export_scale() -> dict:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    seeded = _seed()
    book, start, end = seeded["book"], seeded["start"], seeded["end"]
    anchor = _anchor(book, start, end)
    first = _export(book, start, end, include_reported=False)
    again = _export(book, start, end, include_reported=False)
    everything = _export(book, start, end, include_reported=True)
    anchor_after = _anchor(book, start, end)
    return {
        "hojas": SIZE,
        "seed_s": seeded["seed_s"],
        "range": f"{start:%Y-%m-%d} .. {end:%Y-%m-%d}",
        "anchor": {**anchor, "total_s": min(anchor["total_s"], anchor_after["total_s"])},
        "first": first,
        "again": again,
        "all": everything,
        "info": {"connection": database_settings_note(), "days": (end - start + timedelta(1)).days},
    }


def sirec_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "first" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    anchor = result["anchor"]["total_s"]

    def row(label: str, run: dict) -> str:
        return (
            f"| {label} | {run['total_s']:,.2f} s | {run['total_s'] / anchor:,.1f}x | {run['lines']:,} | "
            f"{run['marked']:,} | {run['mb']:,.1f} MB | {run['rss_growth_mb']:,.0f} MB | "
            f"{'yes' if run['sha256_matches'] else 'NO'} |"
        )

    return [
        f"One book of {result['hojas']:,} hojas filed {result['range']} (seeded in {result['seed_s']:.0f} s). "
        f"Anchor: the export's SELECT through a server-side cursor, {result['anchor']['rows']:,} rows in "
        f"{anchor:,.2f} s (the faster of a read before and one after the exports).",
        "",
        "| sirec-export (PostgreSQL) | time | × anchor | lines | hojas marked | file | peak RSS growth | "
        "recorded SHA-256 = file |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        row("first export (validate all, write, mark)", result["first"]),
        row("again: nothing left to report", result["again"]),
        row("`--all`: every hoja again, nothing marked", result["all"]),
        "",
        f"Connection: {result['info']['connection']}.",
        "",
        f"SQLite: {SQLITE_REASON}",
    ]


if __name__ == "__main__":
    scenario_main({"sirec-export": sirec_export_scale})
