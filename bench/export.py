"""The staff queue's export at scale (issue 11): CSV streamed and XLSX as a background job, in constant memory,
against the anchor of the same SELECT read with a server-side cursor, on PostgreSQL. Run by `python -m bench`;
alone: `python -m bench.export --db postgres` (creates and drops its own throwaway database).

The book: bench/book.py's generator (the deadlines-sweep's shape: one `INSERT ... SELECT ... FROM
generate_series`, indexes built after the load, 2% of the hojas open, the in-progress ones assigned), 10
establishments; then VACUUM ANALYZE. For each size (BENCH_EXPORT_SIZES, default 10,000, 100,000 and 1,000,000
hojas), as the regional supervisor (every establishment), in this order:

* anchor: the export's own SELECT (its `values_list` columns and joins, compiled by Django) run by psycopg on a
  named (server-side) cursor in a transaction, fetched 2,000 rows at a time and thrown away: what the database
  and the driver cost, with no Python per row;
* streamed CSV: `QueueExportView` (the real view: scope, filter form, bounded count, then the
  StreamingHttpResponse) called with a RequestFactory request, its chunks consumed as a WSGI server would; time to
  the first chunk (the header), to the first chunk of rows, and to the end; measured at every size with the job
  threshold out of the way, and the GET above the default threshold (bounded count, then the page offering the
  job) timed apart;
* XLSX job: `exports.export_job_run` (the Celery task's service) on an ExportJob of that user, writing to a
  temporary export storage: total time and the file's size (a CSV job too, for comparison).

Memory: the process's resident set size, sampled every 5 ms by a thread (/proc/self/statm) during each
measurement; reported as the peak's growth over the RSS when the measurement started.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.book import BookShape, complaints_insert, counters_insert, execute, indexes_built_after, staff_create
from bench.common import database_settings_note, scenario_main

SIZES = tuple(int(n) for n in os.environ.get("BENCH_EXPORT_SIZES", "10000,100000,1000000").split(","))
ESTABLISHMENTS = 10
OPEN_EVERY = 50
DUE_FROM, DUE_TO = -10, 15
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=ZoneInfo("America/Lima"))
FETCH = 2000
TARGET_RATIO = 3.0
TARGET_FIRST_BYTE_S = 1.0

SQLITE_REASON = (
    "not run: the book is built with PostgreSQL SQL (generate_series) and the server-side cursor the export "
    "streams from is PostgreSQL's (the production database)."
)


def _progress(message: str) -> None:
    print(f"bench: queue-export: {message}", file=sys.stderr, flush=True)


# -- memory ------------------------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


class RssPeak:
    """The peak resident set size while the block runs, sampled by a thread; `.growth_mb` over the start."""

    def __enter__(self) -> RssPeak:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 2**20

    @property
    def start_mb(self) -> float:
        return self.start / 2**20


# -- the book ----------------------------------------------------------------------------------------------------


def _seed(size: int, staff) -> dict:
    from django.db import transaction

    from reclamaciones.book.models import Complaint, SheetCounter

    complaint, counter = Complaint._meta.db_table, SheetCounter._meta.db_table
    execute(f"TRUNCATE {complaint}, {counter} RESTART IDENTITY CASCADE")
    shape = BookShape(size=size, now=NOW, staff=staff, open_every=OPEN_EVERY, due_from=DUE_FROM, due_to=DUE_TO)
    _progress(f"seeding {size:,} hojas ...")
    t0 = time.perf_counter()
    with indexes_built_after([complaint]), transaction.atomic():
        complaints_insert(shape)
        counters_insert()
    seed_s = time.perf_counter() - t0
    execute(f"VACUUM ANALYZE {complaint}")
    return {"seed_s": seed_s}


def _user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="supervision.regional")


def _request(user, path: str, method: str = "get"):
    from django.test import RequestFactory

    request = getattr(RequestFactory(), method)(path)
    request.user = user
    return request


# -- measurements ----------------------------------------------------------------------------------------------


def _anchor(user) -> dict:
    """The export's SELECT through a psycopg server-side cursor, rows thrown away."""
    from django.db import connection, transaction
    from django.utils import timezone

    from reclamaciones.access import Scope
    from reclamaciones.handling.exports import queue_export_for

    export = queue_export_for(scope=Scope.of(user), filters={}, today=timezone.localdate(NOW))
    sql, params = export.queryset.values_list(*export.fields).query.sql_with_params()
    rows = 0
    with RssPeak() as memory, transaction.atomic():
        connection.ensure_connection()
        t0 = time.perf_counter()
        with connection.connection.cursor(name="bench_anchor") as cursor:
            cursor.execute(sql, params)
            first = None
            while batch := cursor.fetchmany(FETCH):
                if first is None:
                    first = time.perf_counter() - t0
                rows += len(batch)
        total = time.perf_counter() - t0
    return {"rows": rows, "first_row_s": first or total, "total_s": total, "rss_growth_mb": memory.growth_mb}


def _big_export_page(user) -> dict:
    """The GET above the threshold (the default one): a bounded count, then the page offering the job."""
    from django.conf import settings
    from django.urls import reverse

    from reclamaciones.handling.views import QueueExportView

    view = QueueExportView.as_view(fmt="csv")
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 50_000  # the default
    t0 = time.perf_counter()
    response = view(_request(user, reverse("staff:export-csv")))
    total = time.perf_counter() - t0
    return {"streaming": response.streaming, "total_s": total, "threshold": settings.RECLAMACIONES_EXPORT_ASYNC_ROWS}


def _streamed_csv(user) -> dict:
    """The streamed path at every size (the threshold out of the way: the job path is measured apart)."""
    from django.conf import settings
    from django.urls import reverse

    from reclamaciones.handling.views import QueueExportView

    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 10**9
    view = QueueExportView.as_view(fmt="csv")
    request = _request(user, reverse("staff:export-csv"))
    size = chunks = 0
    first_byte = first_rows = None
    with RssPeak() as memory:
        t0 = time.perf_counter()
        response = view(request)
        for chunk in response.streaming_content:
            if first_byte is None:
                first_byte = time.perf_counter() - t0
            elif first_rows is None:
                first_rows = time.perf_counter() - t0
            size += len(chunk)
            chunks += 1
        response.close()
        total = time.perf_counter() - t0
    return {
        "status": response.status_code,
        "streaming": response.streaming,
        "first_byte_s": first_byte,
        "first_rows_s": first_rows,
        "total_s": total,
        "chunks": chunks,
        "mb": size / 2**20,
        "rss_start_mb": memory.start_mb,
        "rss_growth_mb": memory.growth_mb,
    }


def _job(user, fmt: str) -> dict:
    from reclamaciones.handling.exports import export_job_run, export_storage
    from reclamaciones.handling.models import ExportJob

    job = ExportJob.objects.create(requested_by=user, format=fmt, filters={})
    with RssPeak() as memory:
        t0 = time.perf_counter()
        export_job_run(job_id=job.pk)
        total = time.perf_counter() - t0
    job.refresh_from_db()
    storage = export_storage()
    size = storage.size(job.file_name)
    storage.delete(job.file_name)
    return {
        "status": job.status,
        "rows": job.rows_done,
        "rows_total": job.rows_total,
        "total_s": total,
        "mb": size / 2**20,
        "rss_start_mb": memory.start_mb,
        "rss_growth_mb": memory.growth_mb,
    }


def _size(size: int, staff) -> dict:
    from django.db import connections

    stage = {"hojas": size, **_seed(size, staff)}
    user = _user()
    connections.close_all()  # every measurement starts on a fresh connection
    _progress(f"{size:,} hojas: anchor ...")
    stage["anchor"] = _anchor(user)
    _progress(f"{size:,} hojas: anchor {stage['anchor']['total_s']:.2f} s; streamed CSV ...")
    stage["csv"] = _streamed_csv(user)
    _progress(f"{size:,} hojas: CSV {stage['csv']['total_s']:.2f} s; anchor again ...")
    stage["anchor_after"] = _anchor(user)
    stage["big_page"] = _big_export_page(user)
    _progress(f"{size:,} hojas: CSV job ...")
    stage["csv_job"] = _job(user, "csv")
    _progress(f"{size:,} hojas: CSV job {stage['csv_job']['total_s']:.2f} s; XLSX job ...")
    stage["xlsx_job"] = _job(user, "xlsx")
    _progress(f"{size:,} hojas: XLSX job {stage['xlsx_job']['total_s']:.2f} s")
    return stage


def queue_export_scale() -> dict:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": SQLITE_REASON}
    staff = staff_create(ESTABLISHMENTS)
    with tempfile.TemporaryDirectory(prefix="bench_reclamaciones_exports_") as root:
        settings.RECLAMACIONES_EXPORT_ROOT = str(Path(root))
        stages = [_size(size, staff) for size in SIZES]
    return {
        "sizes": stages,
        "info": {
            "user": "supervision.regional (every establishment)",
            "connection settings": database_settings_note(),
        },
    }


# -- report (called by bench/__main__.py) ------------------------------------------------------------------------


def export_table(scenario, results: dict) -> list[str]:
    result = results.get("postgres") or {}
    if "sizes" not in result:
        why = result.get("error") or result.get("skipped") or "not run"
        return [f"**PostgreSQL: {why}**", "", f"SQLite: {SQLITE_REASON}"]
    sizes = result["sizes"]
    header = " | ".join(f"{s['hojas']:,} hojas" for s in sizes)
    lines = [f"| {scenario.name} (PostgreSQL) | {header} |", "|---" + "|---:" * len(sizes) + "|"]

    def row(label: str, fn) -> None:
        lines.append(f"| {label} | " + " | ".join(fn(s) for s in sizes) + " |")

    def anchor(s) -> float:
        return min(s["anchor"]["total_s"], s["anchor_after"]["total_s"])

    row("anchor: the same SELECT, server-side cursor (best of 2)", lambda s: f"{anchor(s):.2f} s")
    row("anchor: first rows", lambda s: f"{1000 * s['anchor']['first_row_s']:.0f} ms")
    row("anchor: RSS growth", lambda s: f"{s['anchor']['rss_growth_mb']:.1f} MB")
    row("streamed CSV: first byte (header)", lambda s: f"{1000 * s['csv']['first_byte_s']:.0f} ms")
    row("streamed CSV: first chunk of rows", lambda s: f"{1000 * (s['csv']['first_rows_s'] or 0):.0f} ms")
    row("streamed CSV: total", lambda s: f"{s['csv']['total_s']:.2f} s")
    row("streamed CSV: total / anchor", lambda s: f"{s['csv']['total_s'] / anchor(s):.2f}x")
    row("streamed CSV: size", lambda s: f"{s['csv']['mb']:.1f} MB in {s['csv']['chunks']:,} chunks")
    row("streamed CSV: RSS growth (peak)", lambda s: f"{s['csv']['rss_growth_mb']:.1f} MB")
    row(
        "GET above 50,000 rows: bounded count + the job's page",
        lambda s: f"{1000 * s['big_page']['total_s']:.0f} ms" + (" (streamed)" if s["big_page"]["streaming"] else ""),
    )
    row("CSV job (file in storage): total", lambda s: f"{s['csv_job']['total_s']:.2f} s")
    row("CSV job: RSS growth (peak)", lambda s: f"{s['csv_job']['rss_growth_mb']:.1f} MB")
    row("XLSX job: total", lambda s: f"{s['xlsx_job']['total_s']:.2f} s")
    row("XLSX job: total / anchor", lambda s: f"{s['xlsx_job']['total_s'] / anchor(s):.1f}x")
    row("XLSX job: file", lambda s: f"{s['xlsx_job']['mb']:.1f} MB")
    row("XLSX job: RSS growth (peak)", lambda s: f"{s['xlsx_job']['rss_growth_mb']:.1f} MB")
    row("process RSS before the CSV", lambda s: f"{s['csv']['rss_start_mb']:.0f} MB")
    row("seed (generate_series)", lambda s: f"{s['seed_s']:.1f} s")
    lines += ["", *[f"* {k}: {v}" for k, v in result.get("info", {}).items()]]
    return lines


def export_meaning(results: dict) -> list[str]:
    result = (results.get("queue-export") or {}).get("postgres") or {}
    if "sizes" not in result:
        return []
    large = result["sizes"][-1]
    anchor = min(large["anchor"]["total_s"], large["anchor_after"]["total_s"])
    csv_run = large["csv"]
    ratio = csv_run["total_s"] / anchor
    growth = ", ".join(f"{s['csv']['rss_growth_mb']:.0f}" for s in result["sizes"])
    sizes = ", ".join(f"{s['hojas']:,}" for s in result["sizes"])
    return [
        f"* **Queue export at {large['hojas']:,} hojas** (issue 11: first byte under {TARGET_FIRST_BYTE_S:.0f} s, "
        f"total at most {TARGET_RATIO:.0f}x the SELECT, memory flat). The streamed CSV's first byte leaves in "
        f"{1000 * csv_run['first_byte_s']:.0f} ms, the whole {csv_run['mb']:.0f} MB in {csv_run['total_s']:.1f} s, "
        f"{ratio:.1f}x the {anchor:.1f} s of the same SELECT ({'met' if ratio <= TARGET_RATIO else 'NOT met'}); the "
        f"process grows by {growth} MB at {sizes} hojas. The XLSX job takes "
        f"{large['xlsx_job']['total_s']:.0f} s (growing by {large['xlsx_job']['rss_growth_mb']:.0f} MB)."
    ]


if __name__ == "__main__":
    scenario_main({"queue-export": queue_export_scale})
