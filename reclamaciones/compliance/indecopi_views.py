"""The compliance desk's INDECOPI requests: the list, registering one, its page (what it covers, its last day,
its evidence bundles), marking it answered, and each bundle's progress page, status (JSON) and download.

Thin views: reads come from compliance.selectors, every write is one service call. A request whose
establishments are not all in the user's scope does not exist here (404); auditors read, the compliance role
registers, answers and builds (auditors get the read-only 403 on those). A bundle is downloaded only by whoever
built it (and superusers), and each download is written to the personal-data access log."""

from __future__ import annotations

import os

from django import forms
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..audit import What, personal_data_access_record
from ..book.models import Establishment
from ..deadlines.rules import business_days_left
from ..deadlines.selectors import business_calendar_get
from ..formfields import LongTextField
from ..handling.forms import DATETIME_LOCAL, LimaDateTimeField, StaffForm
from .bundle import evidence_bundle_open
from .desk import ComplianceReadMixin, ComplianceRunMixin
from .indecopi import (
    MAX_NUMBERS,
    MSG_DEADLINE_BOTH,
    MSG_DEADLINE_MISSING,
    MSG_DUE_BEFORE_RECEIVED,
    MSG_NUMBERS_BAD,
    MSG_NUMBERS_TOO_MANY,
    MSG_RANGE_REVERSED,
    MSG_RECEIVED_FUTURE,
    IndecopiError,
    evidence_bundle_create,
    indecopi_request_answer,
    indecopi_request_register,
    numbers_parse,
)
from .models import EvidenceBundle, IndecopiRequest
from .selectors import (
    evidence_bundle_get,
    evidence_bundle_list,
    indecopi_request_get,
    indecopi_request_hojas,
    indecopi_request_list,
)

LIST_TEMPLATE = "reclamaciones/compliance/indecopi_list.html"
NEW_TEMPLATE = "reclamaciones/compliance/indecopi_new.html"
DETAIL_TEMPLATE = "reclamaciones/compliance/indecopi_detail.html"
BUNDLE_TEMPLATE = "reclamaciones/compliance/indecopi_bundle.html"

MSG_REGISTERED = "Requerimiento {reference} registrado: vence el {due}."
MSG_ANSWERED = "Requerimiento {reference} marcado como atendido."
MSG_CHECK_FORM = "Revisa los datos marcados."
MSG_PICK_ESTABLISHMENTS = "Elige establecimientos de la lista."


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestForm(StaffForm):
    referencia = forms.CharField(
        label="Referencia (oficio, carta o expediente)",
        max_length=120,
        error_messages={"required": "Escribe la referencia del requerimiento."},
    )
    recibido = forms.DateField(
        label="Fecha de recepción",
        widget=_date_input(),
        error_messages={"required": "Indica la fecha en que se recibió.", "invalid": "Escribe una fecha válida."},
    )
    plazo_dias = forms.IntegerField(
        label="Plazo en días hábiles",
        required=False,
        min_value=1,
        max_value=365,
        help_text="Se cuentan desde el día siguiente a la recepción, sin sábados, domingos ni feriados.",
        error_messages={
            "invalid": "Escribe un número entero de días.",
            "min_value": "El plazo es de al menos 1 día hábil.",
            "max_value": "Escribe un plazo de 365 días hábiles como máximo.",
        },
    )
    fecha_limite = forms.DateField(
        label="O bien: fecha límite",
        required=False,
        widget=_date_input(),
        help_text="Si el requerimiento indica una fecha en lugar de un número de días.",
        error_messages={"invalid": "Escribe una fecha válida."},
    )
    establecimientos = forms.ModelMultipleChoiceField(
        label="Establecimientos",
        queryset=Establishment.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Elige al menos un establecimiento.",
            "invalid_choice": MSG_PICK_ESTABLISHMENTS,
            "invalid_pk_value": MSG_PICK_ESTABLISHMENTS,
        },
    )
    desde = forms.DateField(
        label="Hojas presentadas desde",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": "Escribe una fecha válida."},
    )
    hasta = forms.DateField(
        label="Hasta", required=False, widget=_date_input(), error_messages={"invalid": "Escribe una fecha válida."}
    )
    numeros = forms.CharField(  # no character limit: the count of numbers is checked (MAX_NUMBERS)
        label="Números de hoja",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Separados por comas, por ejemplo: 12-2026, 000000013-2026. Vacío: todas las hojas de los "
        "establecimientos y fechas elegidos. Cada número se busca en todos los establecimientos elegidos; si "
        "indicas números y fechas, se incluyen las hojas que cumplan ambos.",
    )
    notas = LongTextField(label="Notas", required=False, max_length=4000, rows=3)

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["establecimientos"]
        field.queryset = establishments
        field.label_from_instance = lambda e: f"{e.name} · código {e.code}"

    def clean(self):
        data = super().clean()
        received, days, due = data.get("recibido"), data.get("plazo_dias"), data.get("fecha_limite")
        if received and received > timezone.localdate():
            self.add_error("recibido", MSG_RECEIVED_FUTURE)
        if "plazo_dias" in data and "fecha_limite" in data:  # both parsed (an invalid one has its own error)
            if days is None and due is None:
                self.add_error("plazo_dias", MSG_DEADLINE_MISSING)
            elif days is not None and due is not None:
                self.add_error("plazo_dias", MSG_DEADLINE_BOTH)
            elif due is not None and received and due < received:
                self.add_error("fecha_limite", MSG_DUE_BEFORE_RECEIVED)
        start, end = data.get("desde"), data.get("hasta")
        if start and end and end < start:
            self.add_error("hasta", MSG_RANGE_REVERSED)
        numbers, bad = numbers_parse(data.get("numeros", ""))
        if bad:
            self.add_error("numeros", MSG_NUMBERS_BAD.format(bad=", ".join(f"«{b}»" for b in bad[:20])))
        elif len(numbers) > MAX_NUMBERS:
            self.add_error("numeros", MSG_NUMBERS_TOO_MANY)
        data["numbers"] = numbers
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "reference": data["referencia"],
            "received_on": data["recibido"],
            "deadline_business_days": data["plazo_dias"],
            "due_on": data["fecha_limite"],
            "establishments": list(data["establecimientos"]),
            "date_from": data["desde"],
            "date_to": data["hasta"],
            "numbers": data["numbers"],
            "notes": data["notas"],
        }


class AnsweredForm(StaffForm):
    entregado = LimaDateTimeField(
        label="Fecha y hora de entrega al INDECOPI (hora de Lima)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="Cuando la documentación llegó al INDECOPI (mesa de partes, correo o entrega en la inspección).",
        error_messages={
            "required": "Indica la fecha y hora de entrega.",
            "invalid": "Escribe una fecha y hora válidas.",
        },
    )


def _request_or_404(view, pk: int) -> IndecopiRequest:
    request = indecopi_request_get(scope=view.scope, pk=pk)
    if request is None:
        raise Http404("Requerimiento no encontrado")
    return request


def _bundle_or_404(view, pk: int) -> EvidenceBundle:
    bundle = evidence_bundle_get(scope=view.scope, pk=pk)
    if bundle is None:
        raise Http404("Paquete no encontrado")
    return bundle


def _deadline(request: IndecopiRequest, *, today, calendar) -> dict:
    """Business days left to the request's last day while open; whether it was answered by then."""
    if request.status == IndecopiRequest.Status.OPEN:
        left = business_days_left(today, request.due_on, calendar)
        return {"days_left": left, "overdue": left < 0, "days_overdue": -left}
    answered_on = timezone.localdate(request.answered_at) if request.answered_at else None
    return {"on_time": answered_on is not None and answered_on <= request.due_on}


class RequestListView(ComplianceReadMixin, View):
    def get(self, request):
        today, calendar = timezone.localdate(), business_calendar_get()
        rows = [
            {"request": r, **_deadline(r, today=today, calendar=calendar)}
            for r in indecopi_request_list(scope=self.scope)
        ]
        return self.render(LIST_TEMPLATE, {"rows": rows})


class RequestNewView(ComplianceRunMixin, View):
    def _form(self, data=None) -> RequestForm:
        establishments = self.scope.filter(Establishment.objects.order_by("name"), path="pk")
        form = RequestForm(data, establishments=establishments, initial={"recibido": timezone.localdate()})
        if data is None and establishments.count() == 1:
            form.initial["establecimientos"] = list(establishments)
        return form

    def _page(self, form, *, status=200):
        return self.render(NEW_TEMPLATE, {"form": form}, status=status)

    def get(self, request):
        return self._page(self._form())

    def post(self, request):
        form = self._form(request.POST)
        if not form.is_valid():
            messages.error(request, MSG_CHECK_FORM)
            return self._page(form, status=400)
        try:
            created = indecopi_request_register(scope=self.scope, **form.service_kwargs())
        except IndecopiError as exc:
            form.add_error(exc.field, str(exc))
            return self._page(form, status=400)
        messages.success(
            request, MSG_REGISTERED.format(reference=created.reference, due=created.due_on.strftime("%d/%m/%Y"))
        )
        return redirect("compliance:request", pk=created.pk)


class RequestPageMixin:
    """The request's page, also shown again (with the errors) when marking it answered fails."""

    def request_page(self, item: IndecopiRequest, *, answered_form=None, status=200):
        today = timezone.localdate()
        if answered_form is None:
            answered_form = AnsweredForm(initial={"entregado": timezone.localtime().replace(second=0, microsecond=0)})
        context = {
            "item": item,
            "establishments": sorted(item.establishments.all(), key=lambda e: e.name),
            "deadline": {"request": item, **_deadline(item, today=today, calendar=business_calendar_get())},
            "hojas": indecopi_request_hojas(scope=self.scope, request=item).count(),
            "bundles": evidence_bundle_list(request=item),
            "answered_form": answered_form,
        }
        return self.render(DETAIL_TEMPLATE, context, status=status)


class RequestDetailView(RequestPageMixin, ComplianceReadMixin, View):
    def get(self, request, pk: int):
        return self.request_page(_request_or_404(self, pk))


class RequestAnsweredView(RequestPageMixin, ComplianceRunMixin, View):
    def post(self, request, pk: int):
        item = _request_or_404(self, pk)
        form = AnsweredForm(request.POST)
        if not form.is_valid():
            messages.error(request, MSG_CHECK_FORM)
            return self.request_page(item, answered_form=form, status=400)
        try:
            indecopi_request_answer(scope=self.scope, request=item, answered_at=form.cleaned_data["entregado"])
        except IndecopiError as exc:
            form.add_error(exc.field, str(exc))
            return self.request_page(item, answered_form=form, status=400)
        messages.success(request, MSG_ANSWERED.format(reference=item.reference))
        return redirect("compliance:request", pk=item.pk)


class BundleNewView(ComplianceRunMixin, View):
    def post(self, request, pk: int):
        item = _request_or_404(self, pk)
        bundle = evidence_bundle_create(scope=self.scope, request=item)
        return redirect("compliance:bundle", pk=bundle.pk)


def bundle_downloadable(bundle: EvidenceBundle, user) -> bool:
    """Only whoever built the bundle (and superusers) downloads it, like an export."""
    return user.is_superuser or bundle.created_by_id == user.pk


def bundle_state(bundle: EvidenceBundle, user) -> dict:
    """The bundle's progress as the page and its script show it (the export page's fields, plus the text and
    the SHA-256)."""
    done, total = bundle.hojas_done, bundle.hojas_total
    finished = bundle.status == EvidenceBundle.Status.DONE
    ready = finished and bool(bundle.file_name)
    percent = 100 if finished else (min(99, done * 100 // total) if total else 0)
    if ready:
        text = (
            f"Listo: {intcomma(done)} hoja{'s' if done != 1 else ''} en el paquete."
            if done
            else "Listo: ninguna hoja corresponde al requerimiento; el paquete lo deja como constancia."
        )
    elif bundle.status == EvidenceBundle.Status.FAILED:
        text = bundle.error or "No se pudo preparar el paquete."
    elif total:
        text = f"{bundle.get_status_display()}: {intcomma(done)} de {intcomma(total)} hojas ({percent} %)."
    else:
        text = f"{bundle.get_status_display()}…"
    downloadable = ready and bundle_downloadable(bundle, user)
    return {
        "status": bundle.status,
        "status_label": bundle.get_status_display(),
        "rows_done": done,
        "rows_total": total,
        "percent": percent,
        "ready": ready,
        "expired": False,
        "download_url": reverse("compliance:bundle-download", args=[bundle.pk]) if downloadable else "",
        "error": bundle.error,
        "text": text,
        "sha256": bundle.sha256 if ready else "",
    }


class BundleView(ComplianceReadMixin, View):
    def get(self, request, pk: int):
        bundle = _bundle_or_404(self, pk)
        context = {
            "bundle": bundle,
            "item": bundle.request,
            "state": bundle_state(bundle, request.user),
            "may_download": bundle_downloadable(bundle, request.user),
        }
        return self.render(BUNDLE_TEMPLATE, context)


class BundleStatusView(ComplianceReadMixin, View):
    def get(self, request, pk: int):
        response = JsonResponse(bundle_state(_bundle_or_404(self, pk), request.user))
        add_never_cache_headers(response)
        return response


class BundleDownloadView(ComplianceReadMixin, View):
    def get(self, request, pk: int):
        bundle = _bundle_or_404(self, pk)
        if not bundle_state(bundle, request.user)["download_url"]:
            raise Http404("El archivo no está disponible")
        try:
            handle = evidence_bundle_open(bundle=bundle)
        except FileNotFoundError:
            raise Http404("El archivo no está disponible") from None
        item = bundle.request
        counts = (
            indecopi_request_hojas(scope=self.scope, request=item)
            .order_by()
            .values("establishment_id")
            .annotate(n=Count("pk"))
        )
        for row in counts:
            personal_data_access_record(
                scope=self.scope,
                what=What.BUNDLE,
                establishment_id=row["establishment_id"],
                hojas=row["n"],
                detail=f"Paquete {bundle.pk} del requerimiento {item.reference} ({bundle.sha256[:12]})",
                request=request,
            )
        response = FileResponse(
            handle, as_attachment=True, filename=os.path.basename(bundle.file_name), content_type="application/zip"
        )
        response["X-Content-SHA256"] = bundle.sha256
        add_never_cache_headers(response)
        return response
