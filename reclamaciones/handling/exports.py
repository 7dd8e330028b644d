"""Exports in constant memory (issue 11): the staff queue as CSV or XLSX now, the compliance exports later.

An `Export` says what to write (headers, the `values_list` fields it reads, how a raw row becomes cells) and
over which rows (a scoped, filtered queryset). Rows come from a server-side cursor
(`QuerySet.iterator(chunk_size=...)` over `values_list`: no model instances), so memory does not grow with
the rows:

* CSV streams (`csv_response`: a StreamingHttpResponse; the header leaves at once, then one chunk per
  `CSV_FLUSH_ROWS` rows), UTF-8 with a BOM so Excel opens the accents right;
* XLSX cannot be streamed byte by byte (a zip with a directory at the end): openpyxl's write-only mode writes
  it to a temporary file, served as a FileResponse (`xlsx_response`);
* above RECLAMACIONES_EXPORT_ASYNC_ROWS rows (counted with a bounded count), the export is a Celery job
  (`ExportJob`, `export_job_create` / `export_job_run`) that writes the file to a private storage, recording
  its progress, and the requester downloads it from a page with a progress bar until it expires.

Text cells are neutralised (`_safe`): control characters become spaces (XML, so XLSX, cannot hold them) and a
leading formula character gets a quote (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from ..book.models import OPEN_STATUSES, Channel, DocType, Kind, Status
from ..deadlines.rules import answered_on_time
from .models import ExportJob

logger = logging.getLogger(__name__)

HEADERS = [
    "Número",
    "Establecimiento",
    "Código del libro",
    "Tipo",
    "Consumidor",
    "Tipo de documento",
    "Número de documento",
    "Presentada (hora de Lima)",
    "Fecha límite",
    "Días hábiles restantes",
    "Responsable",
    "Estado",
    "Canal",
    "Causa",
    "Respuesta comunicada (hora de Lima)",
    "¿Respondida a tiempo?",
]

WIDTHS = [16, 28, 14, 14, 32, 20, 18, 20, 14, 14, 24, 24, 22, 36, 22, 14]

ON_TIME = {True: "Sí", False: "No", None: ""}  # None: not answered yet

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}

CHUNK_ROWS = 2000  # rows per fetch from the server-side cursor
CSV_FLUSH_ROWS = 2000  # rows per chunk of the streamed CSV (a few hundred KB)
PROGRESS_EVERY = 20_000  # rows between two progress updates of a job
XLSX_SHEET_ROWS = 1_048_576 - 1  # Excel's limit per sheet, less the header: more rows continue on a new sheet


# Cells a spreadsheet would run as a formula (CSV/formula injection): consumers type these fields.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Control characters XML 1.0 (so XLSX) cannot hold: one in any filed field made the whole export fail.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _safe(value: str) -> str:
    """Text as an export cell: control characters become spaces (the hoja itself stays as filed) and a
    leading formula character is neutralised."""
    if not value.isprintable():  # printable text has no control character: skip the regex (most cells)
        value = _CONTROL.sub(" ", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _text(value) -> str:
    """A typed cell as CSV text: dates as the Peruvian dd/mm/yyyy, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


# -- what an export writes ------------------------------------------------------------------------------------


@dataclass
class Export:
    """One export: its rows (`queryset`, already scoped and filtered), the fields read from each (exactly what
    the cells need, joins included), and how a raw row (a tuple of those fields) becomes cells: `typed` keeps
    dates and numbers (XLSX), `text` gives the CSV strings (default: `typed`, then `_text` per cell)."""

    name: str  # file name, without the extension
    title: str  # the XLSX sheet's title
    headers: Sequence[str]
    widths: Sequence[int]
    queryset: QuerySet
    fields: Sequence[str]
    typed: Callable[[tuple], list]
    text: Callable[[tuple], list] | None = None
    date_formats: tuple[str, str] = ("dd/mm/yyyy hh:mm", "dd/mm/yyyy")  # XLSX formats: datetimes, dates

    def raw_rows(self, chunk_size: int = CHUNK_ROWS) -> Iterator[tuple]:
        """The rows from a server-side cursor (on PostgreSQL), `chunk_size` at a time."""
        return self.queryset.values_list(*self.fields).iterator(chunk_size=chunk_size)

    def text_rows(self, raw: Iterable[tuple]) -> Iterator[list]:
        if self.text is not None:
            return map(self.text, raw)
        typed = self.typed
        return ([_text(v) for v in typed(row)] for row in raw)

    def count(self) -> int:
        return self.queryset.order_by().count()

    def count_upto(self, limit: int) -> int:
        """The number of rows, counted up to limit + 1 at most (a bounded count stops reading there)."""
        return self.queryset.order_by().values("pk")[: limit + 1].count()

    def count_over(self, limit: int) -> bool:
        """More than `limit` rows?"""
        return self.count_upto(limit) > limit


def async_rows(fmt: str = "csv") -> int:
    """Above this many rows an export of `fmt` runs as a job."""
    if fmt == "xlsx":
        return min(settings.RECLAMACIONES_EXPORT_XLSX_ASYNC_ROWS, settings.RECLAMACIONES_EXPORT_ASYNC_ROWS)
    return settings.RECLAMACIONES_EXPORT_ASYNC_ROWS


def ttl_hours() -> int:
    """Hours a finished job's file is kept (RECLAMACIONES_EXPORT_TTL_HOURS)."""
    return settings.RECLAMACIONES_EXPORT_TTL_HOURS


@contextmanager
def streaming_reads():
    """On PostgreSQL, read inside a transaction: Django then declares the server-side cursor without HOLD and
    rows flow as PostgreSQL finds them (in autocommit a cursor WITH HOLD is computed whole, every row, before
    the first fetch). Not on SQLite, where a transaction here would take the write lock for the whole export."""
    if connection.vendor == "postgresql" and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        with transaction.atomic():
            yield
    else:
        yield


# -- CSV --------------------------------------------------------------------------------------------------------


def csv_chunks(export: Export, *, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The CSV as bytes chunks: the BOM and the header first (before any row is read), then one chunk per
    CSV_FLUSH_ROWS rows. `progress(rows_done)` is called after each chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.headers)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    rows = export.text_rows(export.raw_rows())
    done = 0
    while True:
        buffer.seek(0)
        buffer.truncate()
        chunk = list(islice(rows, CSV_FLUSH_ROWS))
        if not chunk:
            break
        writer.writerows(chunk)
        done += len(chunk)
        yield buffer.getvalue().encode("utf-8")
        if progress is not None:
            progress(done)


def csv_stream(export: Export) -> Iterator[bytes]:
    """`csv_chunks` for an HTTP response, reading in a streaming transaction (closed, rolled back, when the
    client goes away and the server closes the response)."""
    chunks = csv_chunks(export)
    yield next(chunks)  # the header: the first byte leaves before any query
    with streaming_reads():
        yield from chunks


def csv_write(export: Export, out, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the CSV into the binary file `out`; returns the number of rows."""
    done = 0

    def counted(n: int) -> None:
        nonlocal done
        done = n
        if progress is not None:
            progress(n)

    for chunk in csv_chunks(export, progress=counted):
        out.write(chunk)
    return done


# -- XLSX -------------------------------------------------------------------------------------------------------


def xlsx_write(export: Export, out, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the XLSX into `out` (a path or a binary file) with openpyxl's write-only mode (rows go to a
    temporary file as they come; only the sheet's header and styles stay in memory): one sheet, bold frozen
    header, real date cells, the columns' widths; past Excel's 1,048,576 rows a sheet, the rows continue on
    another. Returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    datetime_format, date_format = export.date_formats

    def sheet_new(number: int):
        title = export.title[:31] if number == 1 else f"{export.title[:25]} ({number})"
        sheet = workbook.create_sheet(title=title)
        for index, width in enumerate(export.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for text in export.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        # One styled cell per date format, reused row after row: each row is written out when appended.
        stamp, day = WriteOnlyCell(sheet), WriteOnlyCell(sheet)
        stamp.number_format, day.number_format = datetime_format, date_format
        return sheet, stamp, day

    number = 1
    sheet, stamp, day = sheet_new(number)
    in_sheet = done = 0
    typed = export.typed
    for raw in export.raw_rows():
        if in_sheet == XLSX_SHEET_ROWS:
            number += 1
            sheet, stamp, day = sheet_new(number)
            in_sheet = 0
        values = typed(raw)
        for index, value in enumerate(values):
            if isinstance(value, datetime):
                stamp.value = value
                values[index] = stamp
            elif isinstance(value, date):
                day.value = value
                values[index] = day
        sheet.append(values)
        in_sheet += 1
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    workbook.save(out)
    if progress is not None:
        progress(done)
    return done


# -- the staff queue ------------------------------------------------------------------------------------------

QUEUE_FIELDS = (
    "number",
    "year",
    "establishment__name",
    "establishment_code",
    "kind",
    "consumer_name",
    "doc_type",
    "doc_number",
    "filed_at",
    "due_date",
    "status",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "channel",
    "cause__code",
    "cause__name",
    "response__communicated_at",
)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def queue_export(complaints: QuerySet, *, today: date, calendar=None, ordered: bool = True) -> Export:
    """The staff queue's export over `complaints` (the queue's queryset: scoped and filtered, see
    handling.views._filtered). Days left come from deadlines.clock.DaysLeft, once per due date. Rows follow
    the hojas' order of filing (by id), which the database reads without sorting the whole book first."""
    from ..deadlines.clock import DaysLeft
    from ..deadlines.selectors import business_calendar_get

    days = DaysLeft(today=today, calendar=calendar if calendar is not None else business_calendar_get())
    kinds, doc_types, statuses, channels = _labels(Kind), _labels(DocType), _labels(Status), _labels(Channel)
    open_statuses = frozenset(OPEN_STATUSES)
    here = timezone.get_current_timezone()
    safe = _safe
    safe_memo: dict[str, str] = {}  # establishments' names and codes: few distinct values
    person_memo: dict[tuple, str] = {}
    due_text: dict[date, str] = {}
    left_text: dict[date, str] = {}

    def memo_safe(value: str) -> str:
        try:
            return safe_memo[value]
        except KeyError:
            safe_memo[value] = result = safe(value)
            return result

    def person(first: str | None, last: str | None, username: str | None) -> str:
        if username is None:  # no assignee
            return ""
        key = (first, last, username)
        try:
            return person_memo[key]
        except KeyError:
            # User.get_full_name() or get_username(), as the back office shows a person
            person_memo[key] = result = safe(f"{first} {last}".strip() or username)
            return result

    def cause(code: str | None, name: str | None) -> str:
        return memo_safe(f"{code} · {name}") if code else ""

    def on_time(answered: datetime | None, due: date) -> str:
        if answered is None:
            return ON_TIME[None]
        return ON_TIME[answered_on_time(answered_on=answered.astimezone(here).date(), due_date=due)]

    def cells(row: tuple, filed: object, due: object, left: object, answered: object) -> list:
        """A row's columns, with the filing moment, due date, days left and answer moment as the format writes
        them."""
        number, year, name, code, kind, consumer, doc_type, doc_number = row[:8]
        return [
            f"{number:09d}-{year}",
            memo_safe(name),
            memo_safe(code),
            kinds.get(kind, kind) if kind else "Sin clasificar",
            safe(consumer),
            doc_types.get(doc_type, doc_type),
            safe(doc_number),
            filed,
            due,
            left,
            person(row[11], row[12], row[13]),
            statuses.get(row[10], row[10]),
            channels.get(row[14], row[14]),
            cause(row[15], row[16]),
            answered,
            on_time(row[17], row[9]),
        ]

    def typed(row: tuple) -> list:
        filed_at, due, status = row[8:11]
        left = days.until(due) if status in open_statuses else None
        answered = row[17].astimezone(here).replace(tzinfo=None, microsecond=0) if row[17] else None
        return cells(row, filed_at.astimezone(here).replace(tzinfo=None, microsecond=0), due, left, answered)

    def text(row: tuple) -> list:
        filed_at, due, status = row[8:11]
        try:
            due_str = due_text[due]
        except KeyError:
            due_str = due_text[due] = due.strftime("%d/%m/%Y")
        left = ""
        if status in open_statuses:
            try:
                left = left_text[due]
            except KeyError:
                left = left_text[due] = str(days.until(due))
        answered = row[17].astimezone(here).strftime("%d/%m/%Y %H:%M") if row[17] else ""
        return cells(row, filed_at.astimezone(here).strftime("%d/%m/%Y %H:%M"), due_str, left, answered)

    fields = list(QUEUE_FIELDS)
    fields[13] = f"assignee__{get_user_model().USERNAME_FIELD}"
    return Export(
        name=f"hojas-de-reclamacion-{today:%Y-%m-%d}",
        title="Hojas de reclamación",
        headers=HEADERS,
        widths=WIDTHS,
        queryset=complaints.order_by("pk") if ordered else complaints,
        fields=fields,
        typed=typed,
        text=text,
    )


def queue_export_for(*, scope, filters: dict, today: date) -> Export:
    """The queue's export for `scope` with the queue's filters (QueueFilterForm.filters()), as of `today`."""
    from .selectors import complaint_queue

    return queue_export(complaint_queue(scope=scope, today=today, **filters), today=today)


# -- HTTP responses ---------------------------------------------------------------------------------------------


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)  # personal data: never kept by a shared cache
    return response


def csv_response(export: Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(export), content_type=CSV_CONTENT_TYPE)
    return _attachment(response, f"{export.name}.csv")


def xlsx_response(export: Export) -> FileResponse:
    """The XLSX written to an anonymous temporary file (removed when the response closes it)."""
    out = tempfile.TemporaryFile(prefix="export-", suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    try:
        with streaming_reads():
            xlsx_write(export, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = FileResponse(out, content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, f"{export.name}.xlsx")


# -- big exports: a Celery job --------------------------------------------------------------------------------


def export_storage() -> Storage:
    """Where finished jobs' files are kept: a private folder (RECLAMACIONES_EXPORT_ROOT, default
    <run dir>/exports), outside the web root; they are served only by the job's download view."""
    root = Path(settings.RECLAMACIONES_EXPORT_ROOT)
    return FileSystemStorage(location=root, file_permissions_mode=0o600, directory_permissions_mode=0o700)


def export_job_visible(*, job: ExportJob, user: Any) -> bool:
    """Only the person who asked for the export (and superusers) may follow and download it."""
    return user.is_superuser or job.requested_by_id == user.pk


def export_job_create(*, user: Any, fmt: str, filters: dict, kind: str = "queue") -> ExportJob:
    """Record the job and queue its task once the row is committed. If the broker cannot take it, the job
    fails at once with a message the page shows (the requester can try again)."""
    from .tasks import export_run

    job = ExportJob.objects.create(requested_by=user, kind=kind, format=fmt, filters=filters)

    def publish(pk: int = job.pk) -> None:
        try:
            export_run.delay(pk)
        except Exception:
            logger.warning("exports: could not queue export job %s", pk, exc_info=True)
            ExportJob.objects.filter(pk=pk, status=ExportJob.Status.QUEUED).update(
                status=ExportJob.Status.FAILED,
                error="No se pudo poner en cola la exportación. Inténtalo de nuevo en unos minutos.",
                finished_at=timezone.now(),
            )

    transaction.on_commit(publish)
    return job


def _queue_job_export(job: ExportJob, scope) -> Export:
    today = timezone.localdate(job.created_at)  # days left as of the day it was asked for
    return queue_export_for(scope=scope, filters=job.filters, today=today)


# ExportJob.kind -> the Export of a job (with the requester's scope as it is when the job runs): a later export
# (the compliance ones) registers its own here and gets the job, the progress page and the download for free.
JOB_EXPORTS: dict[str, Callable[[ExportJob, Any], Export]] = {"queue": _queue_job_export}


def _job_export(job: ExportJob) -> Export:
    from ..access import Scope

    try:
        build = JOB_EXPORTS[job.kind]
    except KeyError:
        raise ValueError(f"unknown export: {job.kind}") from None
    return build(job, Scope.of(job.requested_by))


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's file to the export storage, recording rows done / total as it goes. Runs again from
    the start if the task is delivered twice (a worker lost mid-way); a finished job is left as it is."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status == ExportJob.Status.DONE:
        return job
    exports_expire()
    export = _job_export(job)
    jobs = ExportJob.objects.filter(pk=job.pk)
    job.rows_total = export.count()
    job.status, job.started_at, job.rows_done, job.error = ExportJob.Status.RUNNING, timezone.now(), 0, ""
    jobs.update(status=job.status, started_at=job.started_at, rows_done=0, rows_total=job.rows_total, error="")

    reported = 0

    def progress(done: int) -> None:
        # In autocommit each update is seen at once by the page polling it (this is why the job reads
        # without streaming_reads(): a cursor WITH HOLD, computed before the first row; fine for a job).
        nonlocal reported
        if done - reported >= PROGRESS_EVERY or done >= (job.rows_total or 0):
            jobs.update(rows_done=done)
            reported = done

    write = xlsx_write if job.format == ExportJob.Format.XLSX else csv_write
    try:
        with tempfile.TemporaryFile(prefix="export-") as out:
            rows = write(export, out, progress=progress)
            out.seek(0)
            name = export_storage().save(f"{job.pk}/{export.name}.{job.format}", File(out))
    except Exception as exc:
        logger.exception("exports: job %s failed", job.pk)
        jobs.update(
            status=ExportJob.Status.FAILED,
            error=f"La exportación falló ({type(exc).__name__}). Inténtalo de nuevo o avisa a soporte.",
            finished_at=timezone.now(),
        )
        raise
    job.status, job.rows_done, job.file_name, job.finished_at = ExportJob.Status.DONE, rows, name, timezone.now()
    jobs.update(status=job.status, rows_done=rows, file_name=name, finished_at=job.finished_at)
    return job


def export_job_open(*, job: ExportJob):
    """The job's finished file, opened for reading."""
    return export_storage().open(job.file_name, "rb")


def exports_expire(*, now: datetime | None = None) -> int:
    """Delete the files of finished jobs past RECLAMACIONES_EXPORT_TTL_HOURS (the job rows stay, as a record
    of who exported what). Run at the start of every export job. Returns how many files were removed."""
    now = now or timezone.now()
    hours = ttl_hours()
    storage = export_storage()
    removed = 0
    expired = ExportJob.objects.filter(finished_at__lte=now - timedelta(hours=hours)).exclude(file_name="")
    for job in expired.only("pk", "file_name"):
        try:
            storage.delete(job.file_name)
        except OSError:
            logger.warning("exports: could not delete %s", job.file_name, exc_info=True)
            continue
        ExportJob.objects.filter(pk=job.pk).update(file_name="")
        removed += 1
    return removed
