"""Back office (/gestion/): the queue, the hoja's detail and one POST view per action.

Thin views: scoping comes from the selectors (complaint_list_for, user_can_act_on), every write is one service
call, and a service refusal (WorkflowError / SettlementError) becomes a message on the detail page.
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
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from ..access import StaffRequiredMixin, _forbidden, user_can_act_on
from ..book import pdf
from ..book.models import (
    OPEN_STATUSES,
    TRACKED_STATUSES,
    Channel,
    Complaint,
    ComplaintEvent,
    Establishment,
    Kind,
    ResponseChannel,
    Status,
)
from ..book.services import complaint_integrity_problems
from ..clientip import rate_limit_wait, wait_phrase
from ..deadlines.rules import BusinessCalendar, business_days_left
from ..deadlines.selectors import business_calendar_get
from ..deadlines.services import tracker_status
from ..outbox import render
from ..outbox.models import OutboundMessage
from . import exports
from .forms import (
    AssignForm,
    ClassifyForm,
    NoteForm,
    QueueFilterForm,
    ReclassifyForm,
    ResponseForm,
    SettlementOfferForm,
)
from .models import Response, SettlementOffer
from .selectors import (
    assignable_staff,
    complaint_list_for,
    complaint_queue,
    complaint_queue_summary,
    establishment_list_for,
    related_or_none,
    response_templates_for,
    settlement_offer_latest,
)
from .services import (
    MSG_OFFER_PENDING,
    TRANSITIONS,
    WorkflowError,
    complaint_assign,
    complaint_classify,
    complaint_close,
    complaint_note_add,
    complaint_reclassify,
    response_send,
)
from .settlement import SettlementError, settlement_offer_send

PAGE_SIZE = 25

AMBER_DAYS = 2  # <= 2 business days left: amber

DETAIL_TEMPLATE = "reclamaciones/staff/complaint_detail.html"

ANSWER_TEMPLATE = "reclamaciones/staff/answer.html"

MSG_ASSIGNED = "Listo: la hoja quedó asignada a {name}."

MSG_UNASSIGNED = "Listo: la hoja volvió a la bandeja del establecimiento."

MSG_NOTE_ADDED = "Nota guardada en el historial."

MSG_RECLASSIFIED = "La hoja ahora se atiende como {kind}."

MSG_CLASSIFIED = "Causa registrada: {cause}."

MSG_OFFER_SENT = "Propuesta enviada al consumidor por correo. El plazo queda en pausa hasta su respuesta."

MSG_ANSWER_EMAILED = "Respuesta enviada por correo al consumidor, con la hoja en PDF."

MSG_ANSWER_LETTER = "Respuesta registrada como carta entregada el {when}."

MSG_CLOSED = "Hoja cerrada."

MSG_NOT_ANSWERABLE = "Esta hoja ya no admite una respuesta (estado: {status})."

MSG_CHECK_FORM = "Revisa los campos marcados."

MSG_PLACEHOLDERS = "El texto aún tiene partes por completar entre corchetes: {parts}."

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

MESSAGE_TONES = {
    OutboundMessage.Status.PENDING: "warning",
    OutboundMessage.Status.SENDING: "info",
    OutboundMessage.Status.SENT: "success",
    OutboundMessage.Status.FAILED: "danger",
}

_PLACEHOLDER = re.compile(r"\[[^\]\n]{1,80}\]")


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


def _complaint_or_404(user, pk: int) -> Complaint:
    """The hoja if it is in the user's scope; otherwise 404, exactly as if it did not exist."""
    try:
        return complaint_list_for(user).select_related("establishment__provider").get(pk=pk)
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


def _days_left_fn(today: date, calendar: BusinessCalendar):
    """Business days left per due date, memoised: one calendar, no query, at most one computation per date."""
    cache: dict[date, int] = {}

    def days_left(complaint: Complaint) -> int | None:
        if complaint.status not in OPEN_STATUSES:
            return None
        if complaint.due_date not in cache:
            cache[complaint.due_date] = business_days_left(today, complaint.due_date, calendar)
        return cache[complaint.due_date]

    return days_left


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
    return params.urlencode()


def _filtered(request, establishments: list[Establishment], today: date):
    """(form, filtered and ordered queryset) for the queue and its exports."""
    form = QueueFilterForm(request.GET or None, establishments=establishments)
    return form, complaint_queue(user=request.user, today=today, **form.filters())


class QueueView(StaffRequiredMixin, View):
    """A fixed number of queries whatever the number of rows: days left come from one calendar in Python."""

    def get(self, request):
        today = timezone.localdate()
        calendar = business_calendar_get()
        establishments = establishment_list_for(request.user)
        form, complaints = _filtered(request, establishments, today)
        page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
        days_left = _days_left_fn(today, calendar)
        rows = []
        for complaint in page.object_list:
            left = days_left(complaint)
            rows.append(QueueRow(complaint, left, _tone(left)))
        context = {
            "form": form,
            "page": page,
            "rows": rows,
            "today": today,
            "summary": complaint_queue_summary(user=request.user, today=today),
            "tracker": tracker_status(),
            "many_establishments": len(establishments) > 1,
            "query_string": _without_page(request.GET),
        }
        return self.render("reclamaciones/staff/queue.html", context)


class QueueExportView(StaffRequiredMixin, View):
    """The filtered queue (every page, only hojas in scope) as CSV or XLSX."""

    fmt = "csv"

    def get(self, request):
        today = timezone.localdate()
        establishments = establishment_list_for(request.user)
        _, complaints = _filtered(request, establishments, today)
        days_left = _days_left_fn(today, business_calendar_get())
        rows = (exports.ExportRow(c, days_left(c)) for c in complaints.iterator(chunk_size=2000))
        name = f"hojas-de-reclamacion-{today:%Y-%m-%d}.{self.fmt}"
        if self.fmt == "xlsx":
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            response = HttpResponse(exports.queue_xlsx(rows), content_type=content_type)
        else:
            response = HttpResponse(exports.queue_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        add_never_cache_headers(response)
        return response


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value or "—")


def _day(iso: str | None) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "—"
    except ValueError:
        return str(iso)


def _moment(iso: str | None) -> str:
    try:
        return timezone.localtime(datetime.fromisoformat(iso)).strftime("%d/%m/%Y %H:%M") if iso else "—"
    except ValueError:
        return str(iso)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


T = ComplaintEvent.Type

# Events the consumer or the automatic tracker cause (no actor recorded).
_NO_ACTOR = {
    T.FILED: "Consumidor",
    T.SETTLEMENT_ACCEPTED: "Consumidor",
    T.SETTLEMENT_REJECTED: "Consumidor",
    T.SURVEY_ANSWERED: "Consumidor",
    T.REMINDED: "Seguimiento automático",
    T.ESCALATED: "Seguimiento automático",
    T.SETTLEMENT_EXPIRED: "Seguimiento automático",
    T.DEADLINE_RECOMPUTED: "Seguimiento automático",
}

_EVENT_TONES = {
    T.NOTE: "note",
    T.ESCALATED: "danger",
    T.MESSAGE_FAILED: "danger",
    T.RESPONDED: "success",
    T.SETTLEMENT_ACCEPTED: "success",
    T.REMINDED: "warning",
}


def _event_lines(event: ComplaintEvent) -> list[str]:
    """What happened, in plain Spanish, from the event's data."""
    d = event.data or {}
    match event.type:
        case T.FILED:
            return [f"Por {_label(Channel, d.get('channel')).lower()}. Fecha límite: {_day(d.get('due_date'))}."]
        case T.MESSAGE_SENT:
            attempts = d.get("attempts")
            tail = f" (intento {attempts})" if attempts and attempts > 1 else ""
            return [f"{_label(OutboundMessage.Kind, d.get('kind'))} a {d.get('recipient', '—')}{tail}."]
        case T.MESSAGE_FAILED:
            return [f"A {d.get('recipient', '—')}: {d.get('error') or 'error sin detalle'}."]
        case T.MESSAGE_QUEUED:
            return [f"{_label(OutboundMessage.Kind, d.get('kind'))} para {d.get('recipient', '—')}."]
        case T.REMINDED:
            left = int(d.get("days_left", 0))
            when = "vence hoy" if left == 0 else f"quedaban {_plural(left, 'día hábil', 'días hábiles')}"
            return [f"Aviso de plazo ({when}) a {', '.join(d.get('recipients', [])) or '—'}."]
        case T.ESCALATED:
            late = abs(int(d.get("days_left", 0)))
            return [
                f"Vencida hace {_plural(late, 'día hábil', 'días hábiles')}. "
                f"Avisado: {', '.join(d.get('recipients', [])) or '—'}."
            ]
        case T.DEADLINE_RECOMPUTED:
            return [
                f"Fecha límite: {_day(d.get('old_due_date'))} → {_day(d.get('new_due_date'))}.",
                f"Motivo: {d.get('reason') or 'cambio del calendario'}.",
            ]
        case T.DEADLINE_EXTENDED:
            lines = [
                f"Ampliación de {_plural(int(d.get('days', 0)), 'día calendario', 'días calendario')}: "
                f"{_day(d.get('old_due_date'))} → {_day(d.get('new_due_date'))}.",
                f"Motivo: {d.get('reason') or '—'}",
            ]
            if d.get("notice") == "letter_required":
                lines.append("Sin correo del consumidor: debe avisarse por carta antes del vencimiento inicial.")
            return lines
        case T.SETTLEMENT_OFFERED:
            return [f"El consumidor puede aceptarla hasta el {_day(d.get('respond_by'))}. El plazo queda en pausa."]
        case T.SETTLEMENT_ACCEPTED:
            return ["El consumidor aceptó expresamente la propuesta."]
        case T.SETTLEMENT_REJECTED | T.SETTLEMENT_EXPIRED:
            paused = int(d.get("suspended_business_days", 0))
            return [
                f"El plazo estuvo en pausa {_plural(paused, 'día hábil', 'días hábiles')}. "
                f"Nueva fecha límite: {_day(d.get('new_due_date'))}."
            ]
        case T.ASSIGNED:
            if d.get("to"):
                return [f"Responsable: {d.get('to_name') or 'otra persona'}."]
            return ["Devuelta a la bandeja del establecimiento (sin responsable)."]
        case T.NOTE:
            return [d.get("text", "")]
        case T.RECLASSIFIED:
            old = _label(Kind, d.get("from")) if d.get("from") else "sin clasificar"
            return [f"De {old.lower()} a {_label(Kind, d.get('to')).lower()}.", f"Motivo: {d.get('reason', '—')}"]
        case T.CLASSIFIED:
            old = f" (antes: {d['from']})" if d.get("from") else ""
            return [f"Causa: {d.get('to')} · {d.get('to_name', '')}{old}."]
        case T.STATUS_CHANGED:
            return [f"De «{_label(Status, d.get('from'))}» a «{_label(Status, d.get('to'))}»."]
        case T.RESPONDED:
            late = f"fuera del plazo (vencía el {_day(d.get('due_date'))})"
            on_time = "dentro del plazo" if d.get("on_time") else late
            return [
                f"Por {_label(ResponseChannel, d.get('channel')).lower()}, "
                f"comunicada el {_moment(d.get('communicated_at'))}: {on_time}."
            ]
        case T.SURVEY_ANSWERED:
            solved = "sí" if d.get("solved") else "no"
            return [f"¿Se solucionó? {solved} · Satisfacción {d.get('csat')}/5 · Recomendación {d.get('nps')}/10."]
    return []


def _timeline(events: list[ComplaintEvent], outbox: list[OutboundMessage]) -> list[dict]:
    """Events and outgoing messages, newest first. "Message queued" events are the message entries themselves."""
    items = [
        {
            "type": "event",
            "when": e.occurred_at,
            "title": e.get_type_display(),
            "lines": _event_lines(e),
            "actor": _person(e.actor) or _NO_ACTOR.get(e.type, "Sistema"),
            "tone": _EVENT_TONES.get(e.type, ""),
            "is_note": e.type == T.NOTE,
            "order": (e.occurred_at, 1, e.pk),
        }
        for e in events
        if e.type != T.MESSAGE_QUEUED
    ]
    items += [
        {
            "type": "message",
            "when": m.created_at,
            "title": f"Correo: {m.get_kind_display()}",
            "message": m,
            "status_tone": MESSAGE_TONES.get(m.status, "secondary"),
            "actor": "Sistema",
            "order": (m.created_at, 0, m.pk),
        }
        for m in outbox
    ]
    return sorted(items, key=lambda item: item["order"], reverse=True)


def _answerable(complaint: Complaint) -> bool:
    return Status.ANSWERED in TRANSITIONS[complaint.status] and complaint.status != Status.SETTLEMENT_OFFERED


def _offer_allowed(complaint: Complaint, today: date) -> bool:
    return (
        complaint.kind == Kind.RECLAMO
        and complaint.status in TRACKED_STATUSES
        and bool(complaint.contact_email)
        and today <= complaint.due_date
    )


def _detail_context(request, complaint: Complaint, **forms) -> dict:
    """Everything the detail page shows; `forms` carries a bound form with errors after a failed POST."""
    today = timezone.localdate()
    calendar = business_calendar_get()
    can_act = user_can_act_on(request.user, complaint.establishment_id)
    is_open = complaint.status in OPEN_STATUSES
    left = business_days_left(today, complaint.due_date, calendar) if is_open else None
    people = list(assignable_staff(establishment_id=complaint.establishment_id)) if can_act and is_open else []
    response = Response.objects.filter(complaint=complaint).select_related("responded_by").first()
    context = {
        "complaint": complaint,
        "status_tone": STATUS_TONES.get(complaint.status, "closed"),
        "days_left": left,
        "tone": _tone(left),
        "can_act": can_act,
        "response": response,
        "response_on_time": response is not None and timezone.localdate(response.communicated_at) <= complaint.due_date,
        "survey": related_or_none(complaint, "survey"),
        "offer": settlement_offer_latest(complaint=complaint),
        "timeline": _timeline(
            list(complaint.events.select_related("actor")), list(complaint.messages.order_by("created_at"))
        ),
        "tracker": tracker_status(),
        "people": people,
        "can_take": any(p.pk == request.user.pk for p in people) and complaint.assignee_id != request.user.pk,
        "actions": {
            "assign": can_act and is_open,
            "note": can_act,
            "reclassify": can_act and is_open,
            "classify": can_act,
            "offer": can_act and _offer_allowed(complaint, today),
            "answer": can_act and _answerable(complaint),
            "close": can_act and Status.CLOSED in TRANSITIONS[complaint.status],
        },
        "offer_pending_status": SettlementOffer.Status.PENDING,
        "integrity_problems": complaint_integrity_problems(complaint),
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
    context["classify_form"] = forms.get("classify_form") or ClassifyForm(
        initial={"cause": complaint.cause_id}, prefix="classify"
    )
    context["open_panel"] = next(iter(forms), "")
    return context


class ComplaintDetailView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        complaint = _complaint_or_404(request.user, pk)
        return self.render(DETAIL_TEMPLATE, _detail_context(request, complaint))


class ComplaintPdfView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        complaint = _complaint_or_404(request.user, pk)
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

    def post(self, request, pk: int):
        complaint = _complaint_or_404(request.user, pk)
        if not user_can_act_on(request.user, complaint.establishment_id):
            return _forbidden(request, read_only=True)
        form = self.get_form()
        if not form.is_valid():
            return self.invalid(complaint, form)
        try:
            message = self.perform(complaint, form.cleaned_data)
        except (WorkflowError, SettlementError) as exc:
            return self.refused(complaint, form, str(exc))
        messages.success(request, message)
        return redirect("staff:detail", pk=complaint.pk)

    def get_form(self):
        return self.form_class(self.request.POST, prefix=self.form_name.removesuffix("_form") or None)

    def invalid(self, complaint: Complaint, form) -> HttpResponse:
        messages.error(self.request, MSG_CHECK_FORM)
        return self.render(DETAIL_TEMPLATE, _detail_context(self.request, complaint, **{self.form_name: form}))

    def refused(self, complaint: Complaint, form, message: str) -> HttpResponse:
        messages.error(self.request, message)
        return redirect("staff:detail", pk=complaint.pk)

    def perform(self, complaint: Complaint, data: dict) -> str:
        raise NotImplementedError


class AssignView(ComplaintActionView):
    form_class = AssignForm
    form_name = "assign_form"

    def perform(self, complaint, data):
        assignee = data["assignee"]
        complaint_assign(complaint_id=complaint.pk, assignee=assignee, actor=self.request.user)
        return MSG_ASSIGNED.format(name=_person(assignee)) if assignee else MSG_UNASSIGNED


class NoteView(ComplaintActionView):
    form_class = NoteForm
    form_name = "note_form"

    def perform(self, complaint, data):
        complaint_note_add(complaint_id=complaint.pk, text=data["text"], actor=self.request.user)
        return MSG_NOTE_ADDED


class ClassifyView(ComplaintActionView):
    form_class = ClassifyForm
    form_name = "classify_form"

    def perform(self, complaint, data):
        complaint_classify(complaint_id=complaint.pk, cause=data["cause"], actor=self.request.user)
        return MSG_CLASSIFIED.format(cause=data["cause"].name)


class ReclassifyView(ComplaintActionView):
    form_class = ReclassifyForm
    form_name = "reclassify_form"

    def perform(self, complaint, data):
        complaint_reclassify(
            complaint_id=complaint.pk, kind=data["kind"], reason=data["reason"], actor=self.request.user
        )
        return MSG_RECLASSIFIED.format(kind=_label(Kind, data["kind"]).lower())


class SettlementOfferView(ComplaintActionView):
    form_class = SettlementOfferForm
    form_name = "offer_form"

    def perform(self, complaint, data):
        settlement_offer_send(complaint_id=complaint.pk, text=data["text"], actor=self.request.user)
        return MSG_OFFER_SENT


class CloseView(ComplaintActionView):
    form_name = "close_form"

    def get_form(self):
        from django import forms

        return forms.Form(self.request.POST)

    def perform(self, complaint, data):
        complaint_close(complaint_id=complaint.pk, actor=self.request.user)
        return MSG_CLOSED


def _preview(complaint: Complaint, data: dict) -> dict:
    """The answer as the consumer will read it (the real e-mail templates), without saving or sending."""
    when = data.get("communicated_at") or timezone.now()
    response = Response(complaint=complaint, text=data["text"], channel=data["channel"], communicated_at=when)
    subject, body = render.response_preview(complaint, response)
    placeholders = sorted(set(_PLACEHOLDER.findall(data["text"])))
    return {
        "subject": subject,
        "body": body,
        "response": response,
        "recipient": complaint.contact_email,
        "warning": MSG_PLACEHOLDERS.format(parts=", ".join(placeholders)) if placeholders else "",
    }


class AnswerMixin(StaffRequiredMixin):
    def answer_page(self, complaint: Complaint, form: ResponseForm, *, preview: dict | None = None, status=200):
        templates = response_templates_for(complaint)
        context = {
            "complaint": complaint,
            "form": form,
            "preview": preview,
            "templates": templates,
            "template_bodies": {str(t.pk): t.body for t in templates},
            "chosen_template": getattr(self, "chosen_template", None),
            "has_email": bool(complaint.contact_email),
            "status_tone": STATUS_TONES.get(complaint.status, "closed"),
        }
        return self.render(ANSWER_TEMPLATE, context, status=status)

    def scoped(self, request, pk: int) -> tuple[Complaint, HttpResponse | None]:
        complaint = _complaint_or_404(request.user, pk)
        if not user_can_act_on(request.user, complaint.establishment_id):
            return complaint, _forbidden(request, read_only=True)
        return complaint, None


class AnswerView(AnswerMixin, View):
    """GET: the answer form (optionally pre-filled from ?plantilla=<id>). POST: the preview, nothing sent."""

    def get(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        if not _answerable(complaint):
            if complaint.status == Status.SETTLEMENT_OFFERED:
                messages.warning(request, MSG_OFFER_PENDING)
            else:
                messages.warning(request, MSG_NOT_ANSWERABLE.format(status=complaint.get_status_display()))
            return redirect("staff:detail", pk=complaint.pk)
        templates = {str(t.pk): t for t in response_templates_for(complaint)}
        self.chosen_template = templates.get(request.GET.get("plantilla", ""))
        initial = {
            "text": self.chosen_template.body if self.chosen_template else "",
            "channel": ResponseChannel.EMAIL if complaint.contact_email else ResponseChannel.LETTER,
        }
        return self.answer_page(complaint, ResponseForm(initial=initial))

    def post(self, request, pk: int):
        complaint, denied = self.scoped(request, pk)
        if denied:
            return denied
        form = ResponseForm(request.POST)
        if not form.is_valid():
            return self.answer_page(complaint, form)
        return self.answer_page(complaint, form, preview=_preview(complaint, form.cleaned_data))


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
                actor=request.user,
            )
        except WorkflowError as exc:
            messages.error(request, str(exc))
            return self.answer_page(complaint, form)
        if response.channel == ResponseChannel.EMAIL:
            messages.success(request, MSG_ANSWER_EMAILED)
        else:
            when = timezone.localtime(response.communicated_at).strftime("%d/%m/%Y %H:%M")
            messages.success(request, MSG_ANSWER_LETTER.format(when=when))
        return redirect("staff:detail", pk=complaint.pk)
