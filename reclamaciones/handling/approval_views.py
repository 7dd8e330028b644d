"""Back-office views of the approval step (handling.approvals) and of bulk assignment from the queue
(handling.bulk_assign). Supervisors decide and assign in bulk; agents and readers get the 403 page; a hoja
outside the user's scope is a 404, as everywhere in /gestion/."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from ..access import Scope, StaffRequiredMixin, forbidden
from ..book.models import Complaint, Kind
from ..deadlines.clock import DaysLeft
from ..formfields import LongTextField
from .approval_models import ApprovalRequest
from .approvals import (
    MSG_NOT_PENDING,
    MSG_RETURN_REASON,
    ApprovalPanel,
    approval_grant,
    approval_panel,
    approval_requests_pending,
    approval_return,
)
from .bulk_assign import MSG_PICK_HOJAS, HojasOutOfScope, TooManyHojas, bulk_assignable_people, complaints_bulk_assign
from .flow_views import flow_redirect
from .forms import StaffForm
from .selectors import pending_approval_count
from .services import WorkflowError
from .team import SOON_BUSINESS_DAYS
from .trail import person_name

MSG_GRANTED = {
    ApprovalRequest.Kind.OFFER: "Propuesta aprobada y enviada al consumidor por correo. El plazo queda en pausa.",
    ApprovalRequest.Kind.RECLASSIFY: "Reclasificación aprobada: la hoja ahora se atiende como {kind}.",
}
MSG_RETURNED = "Devuelta a {name} con tu motivo: lo verá en la hoja."
MSG_OFFER_FOR_APPROVAL = (
    "Tu propuesta quedó por aprobar: supervisión la revisa antes de enviarla al consumidor. "
    "El plazo legal sigue corriendo (vence el {due})."
)
MSG_RECLASSIFY_FOR_APPROVAL = (
    "La reclasificación quedó por aprobar: supervisión la revisa antes de aplicarla. "
    "El plazo legal sigue corriendo (vence el {due})."
)
MSG_PICK_ASSIGNEE = "Elige a quién asignar las hojas (o «Sin asignar»)."
MSG_PICK_PERSON = "Elige a una persona de la lista."
MSG_BULK_DONE = "Listo: {count} asignada{s} a {name}."
MSG_BULK_NONE = "No cambió ninguna hoja."
MSG_BULK_UNCHANGED = " {count} ya estaba{n} así."
MSG_BULK_CLOSED = "{count} que ya no está{n} en trámite no se {verb}: {numbers}."

UNASSIGNED = "bandeja"


def for_approval_message(request: ApprovalRequest) -> str:
    """What the agent reads after proposing an offer or a reclassification that now waits for a supervisor."""
    due = f"{request.complaint.due_date:%d/%m/%Y}"
    if request.kind == ApprovalRequest.Kind.OFFER:
        return MSG_OFFER_FOR_APPROVAL.format(due=due)
    return MSG_RECLASSIFY_FOR_APPROVAL.format(due=due)


class ApprovalForm(StaffForm):
    solicitud = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["solicitud"].error_messages.update(
            {"required": MSG_NOT_PENDING, "invalid": MSG_NOT_PENDING, "min_value": MSG_NOT_PENDING}
        )


class ApprovalReturnForm(ApprovalForm):
    motivo = LongTextField(
        label="Motivo de la devolución",
        max_length=2000,
        rows=3,
        help_text="Qué debe cambiar: el agente lo lee en la hoja.",
        error_messages={"required": MSG_RETURN_REASON},
    )


@dataclass(frozen=True)
class PendingItem:
    request: ApprovalRequest
    return_form: ApprovalReturnForm
    new_kind: str  # for a reclassification: the kind proposed, in words


def approval_detail(scope: Scope, complaint: Complaint, return_form: ApprovalReturnForm | None = None) -> dict:
    """The hoja detail's approvals panel (templates/reclamaciones/staff/_approvals.html): one query."""
    panel: ApprovalPanel = approval_panel(scope=scope, complaint=complaint)
    items = []
    for request in panel.pending:
        form = return_form
        if form is None or str(form.data.get("solicitud")) != str(request.pk):
            form = ApprovalReturnForm(initial={"solicitud": request.pk}, auto_id=f"id_devolver_{request.pk}_%s")
        kind = request.proposal.get("kind") if request.kind == ApprovalRequest.Kind.RECLASSIFY else ""
        items.append(PendingItem(request, form, Kind(kind).label.lower() if kind in Kind.values else ""))
    # A kind with a request waiting: its panel on the hoja is hidden until the supervisor decides.
    waiting = {request.kind: True for request in panel.pending}
    return {"panel": panel, "pending": items, "waiting": waiting}


class _SupervisorOnly(StaffRequiredMixin):
    """Supervisors (and administrators) only: another role gets the 403 saying it may read, not do this."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.scope.roles and not self.scope.supervises:
            return forbidden(request, read_only=True)
        return super().dispatch(request, *args, **kwargs)


class ApprovalDecisionView(StaffRequiredMixin, View):
    """POST: approve (`decision = "grant"`) or return with a reason the pending request of a hoja in scope."""

    http_method_names = ["post"]
    decision = "grant"

    def post(self, request, pk: int):
        from .views import DETAIL_TEMPLATE, _complaint_or_404, _detail_context

        complaint = _complaint_or_404(self.scope, pk)  # outside the scope: 404 whatever the role
        if not (self.scope.supervises and self.scope.acts_on(complaint.establishment_id)):
            return forbidden(request, read_only=True)
        form_class = ApprovalReturnForm if self.decision == "return" else ApprovalForm
        form = form_class(request.POST)
        if not form.is_valid():
            if "solicitud" in form.errors:
                messages.error(request, MSG_NOT_PENDING)
                return flow_redirect(request, scope=self.scope, complaint=complaint, advance=False)
            context = _detail_context(request, complaint, approval_return_form=form)
            return self.render(DETAIL_TEMPLATE, context, status=400)
        request_id = form.cleaned_data["solicitud"]
        try:
            if self.decision == "return":
                decided = approval_return(
                    request_id=request_id,
                    complaint_id=complaint.pk,
                    reason=form.cleaned_data["motivo"],
                    scope=self.scope,
                )
                message = MSG_RETURNED.format(name=person_name(decided.requested_by))
            else:
                decided = approval_grant(request_id=request_id, complaint_id=complaint.pk, scope=self.scope)
                message = MSG_GRANTED[decided.kind]
                if decided.kind == ApprovalRequest.Kind.RECLASSIFY:
                    message = message.format(kind=Kind(decided.proposal["kind"]).label.lower())
        except WorkflowError as exc:
            messages.error(request, str(exc))
            return flow_redirect(request, scope=self.scope, complaint=complaint, advance=False)  # in its view
        messages.success(request, message)
        return flow_redirect(request, scope=self.scope, complaint=complaint)  # back on the hoja, in its view


# -- bulk assignment from the queue ----------------------------------------------------------------------------


def queue_bulk_context(scope: Scope) -> dict:
    """What the queue adds for a supervisor: the people the bulk bar offers and the «Por aprobar» counter (one
    query each). Nothing for the rest: agents and readers get no checkboxes and the queue no extra query."""
    if not scope.supervises or not scope.can_act:
        return {"bulk_people": None, "pending_approval": None}
    return {
        "bulk_people": list(bulk_assignable_people(scope=scope)),
        "pending_approval": pending_approval_count(scope=scope),  # the approvers' counter
    }


def _ids(values: list[str]) -> list[int] | None:
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        return None
    return ids if all(i > 0 for i in ids) else None


class BulkAssignView(_SupervisorOnly, View):
    """POST from the queue's form: the checked hojas (or every hoja of the page) to one person or back to the
    queue. The queue's filters travel in the action's query string, so the user lands on the same list."""

    http_method_names = ["post"]

    def back_to_queue(self) -> HttpResponse:
        query = QueryDict(self.request.META.get("QUERY_STRING", "")).urlencode()  # re-encoded: only a query
        return redirect(reverse("staff:queue") + (f"?{query}" if query else ""))

    def queue_again(self, message: str, *, status: int = 400) -> HttpResponse:
        """The queue as it was, with the message, as a 4xx (nothing changed)."""
        from .views import QueueView

        messages.error(self.request, message)
        view = QueueView()
        view.setup(self.request)
        view.roles = self.roles
        view.__dict__["scope"] = self.scope
        response = view.get(self.request)
        response.status_code = status
        return response

    def post(self, request):
        values = request.POST.getlist("hojas")
        if request.POST.get("toda_la_pagina"):
            values += request.POST.getlist("pagina")
        ids = _ids(values)
        if ids is None:
            return self.queue_again(MSG_PICK_HOJAS)
        if not ids:
            return self.queue_again(MSG_PICK_HOJAS)
        choice = request.POST.get("responsable", "")
        if not choice:
            return self.queue_again(MSG_PICK_ASSIGNEE)
        assignee = None
        if choice != UNASSIGNED:
            people = {str(p.pk): p for p in bulk_assignable_people(scope=self.scope)}
            assignee = people.get(choice)
            if assignee is None:
                return self.queue_again(MSG_PICK_PERSON)
        try:
            result = complaints_bulk_assign(complaint_ids=ids, assignee=assignee, scope=self.scope)
        except HojasOutOfScope:
            raise Http404("Hoja no encontrada") from None
        except TooManyHojas as exc:
            return self.queue_again(str(exc))
        except WorkflowError as exc:
            return self.queue_again(str(exc), status=409)
        name = person_name(assignee) if assignee else "la bandeja del establecimiento (sin asignar)"
        changed = len(result.changed)
        message = (
            MSG_BULK_DONE.format(count=_hojas(changed), s="" if changed == 1 else "s", name=name)
            if changed
            else MSG_BULK_NONE
        )
        if result.unchanged:
            n = len(result.unchanged)
            message += MSG_BULK_UNCHANGED.format(count=_hojas(n), n="" if n == 1 else "n")
        if changed:
            messages.success(request, message)
        else:
            messages.info(request, message)
        if result.closed:
            n = len(result.closed)
            numbers = ", ".join(f"Nº {number}" for number in result.closed[:20])
            plural = {"n": "" if n == 1 else "n", "verb": "tocó" if n == 1 else "tocaron"}
            messages.warning(request, MSG_BULK_CLOSED.format(count=_hojas(n), numbers=numbers, **plural))
        return self.back_to_queue()


def _hojas(n: int) -> str:
    return "1 hoja" if n == 1 else f"{n} hojas"


@dataclass(frozen=True)
class PendingRow:
    request: ApprovalRequest
    days_left: int | None  # business days left on the hoja's legal deadline (it keeps running)

    @property
    def tone(self) -> str:
        if self.days_left is None:
            return "done"
        if self.days_left < 0:
            return "overdue"
        return "soon" if self.days_left <= SOON_BUSINESS_DAYS else "ok"


def team_pending_approvals(scope: Scope, *, today, calendar) -> list[PendingRow]:
    """The team view's "Por aprobar": pending requests in scope, the hoja due first (one query)."""
    left = DaysLeft(today=today, calendar=calendar)
    return [PendingRow(r, left(r.complaint)) for r in approval_requests_pending(scope=scope)]
