"""Staff work on a hoja: assign, note, reclassify, classify, answer (section 4), close; and the consumer's
survey. Every action locks the row, asks the policy (handling.policy) whether the scope may take it, moves the
status only along TRANSITIONS and writes an event whose actor is the scope's user."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..book.models import OPEN_STATUSES, Complaint, ComplaintEvent, GoodType, Kind, ResponseChannel, Status
from ..outbox.keys import reclassified_key, response_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from ..webhooks.services import WebhookEvent, webhook_emit
from .followup import survey_refusal_get
from .models import Cause, Response, SurveyAnswer
from .policy import (
    MSG_NEEDS_APPROVAL,
    Action,
    needs_approval,
    refusal,
    transition_refusal,
)
from .selectors import assignable_staff, settlement_offer_latest

MSG_NOT_ASSIGNABLE = "Esa persona no atiende este establecimiento."


MSG_SAME_KIND = "La hoja ya está clasificada así."

MSG_REASON_REQUIRED = "Indica el motivo de la reclasificación."

MSG_EMPTY_TEXT = "Escribe el texto."

MSG_NO_EMAIL = "El consumidor no dio un correo electrónico: registra la respuesta enviada por carta."

MSG_LETTER_DATE = "Indica la fecha en que se comunicó la carta (no puede ser futura ni anterior a la hoja)."


MSG_CAUSE_INVALID = "Elige una causa (no una categoría) activa."

MSG_SAME_CAUSE = "La hoja ya tiene esa causa."

MSG_GOOD_TYPE_GIVEN = "El consumidor ya indicó en su hoja si es un producto o un servicio: eso no se cambia."

MSG_GOOD_TYPE_INVALID = "Elige producto, servicio o ambos."


MSG_SURVEY_RANGE = "La satisfacción va de 1 a 5 y la recomendación de 0 a 10."


class WorkflowError(Exception):
    """A move the rules do not allow (Spanish message for the staff member or the consumer)."""


def _locked(
    complaint_id: int, action: Action, scope: Scope, now: datetime, *, with_establishment: bool = False
) -> Complaint:
    """The hoja, locked, once the policy lets `scope` take `action` on it (`with_establishment`: its establishment
    read along, not locked)."""
    complaints = Complaint.objects.select_for_update(of=("self",))
    if with_establishment:
        complaints = complaints.select_related("establishment")
    complaint = complaints.get(pk=complaint_id)
    refused = refusal(complaint, action, scope=scope, today=timezone.localdate(now))
    if refused:
        raise WorkflowError(refused)
    return complaint


def status_move(complaint: Complaint, to: str, actor: AbstractBaseUser | None, now: datetime, **data) -> None:
    """Move a locked hoja along TRANSITIONS (refusing anything else) and record the change."""
    refused = transition_refusal(complaint, to)
    if refused:
        raise WorkflowError(refused)
    old = complaint.status
    complaint.status = to
    fields = ["status", "updated_at"]
    if to in (Status.ANSWERED, Status.SETTLED):  # the remedy is now due: pending until recorded (followup)
        complaint.remedy_pending = True
        fields.append("remedy_pending")
    complaint.save(update_fields=fields)
    ComplaintEvent.objects.create(
        complaint=complaint,
        type=ComplaintEvent.Type.STATUS_CHANGED,
        actor=actor,
        occurred_at=now,
        data={"from": old, "to": to, **data},
    )
    if to not in OPEN_STATUSES:  # nobody can approve an offer or a reclassification of it any more
        from .approvals import approval_requests_lapse  # approvals builds on this module

        approval_requests_lapse(complaint=complaint, now=now)


def complaint_assign(
    *, complaint_id: int, assignee: AbstractBaseUser | None, scope: Scope, now: datetime | None = None
) -> Complaint:
    """Give the hoja to someone in scope (or take it back to the establishment's queue with None)."""
    now = now or timezone.now()
    actor = scope.user
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.ASSIGN, scope, now)
        if (
            assignee is not None
            and not assignable_staff(establishment_id=complaint.establishment_id).filter(pk=assignee.pk).exists()
        ):
            raise WorkflowError(MSG_NOT_ASSIGNABLE)
        previous = complaint.assignee_id
        complaint.assignee = assignee
        complaint.save(update_fields=["assignee", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.ASSIGNED,
            actor=actor,
            occurred_at=now,
            data={
                "from": previous,
                "to": assignee.pk if assignee else None,
                "to_name": (assignee.get_full_name() or assignee.get_username()) if assignee else "",
            },
        )
        if complaint.status == Status.RECEIVED and assignee is not None:
            status_move(complaint, Status.IN_PROGRESS, actor, now)
    return complaint


def complaint_note_add(*, complaint_id: int, text: str, scope: Scope, now: datetime | None = None) -> None:
    """An internal note (never shown to the consumer), kept in the append-only trail."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise WorkflowError(MSG_EMPTY_TEXT)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.NOTE, scope, now)
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.NOTE,
            actor=scope.user,
            occurred_at=now,
            data={"text": text[:4000]},
        )


def complaint_reclassify(
    *, complaint_id: int, kind: str, reason: str, scope: Scope, now: datetime | None = None
) -> Complaint:
    """Art. 6: a sheet that is really a reclamo is handled as one (and vice versa), with the reason recorded.
    The consumer's own mark (kind_filed) is part of the filed sheet and never changes. A hoja nobody classified
    may be classified even after its answer (policy). The consumer is told of a change of kind by e-mail when
    they gave one: it changes what the answer must address, and the sheet they get reprints the mark."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise WorkflowError(MSG_REASON_REQUIRED)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.RECLASSIFY, scope, now)
        if complaint.kind == kind:
            raise WorkflowError(MSG_SAME_KIND)
        if needs_approval(complaint, Action.RECLASSIFY, scope=scope):  # handling.approvals asks for it instead
            raise WorkflowError(MSG_NEEDS_APPROVAL.format(what="de reclasificar una hoja"))
        old = complaint.kind
        complaint.kind = Kind(kind)
        complaint.save(update_fields=["kind", "updated_at"])
        event = ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.RECLASSIFIED,
            actor=scope.user,
            occurred_at=now,
            data={"from": old, "to": kind, "reason": reason},
        )
        # What the consumer knows is their own mark or an earlier classification: a first classification of a
        # hoja that had neither tells them nothing new, a change of kind does.
        if (old or complaint.kind_filed) and complaint.contact_email:
            outbox_enqueue(
                kind=OutboundMessage.Kind.RECLASSIFIED,
                recipient=complaint.contact_email,
                complaint=complaint,
                idempotency_key=reclassified_key(event_id=event.pk),
                context={"event": event.pk},
            )
    return complaint


def response_send(
    *,
    complaint_id: int,
    text: str,
    channel: str,
    scope: Scope,
    communicated_at: datetime | None = None,
    now: datetime | None = None,
) -> Response:
    """Section 4: the written answer. By e-mail it goes out now with the updated PDF; by letter, staff record
    when the letter was delivered. Either way the hoja becomes answered and the legal clock stops."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise WorkflowError(MSG_EMPTY_TEXT)
    actor = scope.user
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.ANSWER, scope, now)
        if channel == ResponseChannel.EMAIL:
            if not complaint.contact_email:
                raise WorkflowError(MSG_NO_EMAIL)
            communicated_at = now
        elif communicated_at is None or communicated_at > now or communicated_at < complaint.filed_at:
            raise WorkflowError(MSG_LETTER_DATE)
        status_move(complaint, Status.ANSWERED, actor, now)
        response = Response.objects.create(
            complaint=complaint, text=text, channel=channel, communicated_at=communicated_at, responded_by=actor
        )
        on_time = timezone.localdate(communicated_at) <= complaint.due_date
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.RESPONDED,
            actor=actor,
            occurred_at=now,
            data={
                "channel": channel,
                "communicated_at": communicated_at.isoformat(),
                "on_time": on_time,
                "due_date": complaint.due_date.isoformat(),
            },
        )
        if channel == ResponseChannel.EMAIL:
            outbox_enqueue(
                kind=OutboundMessage.Kind.RESPONSE,
                recipient=complaint.contact_email,
                complaint=complaint,
                idempotency_key=response_key(complaint_id=complaint.pk),
            )
        webhook_emit(event=WebhookEvent.ANSWERED, complaints=[complaint], now=now)
    return response


def complaint_classify(*, complaint_id: int, cause: Cause, scope: Scope, now: datetime | None = None) -> Complaint:
    """Give the hoja its cause (a leaf of the taxonomy). Changing it later is allowed and leaves an event with
    the old and new cause, so the council's figures can be traced."""
    now = now or timezone.now()
    if cause.parent_id is None or not cause.is_active:
        raise WorkflowError(MSG_CAUSE_INVALID)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.CLASSIFY, scope, now)
        if complaint.cause_id == cause.pk:
            raise WorkflowError(MSG_SAME_CAUSE)
        old = complaint.cause
        complaint.cause = cause
        complaint.save(update_fields=["cause", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.CLASSIFIED,
            actor=scope.user,
            occurred_at=now,
            data={"from": old.code if old else None, "to": cause.code, "to_name": cause.name},
        )
    return complaint


def complaint_good_type_classify(
    *, complaint_id: int, good_type: str, scope: Scope, now: datetime | None = None
) -> Complaint:
    """Say whether a hoja is about a product, a service or both when the consumer left it empty (optional on
    Anexo I, required by SIREC on every line). The consumer's own answer is filed content and never changes."""
    now = now or timezone.now()
    if good_type not in GoodType.values:
        raise WorkflowError(MSG_GOOD_TYPE_INVALID)
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.CLASSIFY, scope, now)
        if complaint.good_type:
            raise WorkflowError(MSG_GOOD_TYPE_GIVEN)
        old = complaint.good_type_classified
        complaint.good_type_classified = good_type
        complaint.save(update_fields=["good_type_classified", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.GOOD_CLASSIFIED,
            actor=scope.user,
            occurred_at=now,
            data={"from": old or None, "to": good_type},
        )
    return complaint


def complaint_close(*, complaint_id: int, scope: Scope, now: datetime | None = None) -> Complaint:
    """Close an answered or settled hoja; it must have its cause (the council counts it)."""
    now = now or timezone.now()
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.CLOSE, scope, now)
        status_move(complaint, Status.CLOSED, scope.user, now)
    return complaint


def survey_answer(
    *, complaint: Complaint, solved: bool, csat: int, nps: int, comment: str = "", now: datetime | None = None
) -> SurveyAnswer:
    """The consumer's one-time satisfaction survey, open once the answer was communicated or the consumer
    accepted the settlement offer (the hoja's outcome, either way: followup.survey_refusal_get)."""
    now = now or timezone.now()
    if not (1 <= csat <= 5 and 0 <= nps <= 10):
        raise WorkflowError(MSG_SURVEY_RANGE)
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        refused = survey_refusal_get(complaint=complaint, offer=settlement_offer_latest(complaint=complaint))
        if refused:
            raise WorkflowError(refused)
        answer = SurveyAnswer.objects.create(
            complaint=complaint, solved=solved, csat=csat, nps=nps, comment=comment.strip(), answered_at=now
        )
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.SURVEY_ANSWERED,
            occurred_at=now,
            data={"solved": solved, "csat": csat, "nps": nps},
        )
    return answer
