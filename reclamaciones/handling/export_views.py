"""The export pages of the back office (issue 11).

`/gestion/exportar.csv|.xlsx` (views.QueueExportView, which calls `queue_export_get` / `queue_export_post`):
up to RECLAMACIONES_EXPORT_ASYNC_ROWS rows, the file right away (CSV streamed, XLSX from a temporary file);
above, a page that offers to prepare it in the background (a POST: a GET never starts a job), then "Tu
exportación" (`ExportJobView`) with a progress bar the page's script refreshes from `ExportJobStatusView`
(JSON) and, when the file is ready, the download link (`ExportJobDownloadView`). A job is seen and downloaded
only by whoever asked for it (and superusers): anyone else gets a 404, as for a hoja outside their scope.
"""

from __future__ import annotations

import os
from datetime import date

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..access import Scope, StaffRequiredMixin
from ..audit import What, personal_data_access_record
from . import exports
from .models import ExportJob

START_TEMPLATE = "reclamaciones/staff/export_start.html"
JOB_TEMPLATE = "reclamaciones/staff/export_job.html"


def queue_export_get(view, form, complaints, today: date) -> HttpResponse:
    """The filtered queue as a file, or, when it is big, the page that offers a background export."""
    export = exports.queue_export(complaints, today=today)
    threshold = exports.async_rows(view.fmt)
    rows = export.count_upto(threshold)
    if rows > threshold:
        context = {
            "fmt": view.fmt,
            "threshold": threshold,
            "ttl_hours": exports.ttl_hours(),
            "query_string": view.request.GET.urlencode(),
        }
        return view.render(START_TEMPLATE, context)
    _logged(view.request, view.scope, hojas=rows, detail=f"{view.fmt.upper()} {view.request.GET.urlencode()}")
    if view.fmt == "xlsx":
        return exports.xlsx_response(export)
    return exports.csv_response(export)


def queue_export_post(view, form) -> HttpResponse:
    """Start the background export of the filtered queue; then its page."""
    job = exports.export_job_create(user=view.request.user, fmt=view.fmt, filters=form.filters())
    return redirect("staff:export-job", pk=job.pk)


def _logged(request, scope: Scope, *, hojas: int, detail: str) -> None:
    """The export of consumers' personal data, in the access log (Ley 29733), under the exporter's establishment
    when they work for one (the log is read by establishment)."""
    ids = scope.establishment_ids
    personal_data_access_record(
        scope=scope,
        what=What.EXPORT,
        establishment_id=next(iter(ids)) if ids is not None and len(ids) == 1 else None,
        hojas=hojas,
        detail=detail,
        request=request,
    )


def _job_or_404(request, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None or not exports.export_job_visible(job=job, user=request.user):
        raise Http404("Exportación no encontrada")
    return job


def _job_state(job: ExportJob) -> dict:
    ready = job.status == ExportJob.Status.DONE and bool(job.file_name) and not job.is_expired
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "ready": ready,
        "expired": job.status == ExportJob.Status.DONE and not ready,
        "download_url": reverse("staff:export-download", args=[job.pk]) if ready else "",
        "error": job.error,
    }


class ExportJobView(StaffRequiredMixin, View):
    """Tu exportación: its progress, then the download link."""

    def get(self, request, pk: int):
        job = _job_or_404(request, pk)
        context = {"job": job, "state": _job_state(job)}
        return self.render(JOB_TEMPLATE, context)


class ExportJobStatusView(StaffRequiredMixin, View):
    """The job's progress as JSON, for the page's script."""

    def get(self, request, pk: int):
        response = JsonResponse(_job_state(_job_or_404(request, pk)))
        add_never_cache_headers(response)
        return response


class ExportJobDownloadView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        job = _job_or_404(request, pk)
        if not _job_state(job)["ready"]:
            raise Http404("El archivo no está disponible")
        try:
            handle = exports.export_job_open(job=job)
        except FileNotFoundError:
            raise Http404("El archivo no está disponible") from None
        _logged(request, self.scope, hojas=job.rows_done, detail=f"{job.get_format_display()} · exportación {job.pk}")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=os.path.basename(job.file_name),
            content_type=exports.CONTENT_TYPES[job.format],
        )
        add_never_cache_headers(response)
        return response
