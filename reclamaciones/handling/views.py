"""Back office (/gestion/): the queue, the hoja's detail and one POST view per action.

Thin views: scoping comes from the view's Scope (complaint_list, Scope.acts_on); what a hoja allows comes from
handling.policy, the same rule the services enforce; every write is one service call, and a service refusal
(WorkflowError / SettlementError) becomes a message on the detail page.
Access: anonymous -> login page; no staff role -> 403; a hoja outside the user's scope -> 404 (its existence
is never revealed); council and auditors read, agents and supervisors act.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..access import Scope, StaffRequiredMixin, forbidden, landing_url_name
from ..audit import What, personal_data_access_record
from ..book import pdf
from ..book.backup import SheetAlreadyTranscribed, TranscriptionError, complaint_transcribe
from ..book.models import (
    Complaint,
    ComplaintEvent,
    Establishment,
    GoodType,
    Kind,
    ResponseChannel,
    Status,
)
from ..book.services import FilingError, complaint_integrity_problems
from ..clientip import rate_limit_wait, wait_phrase
from ..deadlines.clock import DaysLeft, days_left
from ..deadlines.selectors import business_calendar_get
from ..deadlines.services import tracker_status
from ..outbox import render
from . import export_views
from .approval_models import ApprovalRequest
from .approval_views import approval_detail, for_approval_message, queue_bulk_context
from .approvals import complaint_reclassify_propose, settlement_offer_propose
from .flow_views import answer_flow_context, detail_flow_context, flow_redirect, queue_flow_context
from .followup_forms import remedy_panel_context
from .forms import (
    AssignForm,
    BackupSheetForm,
    ClassifyForm,
    ExtensionForm,
    GoodTypeForm,
    NoteForm,
    QueueFilterForm,
    ReclassifyForm,
    ResponseForm,
    SettlementOfferForm,
    template_merge,
)
from .models import Response, ResponseTemplate, SettlementOffer
from .policy import (
    MSG_CAUSE_REQUIRED,
    MSG_EXTEND_SUPERVISORS,
    MSG_OFFER_PENDING,
    Action,
    allowed_actions,
    refusal,
)
from .presence import hoja_viewers_touch
from .selectors import (
    assignable_staff,
    complaint_list,
    complaint_queue,
    complaint_queue_page,
    complaint_queue_summary,
    consumer_other_hojas,
    establishment_list,
    related_or_none,
    response_templates_for,
    settlement_offer_latest,
)
from .services import (
    WorkflowError,
    complaint_assign,
    complaint_classify,
    complaint_close,
    complaint_good_type_classify,
    complaint_note_add,
    response_send,
)
from .settlement import SettlementError, complaint_extend_deadline
from .templates_fill import placeholder_values, template_fill
from .trail import person_name, timeline

PAGE_SIZE = 25

AMBER_DAYS = 2  # <= 2 business days left: amber

DETAIL_TEMPLATE = "reclamaciones/staff/complaint_detail.html"

ANSWER_TEMPLATE = "reclamaciones/staff/answer.html"

TRANSCRIBE_TEMPLATE = "reclamaciones/staff/transcribe.html"

MSG_ASSIGNED = "Listo: la hoja quedó asignada a {name}."

MSG_UNASSIGNED = "Listo: la hoja volvió a la bandeja del establecimiento."

MSG_NOTE_ADDED = "Nota guardada en el historial."

MSG_RECLASSIFIED = "La hoja ahora se atiende como {kind}."

MSG_CLASSIFIED = "Causa registrada: {cause}."

MSG_GOOD_CLASSIFIED = "Registrado para SIREC: {good}."

MSG_OFFER_SENT = "Propuesta enviada al consumidor por correo. El plazo queda en pausa hasta su respuesta."

MSG_ANSWER_EMAILED = "Respuesta enviada por correo al consumidor, con la hoja en PDF."

MSG_ANSWER_LETTER = "Respuesta registrada como carta entregada el {when}."

MSG_CLOSED = "Hoja cerrada."

MSG_EXTENDED = "Plazo ampliado en {days}: la nueva fecha límite es el {due}."

MSG_EXTENDED_EMAIL = " El aviso al consumidor se envía por correo a {email}: lo verás en el historial."

MSG_EXTENDED_LETTER = (
    " El consumidor no dio un correo: envíale una carta con el aviso a más tardar el {first_due}, último día del "
    "plazo inicial (DS 006-2014-PCM, art. 6)."
)

MSG_TRANSCRIBED = "Hoja de papel Nº {paper} registrada como hoja Nº {number}. Su plazo se cuenta desde el {filed}."

MSG_TRANSCRIBED_COPY = " La copia de la hoja se envía por correo al consumidor."

MSG_TRANSCRIBED_LATE = (
    "Transcrita fuera de plazo: el art. 4-A pide ingresarla dentro de un (01) día calendario desde que el libro "
    "virtual volvió a estar disponible (hasta el {due}). Quedó registrado en el historial de la hoja."
)

MSG_NOT_ANSWERABLE = "Esta hoja ya no admite una respuesta (estado: {status})."

MSG_CHECK_FORM = "Revisa los campos marcados."

MSG_PLACEHOLDERS = "El texto aún tiene partes por completar: {parts}."

MSG_PLACEHOLDERS_UNFILLED = " Entre llaves quedan los datos que esta hoja no tiene o que no conocemos: escríbelos tú."

MSG_TEMPLATE_INSERTED = "Plantilla «{name}» añadida al final de tu texto: adáptala a este caso."

MSG_TEMPLATE_COPIED = "Plantilla «{name}» copiada en la respuesta: adáptala a este caso."

MSG_TEMPLATE_PICK = "Elige una plantilla de la lista."

ACTION_TEMPLATE = "plantilla"  # the answer form's "Usar plantilla" button (accion=plantilla)

MSG_RESET_RATE_LIMITED = (
    "Pediste muchos enlaces desde tu conexión en poco tiempo. Podrás pedir otro dentro de {wait}; "
    "revisa también tu carpeta de correo no deseado."
)

STATUS_TONES = {
    Status.RECEIVED: "received",
    Status.IN_PROGRESS: "in-progress",
    Status.SETTLEMENT_OFFERED: "offered",
    Status.ANSWERED: "answered",
    Status.SETTLED: "answered",
    Status.CLOSED: "closed",
}


# [a part the agent completes] and a {placeholder} the hoja could not fill (templates_fill.PLACEHOLDER)
_PLACEHOLDER = re.compile(r"\[[^\]\n]{1,80}\]|\{[^{}\n]{1,40}\}")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per client address (429) and per account: past the account's limit the page
    says the link was sent, as it always does, so nobody learns whether the account exists and its owner's
    mailbox is not flooded."""

    def post(self, request, *args, **kwargs):
        wait = rate_limit_wait(request, group="password-reset", rate=settings.RECLAMACIONES_PASSWORD_RESET_RATE)
        if wait is not None:
            context = self.get_context_data(alert=MSG_RESET_RATE_LIMITED.format(wait=wait_phrase(wait)))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        account = request.POST.get("email", "").strip().lower()[:254]
        if account and rate_limit_wait(
            request,
            group="password-reset-account",
            rate=settings.RECLAMACIONES_PASSWORD_RESET_ACCOUNT_RATE,
            account=account,
        ):
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)


class StaffLoginView(auth_views.LoginView):
    """Django's login; without a ?next= (or with the back office's front door, /gestion/, which is where a
    bookmark or the public site's link sends everyone), each person starts where their roles are for:
    council-only users on /consejo/, compliance-only users on the compliance desk (access.landing_url_name)."""

    def get_redirect_url(self):
        url = super().get_redirect_url()  # "" unless ?next= is safe (same host)
        return "" if url == reverse("staff:queue") else url

    def get_default_redirect_url(self):
        return reverse(landing_url_name(self.request.user))


def _complaint_or_404(scope: Scope, pk: int) -> Complaint:
    """The hoja if it is in the scope; otherwise 404, exactly as if it did not exist."""
    try:
        return complaint_list(scope=scope).select_related("establishment__provider").get(pk=pk)
    except Complaint.DoesNotExist:
        raise Http404("Hoja no encontrada") from None


@dataclass(frozen=True)
class QueueRow:
    complaint: Complaint
    days_left: int | None  # business days; None once the clock no longer runs
    tone: str  # overdue / soon / ok / done

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.complaint.status, "closed")


def _tone(days_left: int | None) -> str:
    if days_left is None:
        return "done"
    if days_left < 0:
        return "overdue"
    return "soon" if days_left <= AMBER_DAYS else "ok"


def _without_page(params) -> str:
    """The current filters as a query string, for the export links (every page is exported)."""
    params = params.copy()
    params.pop("page", None)
    params.pop("cursor", None)
    return params.urlencode()


def _filtered(request, scope: Scope, establishments: list[Establishment], today: date):
    """(form, filtered and ordered queryset) for the queue and its exports."""
    form = QueueFilterForm(request.GET or None, establishments=establishments)
    return form, complaint_queue(scope=scope, today=today, **form.filters())


class QueueView(StaffRequiredMixin, View):
    """A fixed number of queries whatever the number of rows: days left come from one calendar in Python. Pages
    are keyset pages (`cursor`, see selectors.complaint_queue_page): as fast deep in the book as on top."""

    def get(self, request):
        today = timezone.localdate()
        establishments = establishment_list(scope=self.scope)
        form = QueueFilterForm(request.GET or None, establishments=establishments)
        page = complaint_queue_page(
            scope=self.scope, today=today, cursor=request.GET.get("cursor", ""), size=PAGE_SIZE, **form.filters()
        )
        days_left = DaysLeft(today=today, calendar=business_calendar_get())
        rows = []
        for complaint in page.object_list:
            left = days_left(complaint)
            rows.append(QueueRow(complaint, left, _tone(left)))
        context = {
            "form": form,
            "page": page,
            "rows": rows,
            "today": today,
            "summary": complaint_queue_summary(scope=self.scope, today=today),
            "tracker": tracker_status(),
            "many_establishments": len(establishments) > 1,
            "query_string": _without_page(request.GET),
            "can_transcribe": self.scope.transcribes,
        }
        context.update(queue_flow_context(scope=self.scope, params=request.GET))  # saved views, `desde` links
        context.update(queue_bulk_context(self.scope))  # supervisors: checkboxes and the bulk-assign bar
        return self.render("reclamaciones/staff/queue.html", context)


class QueueExportView(StaffRequiredMixin, View):
    """The filtered queue (every page, only hojas in scope) as CSV or XLSX, streamed in constant memory; a big
    one is offered as a background job (POST). See export_views."""

    fmt = "csv"

    def _filtered(self, request):
        today = timezone.localdate()
        establishments = establishment_list(scope=self.scope)
        form, complaints = _filtered(request, self.scope, establishments, today)
        return form, complaints, today

    def get(self, request):
        form, complaints, today = self._filtered(request)
        return export_views.queue_export_get(self, form, complaints, today)

    def post(self, request):
        form, _, _ = self._filtered(request)
        return export_views.queue_export_post(self, form)


class TranscribeView(StaffRequiredMixin, View):
    """A sheet of the paper backup book typed into the virtual book (Reglamento art. 4-A): agents, supervisors
    and the compliance role, into an establishment of their scope (the only ones the form offers)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.scope.roles and not self.scope.transcribes:
            return forbidden(request, read_only=True)
        return super().dispatch(request, *args, **kwargs)  # anonymous: login; no role: the 403 without a role

    def form(self, data=None) -> BackupSheetForm:
        establishments = self.scope.filter(
            Establishment.objects.filter(is_active=True).select_related("provider").order_by("name"), path="pk"
        )
        form = BackupSheetForm(data, establishments=establishments)
        if data is None:
            only = list(establishments[:2])
            if len(only) == 1:
                form.initial["establishment"] = only[0].pk
        return form

    def page(self, form: BackupSheetForm, *, status: int = 200) -> HttpResponse:
        return self.render(TRANSCRIBE_TEMPLATE, {"form": form}, status=status)

    def get(self, request):
        return self.page(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, MSG_CHECK_FORM)
            return self.page(form, status=400)
        try:
            done = complaint_transcribe(scope=self.scope, **form.service_kwargs())
        except TranscriptionError as exc:
            form.add_error(exc.field or None, str(exc))
            return self.page(form, status=409 if isinstance(exc, SheetAlreadyTranscribed) else 400)
        except FilingError as exc:
            form.add_error(None, str(exc))
            return self.page(form, status=409)
        complaint = done.complaint
        personal_data_access_record(scope=self.scope, what=What.TRANSCRIBED, complaint=complaint, request=request)
        filed = timezone.localtime(complaint.filed_at).strftime("%d/%m/%Y %H:%M")
        message = MSG_TRANSCRIBED.format(
            paper=complaint.backup_sheet_number, number=complaint.display_number, filed=filed
        )
        messages.success(request, message + (MSG_TRANSCRIBED_COPY if complaint.contact_email else ""))
        if done.late:
            due = timezone.localtime(done.due).strftime("%d/%m/%Y %H:%M")
            messages.warning(request, MSG_TRANSCRIBED_LATE.format(due=due))
        return redirect("staff:detail", pk=complaint.pk)


def _moment(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _transcription(events: list[ComplaintEvent]) -> dict | None:
    """Who typed a backup-book hoja, when, and whether after the art. 4-A day (from its TRANSCRIBED event)."""
    event = next((e for e in events if e.type == ComplaintEvent.Type.TRANSCRIBED), None)
    if event is None:
        return None
    data = event.data or {}
    return {
        "at": event.occurred_at,
        "by": person_name(event.actor),
        "late": bool(data.get("late")),
        "due": _moment(data.get("transcribe_by")),
    }


def _detail_context(request, complaint: Complaint, **forms) -> dict:
    """Everything the detail page shows; `forms` carries a bound form with errors after a failed POST."""
    today = timezone.localdate()
    scope = Scope.of(request.user)
    allowed = allowed_actions(complaint, scope=scope, today=today)
    left = days_left(complaint, today=today, calendar=business_calendar_get())
    people = list(assignable_staff(establishment_id=complaint.establishment_id)) if Action.ASSIGN in allowed else []
    response = Response.objects.filter(complaint=complaint).select_related("responded_by").first()
    events = list(complaint.events.select_related("actor"))
    from ..book.attachment_views import staff_attachments_context  # book's views import this module

    documents = staff_attachments_context(complaint)  # one query, also read by the integrity check below
    context = {
        "complaint": complaint,
        "status_tone": STATUS_TONES.get(complaint.status, "closed"),
        "days_left": left,
        "tone": _tone(left),
        "can_act": scope.acts_on(complaint.establishment_id),
        "response": response,
        "response_on_time": response is not None and timezone.localdate(response.communicated_at) <= complaint.due_date,
        "survey": related_or_none(complaint, "survey"),
        "offer": settlement_offer_latest(complaint=complaint),
        "timeline": timeline(events, list(complaint.messages.order_by("created_at"))),
        "transcription": _transcription(events),
        "tracker": tracker_status(),
        "people": people,
        "can_take": any(p.pk == request.user.pk for p in people) and complaint.assignee_id != request.user.pk,
        "actions": {action.value: action in allowed for action in Action},
        # Closing waits for the cause: say so instead of hiding the panel without a reason.
        "close_blocked": refusal(complaint, Action.CLOSE, scope=scope, today=today) == MSG_CAUSE_REQUIRED,
        # An extension the hoja allows but the user's role does not: say who decides it.
        "extend_needs_supervisor": refusal(complaint, Action.EXTEND, scope=scope, today=today)
        == MSG_EXTEND_SUPERVISORS,
        "offer_pending_status": SettlementOffer.Status.PENDING,
        "integrity_problems": complaint_integrity_problems(complaint, documents["attachments"]),
        **documents,
    }
    other_kind = Kind.QUEJA if complaint.kind == Kind.RECLAMO else Kind.RECLAMO
    context["assign_form"] = forms.get("assign_form") or AssignForm(
        initial={"assignee": complaint.assignee_id}, prefix="assign"
    )
    context["assign_form"].set_people(people)
    context["note_form"] = forms.get("note_form") or NoteForm(prefix="note")
    context["reclassify_form"] = forms.get("reclassify_form") or ReclassifyForm(
        initial={"kind": other_kind}, prefix="reclassify"
    )
    context["offer_form"] = forms.get("offer_form") or SettlementOfferForm(prefix="offer")
    context["good_type_form"] = forms.get("good_type_form") or GoodTypeForm(
        initial={"good_type": complaint.good_type_classified}, prefix="good_type"
    )
    context["classify_form"] = forms.get("classify_form") or ClassifyForm(
        initial={"cause": complaint.cause_id}, prefix="classify"
    )
    context["extend_form"] = forms.get("extend_form") or ExtensionForm(prefix="extend")
    context["open_panel"] = next(iter(forms), "")
    context["approvals"] = approval_detail(scope, complaint, forms.get("approval_return_form"))  # approvals
    context.update(remedy_panel_context(complaint, scope=scope, form=forms.get("remedy_form")))  # follow-through
    context.update(detail_flow_context(request, scope=scope, complaint=complaint))  # the queue view it came from
    return context


class ComplaintDetailView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        complaint = _complaint_or_404(self.scope, pk)
        personal_data_access_record(scope=self.scope, what=What.DETAIL, complaint=complaint, request=request)
        context = _detail_context(request, complaint)
        context["viewers"] = hoja_viewers_touch(complaint_id=complaint.pk, user=request.user)
        context["other_hojas"], context["other_hojas_total"] = consumer_other_hojas(
            scope=self.scope, complaint=complaint
        )
        return self.render(DETAIL_TEMPLATE, context)


class ComplaintPdfView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        complaint = _complaint_or_404(self.scope, pk)
        personal_data_access_record(scope=self.scope, what=What.PDF, complaint=complaint, request=request)
        content = pdf.complaint_sheet_pdf(complaint, recipient="proveedor")
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf.complaint_sheet_filename(complaint)}"'
        add_never_cache_headers(response)
        return response


class ComplaintActionView(StaffRequiredMixin, View):
    """POST only: scope (404), acting role (403), form (errors shown next to the fields), then ONE service call.
    A refusal from the service is shown as a message; either way the user lands back on the hoja."""

    http_method_names = ["post"]
    form_class: type = NoteForm
    form_name = ""  # the form's name in the detail context (and its prefix)
    invalid_status = 200

    def post(self, request, pk: int):
        complaint = _complaint_or_404(self.scope, pk)
        denied = self.denied(complaint)
        if denied is not None:
            return denied
        form = self.get_form()
        if not form.is_valid():
            return self.invalid(complaint, form)
        try:
            message = self.perform(complaint, form.cleaned_data)
        except (WorkflowError, SettlementError) as exc:
            return self.refused(complaint, form, str(exc))
        messages.success(request, message)
        return flow_redirect(request, scope=self.scope, complaint=complaint)  # "Guardar y siguiente"

    def denied(self, complaint: Complaint) -> HttpResponse | None:
        """The 403 for a user who may see the hoja but not take this action on it (None: may)."""
        if not self.scope.acts_on(complaint.establishment_id):
            return forbidden(self.request, read_only=True)
        return None

    def get_form(self):
        return self.form_class(self.request.POST, prefix=self.form_name.removesuffix("_form") or None)

    def invalid(self, complaint: Complaint, form) -> HttpResponse:
        messages.error(self.request, MSG_CHECK_FORM)
        context = _detail_context(self.request, complaint, **{self.form_name: form})
        return self.render(DETAIL_TEMPLATE, context, status=self.invalid_status)

    def refused(self, complaint: Complaint, form, message: str) -> HttpResponse:
        messages.error(self.request, message)
        return flow_redirect(self.request, scope=self.scope, complaint=complaint, advance=False)  # stays, in its view

    def perform(self, complaint: Complaint, data: dict) -> str:
        raise NotImplementedError


class AssignView(ComplaintActionView):
    form_class = AssignForm
    form_name = "assign_form"

    def perform(self, complaint, data):
        assignee = data["assignee"]
        complaint_assign(complaint_id=complaint.pk, assignee=assignee, scope=self.scope)
        return MSG_ASSIGNED.format(name=person_name(assignee)) if assignee else MSG_UNASSIGNED


class NoteView(ComplaintActionView):
    form_class = NoteForm
    form_name = "note_form"

    def perform(self, complaint, data):
        complaint_note_add(complaint_id=complaint.pk, text=data["text"], scope=self.scope)
        return MSG_NOTE_ADDED


class ClassifyView(ComplaintActionView):
    form_class = ClassifyForm
    form_name = "classify_form"

    def perform(self, complaint, data):
        complaint_classify(complaint_id=complaint.pk, cause=data["cause"], scope=self.scope)
        return MSG_CLASSIFIED.format(cause=data["cause"].name)


class GoodTypeView(ComplaintActionView):
    form_class = GoodTypeForm
    form_name = "good_type_form"

    def perform(self, complaint, data):
        complaint_good_type_classify(complaint_id=complaint.pk, good_type=data["good_type"], scope=self.scope)
        return MSG_GOOD_CLASSIFIED.format(good=GoodType(data["good_type"]).label.lower())


class ReclassifyView(ComplaintActionView):
    form_class = ReclassifyForm
    form_name = "reclassify_form"

    def perform(self, complaint, data):
        done = complaint_reclassify_propose(
            complaint_id=complaint.pk, kind=data["kind"], reason=data["reason"], scope=self.scope
        )
        if isinstance(done, ApprovalRequest):  # the establishment asks a supervisor to approve it first
            return for_approval_message(done)
        return MSG_RECLASSIFIED.format(kind=Kind(data["kind"]).label.lower())


class SettlementOfferView(ComplaintActionView):
    form_class = SettlementOfferForm
    form_name = "offer_form"

    def perform(self, complaint, data):
        done = settlement_offer_propose(complaint_id=complaint.pk, text=data["text"], scope=self.scope)
        if isinstance(done, ApprovalRequest):  # the establishment asks a supervisor to approve it first
            return for_approval_message(done)
        return MSG_OFFER_SENT


class ExtendView(ComplaintActionView):
    """DS 006-2014-PCM art. 6, hojas filed before Ley 31435: a supervisor's decision (policy), told to the consumer
    by e-mail, or by a letter the staff must send when there is no e-mail."""

    form_class = ExtensionForm
    form_name = "extend_form"
    invalid_status = 400

    def denied(self, complaint):
        denied = super().denied(complaint)
        if denied is None and not self.scope.supervises:
            # An agent: back on the hoja with the reason, as a 403 (the service would refuse it too).
            messages.error(self.request, MSG_EXTEND_SUPERVISORS)
            return self.render(DETAIL_TEMPLATE, _detail_context(self.request, complaint), status=403)
        return denied

    def perform(self, complaint, data):
        first_due = complaint.due_date
        extended = complaint_extend_deadline(
            complaint_id=complaint.pk, days=data["days"], reason=data["reason"], scope=self.scope
        )
        days = f"{data['days']} día{'s' if data['days'] != 1 else ''} calendario"
        message = MSG_EXTENDED.format(days=days, due=f"{extended.due_date:%d/%m/%Y}")
        if extended.contact_email:
            return message + MSG_EXTENDED_EMAIL.format(email=extended.contact_email)
        return message + MSG_EXTENDED_LETTER.format(first_due=f"{first_due:%d/%m/%Y}")


class CloseView(ComplaintActionView):
    form_name = "close_form"

    def get_form(self):
        from django import forms

        return forms.Form(self.request.POST)

    def perform(self, complaint, data):
        complaint_close(complaint_id=complaint.pk, scope=self.scope)
        return MSG_CLOSED


def _preview(complaint: Complaint, data: dict) -> dict:
    """The answer as the consumer will read it (the real e-mail templates), without saving or sending."""
    when = data.get("communicated_at") or timezone.now()
    response = Response(complaint=complaint, text=data["text"], channel=data["channel"], communicated_at=when)
    subject, body = render.response_preview(complaint, response)
    placeholders = sorted(set(_PLACEHOLDER.findall(data["text"])))
    warning = MSG_PLACEHOLDERS.format(parts=", ".join(placeholders)) if placeholders else ""
    if any(part.startswith("{") for part in placeholders):
        warning += MSG_PLACEHOLDERS_UNFILLED
    return {
        "subject": subject,
        "body": body,
        "response": response,
        "recipient": complaint.contact_email,
        "warning": warning,
    }


def _template_filled(template: ResponseTemplate, complaint: Complaint) -> str:
    """The template's text with the hoja's data in its placeholders, as it is inserted into the answer."""
    return template_fill(template.body, placeholder_values(complaint, today=timezone.localdate()))


def _default_channel(complaint: Complaint) -> str:
    return ResponseChannel.EMAIL if complaint.contact_email else ResponseChannel.LETTER


class AnswerMixin(StaffRequiredMixin):
    def answer_page(self, complaint: Complaint, form: ResponseForm, *, preview: dict | None = None, status=200):
        templates = response_templates_for(complaint)
        context = {
            "complaint": complaint,
            "form": form,
            "preview": preview,
            "templates": templates,
            # filled from this hoja: the script inserts exactly what the no-JS merge would (plain text in JSON)
            "template_bodies": {str(t.pk): _template_filled(t, complaint) for t in templates},
            "chosen_template": getattr(self, "chosen_template", None),
            "has_email": bool(complaint.contact_email),
            "status_tone": STATUS_TONES.get(complaint.status, "closed"),
        }
        context.update(answer_flow_context(self.request, scope=self.scope, complaint=complaint))  # its queue view
        from ..book.attachment_views import answer_attachments_context  # book's views import this module

        context.update(answer_attachments_context(complaint, getattr(self, "attachment_form", None)))  # documents
        return self.render(ANSWER_TEMPLATE, context, status=status)

    def scoped(self, request, pk: int) -> tuple[Complaint, HttpResponse | None]:
        complaint = _complaint_or_404(self.scope, pk)
        if not self.scope.acts_on(complaint.establishment_id):
            return complaint, forbidden(request, read_only=True)
        return complaint, None


class AnswerView(AnswerMixin, View):
    """GET: the answer form (optionally pre-filled from ?plantilla=<id>). POST: the preview, nothing sent."""

    def get(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        refused = refusal(complaint, Action.ANSWER, scope=self.scope, today=timezone.localdate())
        if refused:
            if refused != MSG_OFFER_PENDING:  # the other refusals are status moves: name the status instead
                refused = MSG_NOT_ANSWERABLE.format(status=complaint.get_status_display())
            messages.warning(request, refused)
            # back on the hoja, in the queue view it came from
            return redirect(answer_flow_context(request, scope=self.scope, complaint=complaint)["flow_detail_url"])
        templates = {str(t.pk): t for t in response_templates_for(complaint)}
        self.chosen_template = templates.get(request.GET.get("plantilla", ""))
        initial = {
            "text": _template_filled(self.chosen_template, complaint) if self.chosen_template else "",
            "channel": _default_channel(complaint),
        }
        return self.answer_page(complaint, ResponseForm(initial=initial))

    def post(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        if request.POST.get("accion") == ACTION_TEMPLATE:
            return self.template_insert(request, complaint)
        form = ResponseForm(request.POST)
        if not form.is_valid():
            return self.answer_page(complaint, form)
        return self.answer_page(complaint, form, preview=_preview(complaint, form.cleaned_data))

    def template_insert(self, request, complaint: Complaint) -> HttpResponse:
        """The template picker posts the draft with it (so it works without JavaScript): the template is added
        below what was typed, and the channel and letter date come back as they were. Nothing is validated yet."""
        templates = {str(t.pk): t for t in response_templates_for(complaint)}
        self.chosen_template = templates.get(request.POST.get("plantilla", ""))
        text = request.POST.get("text", "")
        if self.chosen_template is None:
            messages.warning(request, MSG_TEMPLATE_PICK)
        else:
            done = MSG_TEMPLATE_INSERTED if text.strip() else MSG_TEMPLATE_COPIED
            text = template_merge(text, _template_filled(self.chosen_template, complaint))
            messages.info(request, done.format(name=self.chosen_template.name))
        initial = {
            "text": text,
            "channel": request.POST.get("channel") or _default_channel(complaint),
            "communicated_at": request.POST.get("communicated_at", ""),
        }
        return self.answer_page(complaint, ResponseForm(initial=initial))


class AnswerSendView(AnswerMixin, View):
    """Send the answer by e-mail (outbox, PDF attached) or record the letter. On a refusal the text is kept."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        form = ResponseForm(request.POST)
        if not form.is_valid():
            messages.error(request, MSG_CHECK_FORM)
            return self.answer_page(complaint, form)
        data = form.cleaned_data
        try:
            response = response_send(
                complaint_id=complaint.pk,
                text=data["text"],
                channel=data["channel"],
                communicated_at=data["communicated_at"],
                scope=self.scope,
            )
        except WorkflowError as exc:
            messages.error(request, str(exc))
            return self.answer_page(complaint, form)
        if response.channel == ResponseChannel.EMAIL:
            messages.success(request, MSG_ANSWER_EMAILED)
        else:
            when = timezone.localtime(response.communicated_at).strftime("%d/%m/%Y %H:%M")
            messages.success(request, MSG_ANSWER_LETTER.format(when=when))
        # Back on the hoja, still in the queue view the agent came from: its "Siguiente hoja" is one click away.
        return flow_redirect(request, scope=self.scope, complaint=complaint, advance=False)
