"""Exports in constant memory (issue 11): the CSV streams from a server-side cursor with the same bytes as the
old all-in-memory export, the XLSX is written in write-only mode, and a big export is a job with progress
whose file only its requester downloads."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.query import QuerySet, ValuesListIterable
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reclamaciones.access import Role, Scope
from reclamaciones.deadlines.clock import DaysLeft
from reclamaciones.deadlines.selectors import business_calendar_get
from reclamaciones.handling import exports
from reclamaciones.handling.models import ExportJob
from reclamaciones.handling.selectors import complaint_list

from ..factories import staff_user
from .staff_support import PASSWORD, _body, _csv_rows, _xlsx_rows

pytestmark = pytest.mark.django_db


# The export as it was before streaming (model instances, one string in memory): the reference. ------------

_OLD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _old_safe(value: str) -> str:
    value = _OLD_CONTROL.sub(" ", value)
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _old_values(c, left) -> list:
    assignee = "" if c.assignee is None else (c.assignee.get_full_name() or c.assignee.get_username())
    response = getattr(c, "response", None)  # RelatedObjectDoesNotExist is an AttributeError
    answered = timezone.localtime(response.communicated_at) if response else None
    return [
        c.display_number,
        _old_safe(c.establishment.name),
        _old_safe(c.establishment_code),
        c.get_kind_display() if c.kind else "Sin clasificar",
        _old_safe(c.consumer_name),
        c.get_doc_type_display(),
        _old_safe(c.doc_number),
        timezone.localtime(c.filed_at).replace(tzinfo=None, microsecond=0),
        c.due_date,
        left,
        _old_safe(assignee),
        c.get_status_display(),
        c.get_channel_display(),
        _old_safe(f"{c.cause.code} · {c.cause.name}") if c.cause else "",
        answered.replace(tzinfo=None, microsecond=0) if answered else None,
        "" if answered is None else ("Sí" if answered.date() <= c.due_date else "No"),
    ]


def _old_text(value) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _old_csv(user) -> bytes:
    today = timezone.localdate()
    days_left = DaysLeft(today=today, calendar=business_calendar_get())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(exports.HEADERS)
    for c in complaint_list(scope=Scope.of(user)).order_by("pk"):
        writer.writerow([_old_text(v) for v in _old_values(c, days_left(c))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@pytest.fixture
def book(mixed, file_complaint):
    """The mixed queue plus hojas whose text a spreadsheet would misread."""
    supervisor, hojas = mixed
    hojas["formula"] = file_complaint(consumer_name='=HYPERLINK("http://malo.example","clic")')
    hojas["control"] = file_complaint(consumer_name="Ana\x0bMaría\x1f Núñez, \"la 'jefa'\"\nde\tventas")
    return supervisor, hojas


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.RECLAMACIONES_EXPORT_ROOT = str(tmp_path / "exports")
    return tmp_path / "exports"


# Streaming ---------------------------------------------------------------------------------------------------


def test_the_streamed_csv_has_exactly_the_bytes_of_the_old_export(client, book):
    supervisor, _ = book
    client.force_login(supervisor)

    response = client.get(reverse("staff:export-csv"))

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="hojas-de-reclamacion-')
    assert "no-cache" in response["Cache-Control"]
    body = _body(response)
    assert body == _old_csv(supervisor)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1 + 7
    assert any(r[4].startswith("'=HYPERLINK") for r in rows)
    assert any(r[4] == "Ana María  Núñez, \"la 'jefa'\"\nde\tventas" for r in rows)


def test_the_header_leaves_before_any_row_is_read(client, book):
    supervisor, _ = book
    client.force_login(supervisor)
    response = client.get(reverse("staff:export-csv"))
    chunks = iter(response.streaming_content)

    with CaptureQueriesContext(connection) as queries:
        first = next(chunks)

    assert first == ("\ufeff" + ",".join(exports.HEADERS) + "\r\n").encode("utf-8")
    assert len(queries) == 0
    assert b"".join(chunks).count(b"\r\n") >= 7


def test_rows_are_read_as_values_from_a_chunked_iterator(client, book, monkeypatch):
    """No model instances and no list of every row: values_list(...).iterator(chunk_size=...)."""
    supervisor, _ = book
    client.force_login(supervisor)
    calls = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        calls.append((self._iterable_class, chunk_size, list(self._fields)))
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    monkeypatch.setattr(exports, "CSV_FLUSH_ROWS", 3)

    response = client.get(reverse("staff:export-csv"))
    chunks = list(response.streaming_content)

    [(iterable, chunk_size, fields)] = calls
    assert iterable is ValuesListIterable
    assert chunk_size == exports.CHUNK_ROWS
    assert "consumer_name" in fields
    assert "establishment__name" in fields
    assert "detail" not in fields
    assert len(chunks) == 1 + 3  # the header, then 7 rows by 3


def test_the_xlsx_is_written_to_a_temporary_file_and_has_the_same_rows(client, book):
    supervisor, _ = book
    client.force_login(supervisor)

    response = client.get(reverse("staff:export-xlsx"))
    csv_rows = _csv_rows(client.get(reverse("staff:export-csv")))

    assert isinstance(response, FileResponse)
    header, *data = _xlsx_rows(response)
    assert list(header) == exports.HEADERS
    assert [(r[0], r[4]) for r in data] == [(r["Número"], r["Consumidor"]) for r in csv_rows]
    assert "Ana María  Núñez, \"la 'jefa'\"\nde\tventas" in [r[4] for r in data]


def test_past_excels_row_limit_the_rows_continue_on_another_sheet(book, monkeypatch):
    from openpyxl import load_workbook

    supervisor, _ = book
    monkeypatch.setattr(exports, "XLSX_SHEET_ROWS", 3)
    export = exports.queue_export_for(scope=Scope.of(supervisor), filters={}, today=timezone.localdate())
    out = io.BytesIO()

    assert exports.xlsx_write(export, out) == 7

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Hojas de reclamación", "Hojas de reclamación (2)", "Hojas de reclamación (3)"]
    sizes = [sheet.max_row for sheet in workbook.worksheets]
    assert sizes == [4, 4, 2]  # each with its header
    assert all(sheet["A1"].value == "Número" for sheet in workbook.worksheets)


def test_the_export_is_filtered_and_scoped_like_the_queue(client, book, agent):
    supervisor, hojas = book
    client.force_login(supervisor)

    [late] = _csv_rows(client.get(reverse("staff:export-csv"), {"vencidas": "on"}))
    assert late["Número"] == hojas["late"].display_number
    client.force_login(agent)  # only the first establishment
    numbers = {r["Número"] for r in _csv_rows(client.get(reverse("staff:export-csv")))}
    assert hojas["other"].establishment_id != agent.staff_profile.establishments.get().pk
    assert len(numbers) == 6


# Big exports: a job -------------------------------------------------------------------------------------------


def _start_job(client, fmt: str, django_capture_on_commit_callbacks, **params) -> ExportJob:
    url = reverse(f"staff:export-{fmt}")
    page = client.get(url, params)
    assert page.status_code == 200
    assert "Preparar el archivo" in page.content.decode()
    assert not ExportJob.objects.exists()  # a GET never starts a job
    query = "&".join(f"{k}={v}" for k, v in params.items())
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly (test settings)
        response = client.post(f"{url}?{query}" if query else url)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:export-job", args=[job.pk])
    return job


def test_a_big_csv_export_runs_as_a_job_records_progress_and_serves_the_same_file(
    client, book, settings, export_dir, monkeypatch, django_capture_on_commit_callbacks
):
    supervisor, _ = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 5
    monkeypatch.setattr(exports, "CSV_FLUSH_ROWS", 2)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    client.force_login(supervisor)
    expected = _old_csv(supervisor)

    with CaptureQueriesContext(connection) as queries:
        job = _start_job(client, "csv", django_capture_on_commit_callbacks)

    progress = [q["sql"] for q in queries if re.search(r'UPDATE "reclamaciones_exportjob" SET "rows_done"', q["sql"])]
    assert len(progress) >= 3  # 2, 4, 6 and 7 rows
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.rows_done == job.rows_total == 7
    assert job.requested_by == supervisor
    assert job.format == "csv"
    assert job.filters == {}  # no filter: the whole queue in scope
    assert job.finished_at
    assert job.file_name.endswith(".csv")
    assert (export_dir / job.file_name).read_bytes() == expected
    page = client.get(reverse("staff:export-job", args=[job.pk]))
    assert "Tu exportación" in page.content.decode()
    assert reverse("staff:export-download", args=[job.pk]) in page.content.decode()
    assert "<script>" not in page.content.decode().split("</main>")[0]  # CSP: no inline script
    state = client.get(reverse("staff:export-status", args=[job.pk])).json()
    assert state["ready"]
    assert state["percent"] == 100
    assert state["rows_done"] == 7
    download = client.get(reverse("staff:export-download", args=[job.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    assert _body(download) == expected


def test_the_job_keeps_the_queues_filters(client, book, settings, export_dir, django_capture_on_commit_callbacks):
    supervisor, hojas = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 0
    client.force_login(supervisor)

    job = _start_job(client, "csv", django_capture_on_commit_callbacks, vencidas="on")

    job.refresh_from_db()
    assert job.filters["overdue"] is True
    [row] = list(csv.DictReader(io.StringIO((export_dir / job.file_name).read_text("utf-8-sig"))))
    assert row["Número"] == hojas["late"].display_number


def test_a_big_xlsx_export_runs_as_a_job_and_opens_with_openpyxl(
    client, book, settings, export_dir, django_capture_on_commit_callbacks
):
    supervisor, _ = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 3
    client.force_login(supervisor)
    csv_rows = _csv_rows(client.get(reverse("staff:export-csv"), {"q": "zzz-nadie"}))  # small: streamed
    assert csv_rows == []

    job = _start_job(client, "xlsx", django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.rows_done == 7
    download = client.get(reverse("staff:export-download", args=[job.pk]))
    header, *data = _xlsx_rows(download)
    assert list(header) == exports.HEADERS
    assert len(data) == 7
    assert any(str(r[4]).startswith("'=HYPERLINK") for r in data)


def test_only_the_requester_and_superusers_see_or_download_the_job(
    client, book, settings, export_dir, establishment, django_capture_on_commit_callbacks
):
    supervisor, _ = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 1
    client.force_login(supervisor)
    job = _start_job(client, "csv", django_capture_on_commit_callbacks)
    colleague = staff_user("sara", Role.SUPERVISOR, establishments=[establishment], password=PASSWORD)
    root = staff_user("raiz", None, is_superuser=True, profile=False, password=PASSWORD)
    names = ("staff:export-job", "staff:export-status", "staff:export-download")
    urls = [reverse(name, args=[job.pk]) for name in names]

    client.force_login(colleague)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(root)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    client.logout()
    assert all(client.get(url).status_code == 302 for url in urls)  # to the login page


def test_an_expired_file_is_no_longer_served_and_is_removed(
    client, book, settings, export_dir, django_capture_on_commit_callbacks
):
    supervisor, _ = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 1
    settings.RECLAMACIONES_EXPORT_TTL_HOURS = 24
    client.force_login(supervisor)
    job = _start_job(client, "csv", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    path = export_dir / job.file_name
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=25))

    assert client.get(reverse("staff:export-download", args=[job.pk])).status_code == 404
    assert "expiró" in client.get(reverse("staff:export-job", args=[job.pk])).content.decode()
    assert exports.exports_expire() == 1
    assert not path.exists()
    assert ExportJob.objects.get(pk=job.pk).file_name == ""


def test_a_job_that_cannot_be_queued_fails_with_a_message(
    client, book, settings, export_dir, monkeypatch, django_capture_on_commit_callbacks
):
    from reclamaciones.handling import tasks

    supervisor, _ = book
    settings.RECLAMACIONES_EXPORT_ASYNC_ROWS = 1

    def broker_down(*args, **kwargs):
        raise OSError("broker down")

    monkeypatch.setattr(tasks.export_run, "delay", broker_down)
    client.force_login(supervisor)
    job = _start_job(client, "csv", django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    page = client.get(reverse("staff:export-job", args=[job.pk])).content.decode()
    assert "No se pudo poner en cola la exportación" in page


def test_a_job_runs_again_from_the_start_when_delivered_twice(book, export_dir):
    supervisor, _ = book
    job = ExportJob.objects.create(requested_by=supervisor, format="csv", filters={})

    exports.export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, rows_done=3)
    again = exports.export_job_run(job_id=job.pk)

    assert again.status == ExportJob.Status.DONE
    assert again.rows_done == 7
    assert exports.export_job_run(job_id=job.pk).rows_done == 7  # finished: left as it is
