"""The compliance desk's own pages: its home, the SIREC export and the personal-data access log. The INDECOPI
requests and the posters have their own modules (indecopi_views, notice_views).

Thin views: reads come from compliance.selectors, every write is one service call."""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View

from ..access import forbidden
from ..audit import What, personal_data_access_record
from ..book.models import number_format
from ..handling.selectors import establishment_list
from .desk import ComplianceReadMixin
from .selectors import access_log_page, desk_summary, sirec_export_list, sirec_pending
from .services import SirecError, sirec_export, sirec_report_manual

ACCESS_PAGE_SIZE = 50

MSG_SIREC_PROBLEMS = (
    "No se generó el archivo: SIREC rechaza el archivo entero por una sola fila con errores. Corrige estas "
    "hojas (o registra los datos faltantes en la administración) y vuelve a exportar."
)

MSG_SIREC_EMPTY = "No hay hojas por reportar en ese rango: no se generó ningún archivo."

MAX_RANGE_DAYS = 366

MSG_MANUAL_DONE = (
    "Listo: {count} hoja(s) quedaron registradas como ingresadas a mano en SIREC. Ya puedes exportar las demás."
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class SirecForm(forms.Form):
    establecimiento = forms.TypedChoiceField(label="Establecimiento", coerce=int)
    desde = forms.DateField(label="Hojas presentadas desde", widget=_date_input())
    hasta = forms.DateField(label="Hasta", widget=_date_input())
    todas = forms.BooleanField(
        label="Incluir hojas ya reportadas (volver a exportar sin marcarlas)",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        self.establishments = {e.pk: e for e in establishments}
        field = self.fields["establecimiento"]
        field.choices = [(e.pk, f"{e.name} · sede SIREC {e.sirec_code or 'sin código'}") for e in establishments]
        field.widget.attrs["class"] = "form-select"
        for name in ("desde", "hasta"):
            self.fields[name].error_messages["invalid"] = "Escribe una fecha válida."

    def clean(self):
        data = super().clean()
        start, end = data.get("desde"), data.get("hasta")
        if start and end:
            if end < start:
                self.add_error("hasta", "La fecha final es anterior a la inicial.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("hasta", "Exporta como máximo un año por archivo.")
        if "establecimiento" in data:
            data["establishment"] = self.establishments[data["establecimiento"]]
        return data


class DeskView(ComplianceReadMixin, View):
    def get(self, request):
        now = timezone.now()
        context = {"summary": desk_summary(scope=self.scope, now=now), "now": now}
        return self.render("reclamaciones/compliance/desk.html", context)


class SirecView(ComplianceReadMixin, View):
    """GET: the form, what is pending per book and the past exports. POST (compliance role): validate, then
    the TXT as a download, or the list of hojas SIREC would reject and no file."""

    def _page(self, form, *, problems=None, status=200, manual_error="", manual_establishment=None):
        now = timezone.now()
        context = {
            "form": form,
            "problems": problems or [],
            "manual_error": manual_error,
            "manual_establishment": manual_establishment,  # whose blocking hojas may be marked typed by hand
            "pending": sirec_pending(scope=self.scope, now=now),
            "exports": sirec_export_list(scope=self.scope)[:30],
        }
        return self.render("reclamaciones/compliance/sirec.html", context, status=status)

    def _form(self, data=None):
        establishments = establishment_list(scope=self.scope)
        today = timezone.localdate()
        initial = {"desde": today.replace(day=1) - timedelta(days=31), "hasta": today}
        return SirecForm(data, establishments=establishments, initial=initial)

    def get(self, request):
        return self._page(self._form())

    def post(self, request):
        if not self.can_run:
            return forbidden(request, read_only=True)  # auditors read the page, the compliance role exports
        form = self._form(request.POST)
        if not form.is_valid():
            return self._page(form, status=400)
        data = form.cleaned_data
        establishment = data["establishment"]
        out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
        try:
            result = sirec_export(
                scope=self.scope,
                establishment=establishment,
                start=data["desde"],
                end=data["hasta"],
                out=out,
                include_reported=data["todas"],
            )
        except SirecError as exc:
            out.close()
            form.add_error("establecimiento", str(exc))
            return self._page(form, status=400)
        if result.problems:
            out.close()
            return self._page(form, problems=result.problems, status=422, manual_establishment=establishment)
        export = result.export
        if export.lines == 0:
            out.close()
            form.add_error(None, MSG_SIREC_EMPTY)
            return self._page(form, status=200)
        personal_data_access_record(
            scope=self.scope,
            what=What.SIREC,
            establishment_id=establishment.pk,
            hojas=export.lines,
            detail=f"SIREC {establishment.code} {data['desde']}..{data['hasta']} ({export.sha256[:12]})",
            request=request,
        )
        out.seek(0)
        name = f"SIREC_{establishment.sirec_code}_{data['desde']:%Y%m%d}_{data['hasta']:%Y%m%d}.txt"
        response = FileResponse(out, as_attachment=True, filename=name, content_type="text/plain")
        response["X-Content-SHA256"] = export.sha256
        return response


class SirecManualView(SirecView):
    """POST (compliance role): the hojas listed as blocking the file were typed into SIREC by hand; they count as
    reported, with who, when and the officer's note. Back to the SIREC page."""

    http_method_names = ["post"]

    def post(self, request):
        if not self.can_run:
            return forbidden(request, read_only=True)
        form = self._form(request.POST)
        establishment = form.establishments.get(_int(request.POST.get("establecimiento")))
        numbers = [n.strip()[:20] for n in request.POST.getlist("hojas") if n.strip()]
        if establishment is None:
            form.is_valid()
            return self._page(form, status=400, manual_error="Elige un establecimiento de tu ámbito.")
        try:
            export = sirec_report_manual(
                scope=self.scope, establishment=establishment, numbers=numbers, note=request.POST.get("nota", "")
            )
        except SirecError as exc:
            form.is_valid()
            return self._page(form, status=400, manual_error=str(exc))
        messages.success(request, MSG_MANUAL_DONE.format(count=export.lines))
        return redirect("compliance:sirec")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AccessFilterForm(forms.Form):
    usuario = forms.CharField(label="Usuario", required=False, max_length=150)
    hoja = forms.CharField(label="Número de hoja", required=False, max_length=20)


class AccessLogView(ComplianceReadMixin, View):
    """Newest first, keyset pages by primary key (`antes`): as fast on page 1,000 as on the first."""

    def get(self, request):
        form = AccessFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        try:
            before = int(request.GET.get("antes", "")) or None
        except ValueError:
            before = None
        rows = access_log_page(
            scope=self.scope,
            username=filters.get("usuario", ""),
            number=filters.get("hoja", ""),
            before=before,
            size=ACCESS_PAGE_SIZE + 1,
        )
        more = len(rows) > ACCESS_PAGE_SIZE
        rows = rows[:ACCESS_PAGE_SIZE]
        context = {
            "form": form,
            "rows": rows,
            "next_before": rows[-1].pk if more else None,
            "filters": request.GET.urlencode(),
            "number_format": number_format,
        }
        return self.render("reclamaciones/compliance/access_log.html", context)
