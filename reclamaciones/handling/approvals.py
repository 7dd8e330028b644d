"""The approval step (configurable per establishment) for an agent's settlement offer or reclassification.

Where the establishment asks for it (policy.needs_approval), an agent's offer or change of kind is not sent or
applied: it becomes a pending ApprovalRequest, the establishment's supervisors are e-mailed (once each), and a
supervisor in scope approves it (then the usual service sends or applies it, with every rule it enforces: the
cause before an offer, the deadline, an e-mail to write to) or returns it with a reason the agent reads on the
hoja. One pending request per hoja and kind; the legal deadline keeps running meanwhile. A supervisor's own
offer or reclassification skips the step, and ends a request of the same kind still waiting; a hoja that leaves
the open statuses ends all of its requests (approval_requests_lapse). Every step is an event on the hoja: who
proposed, who decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import Role, Scope
from ..book.models import OPEN_STATUSES, Complaint, ComplaintEvent, Kind
from ..book.pdf import printable
from ..outbox.keys import approval_request_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .approval_models import ApprovalRequest
from .models import SettlementOffer
from .policy import MSG_OUT_OF_SCOPE, Action, needs_approval
from .selectors import assignable_staff
from .services import MSG_EMPTY_TEXT, MSG_REASON_REQUIRED, MSG_SAME_KIND, WorkflowError, _locked, complaint_reclassify
from .settlement import SettlementError, settlement_offer_send
from .trail import person_name

MSG_ALREADY_PENDING = {
    ApprovalRequest.Kind.OFFER: "Ya hay una propuesta de solución de esta hoja esperando la aprobación de supervisión.",
    ApprovalRequest.Kind.RECLASSIFY: "Ya hay una reclasificación de esta hoja esperando la aprobación de supervisión.",
}
MSG_APPROVERS_ONLY = "Solo supervisión aprueba o devuelve propuestas y reclasificaciones."
MSG_NOT_PENDING = "Esa solicitud ya no está pendiente: la decidió otra persona o ya no existe."
MSG_RETURN_REASON = "Indica por qué la devuelves: el agente lo leerá en la hoja."
# Why a request ended without a decision (its return_reason and the APPROVAL_REFUSED event's reason).
MSG_LAPSED_CLOSED = "La hoja ya fue {status}: la solicitud quedó sin efecto."
MSG_LAPSED_DIRECT = {
    ApprovalRequest.Kind.OFFER: (
        "Supervisión envió directamente otra propuesta de solución: la solicitud quedó sin efecto."
    ),
    ApprovalRequest.Kind.RECLASSIFY: "Supervisión reclasificó la hoja directamente: la solicitud quedó sin efecto.",
}
_LEFT_AS = {"answered": "respondida", "settled": "cerrada por acuerdo", "closed": "cerrada"}

Kind_ = ApprovalRequest.Kind
Status_ = ApprovalRequest.Status

_ACTION = {Kind_.OFFER: Action.OFFER, Kind_.RECLASSIFY: Action.RECLASSIFY}


def settlement_offer_propose(
    *, complaint_id: int, text: str, scope: Scope, now: datetime | None = None
) -> SettlementOffer | ApprovalRequest:
    """What the detail page's offer form does: send the offer (settlement_offer_send) or, where a supervisor
    approves an agent's offers first, ask for that approval. The offer's own rules apply either way, now."""
    now = now or timezone.now()
    text = printable(text).strip()
    if not text:
        raise WorkflowError(MSG_EMPTY_TEXT)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.OFFER, scope, now, with_establishment=True)
        if not needs_approval(complaint, Action.OFFER, scope=scope):
            offer = settlement_offer_send(complaint_id=complaint.pk, text=text, scope=scope, now=now)
            approval_requests_lapse(
                complaint=complaint, kinds=[Kind_.OFFER], reason=MSG_LAPSED_DIRECT[Kind_.OFFER], now=now
            )
            return offer
        return _request(complaint, Kind_.OFFER, {"text": text}, scope, now)


def complaint_reclassify_propose(
    *, complaint_id: int, kind: str, reason: str, scope: Scope, now: datetime | None = None
) -> Complaint | ApprovalRequest:
    """What the detail page's reclassify form does: reclassify (complaint_reclassify) or, where a supervisor
    approves an agent's changes of kind first, ask for that approval."""
    now = now or timezone.now()
    reason = printable(reason).strip()
    if not reason:
        raise WorkflowError(MSG_REASON_REQUIRED)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.RECLASSIFY, scope, now, with_establishment=True)
        if complaint.kind == kind:
            raise WorkflowError(MSG_SAME_KIND)
        if not needs_approval(complaint, Action.RECLASSIFY, scope=scope):
            complaint = complaint_reclassify(complaint_id=complaint.pk, kind=kind, reason=reason, scope=scope, now=now)
            approval_requests_lapse(
                complaint=complaint, kinds=[Kind_.RECLASSIFY], reason=MSG_LAPSED_DIRECT[Kind_.RECLASSIFY], now=now
            )
            return complaint
        return _request(complaint, Kind_.RECLASSIFY, {"kind": Kind(kind).value, "reason": reason}, scope, now)


def _request(complaint: Complaint, kind: str, proposal: dict, scope: Scope, now: datetime) -> ApprovalRequest:
    if ApprovalRequest.objects.filter(complaint=complaint, kind=kind, status=Status_.PENDING).exists():
        raise WorkflowError(MSG_ALREADY_PENDING[kind])
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                complaint=complaint, kind=kind, proposal=proposal, requested_by=scope.user, requested_at=now
            )
    except IntegrityError:  # the same form posted twice at once: the partial unique index keeps one
        raise WorkflowError(MSG_ALREADY_PENDING[kind]) from None
    ComplaintEvent.objects.create(
        complaint=complaint,
        type=ComplaintEvent.Type.APPROVAL_REQUESTED,
        actor=scope.user,
        occurred_at=now,
        data={"request": request.pk, "kind": kind, **_in_words(proposal)},
    )
    for email in approvers_emails(establishment_id=complaint.establishment_id):
        outbox_enqueue(
            kind=OutboundMessage.Kind.APPROVAL_REQUEST,
            recipient=email,
            complaint=complaint,
            idempotency_key=approval_request_key(request_id=request.pk, recipient=email),
            context={"request": request.pk},
        )
    return request


def _in_words(proposal: dict) -> dict:
    """The proposal as the event keeps it: an offer's text; a reclassification's new kind ("to") and reason."""
    if "text" in proposal:
        return {"text": proposal["text"][:4000]}
    return {"to": proposal["kind"], "reason": proposal["reason"]}


def approvers_emails(*, establishment_id: int) -> list[str]:
    """The e-mails of the active supervisors who work for the establishment (one each)."""
    emails = (
        assignable_staff(establishment_id=establishment_id)
        .filter(groups__name=Role.SUPERVISOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted({e.lower() for e in emails})


def _decidable(request_id: int, complaint_id: int, scope: Scope) -> ApprovalRequest:
    """The hoja's pending request, locked, once `scope` may decide it: a supervisor acting on its establishment."""
    if not scope.supervises:
        raise WorkflowError(MSG_APPROVERS_ONLY)
    request = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("complaint", "requested_by")
        .filter(pk=request_id, complaint_id=complaint_id)
        .first()
    )
    if request is None:
        raise WorkflowError(MSG_NOT_PENDING)
    if not scope.acts_on(request.complaint.establishment_id):
        raise WorkflowError(MSG_OUT_OF_SCOPE)
    if request.status != Status_.PENDING:
        raise WorkflowError(MSG_NOT_PENDING)
    return request


def approval_grant(*, request_id: int, complaint_id: int, scope: Scope, now: datetime | None = None) -> ApprovalRequest:
    """Approve: the offer is sent, or the hoja reclassified, exactly as a supervisor's own would be (the same
    service and rules: if the hoja no longer allows it, nothing changes and the request stays pending)."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _decidable(request_id, complaint_id, scope)
        request.status, request.decided_by, request.decided_at = Status_.APPROVED, scope.user, now
        request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=request.complaint,
            type=ComplaintEvent.Type.APPROVAL_GRANTED,
            actor=scope.user,
            occurred_at=now,
            data={
                "request": request.pk,
                "kind": request.kind,
                "requested_by": request.requested_by_id,
                "requested_by_name": person_name(request.requested_by),
            },
        )
        proposal = request.proposal
        try:
            if request.kind == Kind_.OFFER:
                settlement_offer_send(complaint_id=request.complaint_id, text=proposal["text"], scope=scope, now=now)
            else:
                complaint_reclassify(
                    complaint_id=request.complaint_id,
                    kind=proposal["kind"],
                    reason=proposal["reason"],
                    scope=scope,
                    now=now,
                )
        except SettlementError as exc:
            raise WorkflowError(str(exc)) from None
    return request


def approval_return(
    *, request_id: int, complaint_id: int, reason: str, scope: Scope, now: datetime | None = None
) -> ApprovalRequest:
    """Return the proposal to the agent with the reason (shown on the hoja); nothing is sent or applied."""
    now = now or timezone.now()
    reason = printable(reason).strip()
    if not reason:
        raise WorkflowError(MSG_RETURN_REASON)
    with transaction.atomic():
        request = _decidable(request_id, complaint_id, scope)
        request.status, request.decided_by, request.decided_at = Status_.RETURNED, scope.user, now
        request.return_reason = reason[:2000]
        request.save(update_fields=["status", "decided_by", "decided_at", "return_reason", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=request.complaint,
            type=ComplaintEvent.Type.APPROVAL_REFUSED,
            actor=scope.user,
            occurred_at=now,
            data={
                "request": request.pk,
                "kind": request.kind,
                "reason": request.return_reason,
                "requested_by": request.requested_by_id,
                "requested_by_name": person_name(request.requested_by),
            },
        )
    return request


def approval_requests_lapse(
    *, complaint: Complaint, kinds: list[str] | None = None, reason: str = "", now: datetime
) -> list[ApprovalRequest]:
    """End the locked hoja's pending requests of `kinds` (None: every kind) that can no longer be decided: the hoja
    left the open statuses (services.status_move calls this), or a supervisor's own offer or reclassification of
    the same kind went through. They become RETURNED with `reason` (by default, why the hoja closed) and no
    decider, and an APPROVAL_REFUSED event (no actor) says so. Nothing is sent to anyone."""
    pending = ApprovalRequest.objects.filter(complaint=complaint, status=Status_.PENDING)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    lapsed = list(pending.select_related("requested_by").select_for_update(of=("self",)))
    if not lapsed:
        return []
    reason = reason or MSG_LAPSED_CLOSED.format(status=_LEFT_AS.get(complaint.status, "cerrada"))
    for request in lapsed:
        request.status, request.decided_by, request.decided_at = Status_.RETURNED, None, now
        request.return_reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "return_reason", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.APPROVAL_REFUSED,
            actor=None,
            occurred_at=now,
            data={
                "request": request.pk,
                "kind": request.kind,
                "reason": reason,
                "lapsed": True,
                "requested_by": request.requested_by_id,
                "requested_by_name": person_name(request.requested_by),
            },
        )
    return lapsed


# -- reads ----------------------------------------------------------------------------------------------------


def approval_requests_pending(*, scope: Scope) -> list[ApprovalRequest]:
    """Pending requests in scope, the hoja due first (the team view's "Por aprobar"). One query."""
    return list(
        scope.filter(
            ApprovalRequest.objects.filter(status=Status_.PENDING, complaint__status__in=OPEN_STATUSES),
            path="complaint__establishment",
        )
        .select_related("complaint__establishment", "requested_by")
        .order_by("complaint__due_date", "requested_at", "pk")
    )


@dataclass(frozen=True)
class ApprovalPanel:
    """What the hoja's detail page shows of its approvals."""

    pending: list[ApprovalRequest]
    returned: list[ApprovalRequest]  # returned since the last approved or new request of the same kind
    can_decide: bool  # a supervisor acting on this hoja's establishment
    offers_need_approval: bool  # for this user: an agent where the establishment asks for it
    reclassifications_need_approval: bool


def approval_panel(*, scope: Scope, complaint: Complaint) -> ApprovalPanel:
    """The hoja's requests (one query) and what the establishment asks of this user."""
    requests = list(complaint.approval_requests.select_related("requested_by", "decided_by").order_by("-pk"))
    latest = {}
    for request in requests:
        latest.setdefault(request.kind, request)
    establishment = complaint.establishment
    agent = not scope.supervises
    return ApprovalPanel(
        pending=[r for r in requests if r.status == Status_.PENDING and complaint.status in OPEN_STATUSES],
        returned=[r for r in latest.values() if r.status == Status_.RETURNED],
        can_decide=scope.supervises and scope.acts_on(complaint.establishment_id),
        offers_need_approval=agent and establishment.offers_need_approval,
        reclassifications_need_approval=agent and establishment.reclassifications_need_approval,
    )
