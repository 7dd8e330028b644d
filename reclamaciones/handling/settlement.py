"""Settlement offers (Reglamento art. 6-A) and, for pre-2022 hojas only, the one-time deadline extension."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..book.models import Complaint, ComplaintEvent, Status
from ..deadlines.clock import due_date_move
from ..deadlines.rules import MAX_EXTENSION_CALENDAR_DAYS, settlement_respond_by, settlement_suspended_days
from ..deadlines.selectors import business_calendar_get
from ..outbox.keys import extension_notice_key, settlement_accepted_key, settlement_offer_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from ..webhooks.services import WebhookEvent, webhook_emit
from .models import SettlementOffer
from .policy import MSG_NEEDS_APPROVAL, Action, needs_approval, offer_answer_refusal, refusal
from .services import status_move

ACCEPTANCE_PHRASE = "ACUERDO ACEPTADO PARA SOLUCIONAR EL RECLAMO"  # art. 6-A.2.b, verbatim


MSG_EXTENSION_DAYS = f"La ampliación es de 1 a {MAX_EXTENSION_CALENDAR_DAYS} días calendario."


class SettlementError(Exception):
    """An offer, answer or extension the rules do not allow (message in Spanish, for staff or consumer)."""


def _locked(complaint_id: int, action: Action, scope: Scope, today: date) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    refused = refusal(complaint, action, scope=scope, today=today)
    if refused:
        raise SettlementError(refused)
    return complaint


def settlement_offer_send(
    *, complaint_id: int, text: str, scope: Scope, now: datetime | None = None
) -> SettlementOffer:
    """Send the consumer an offer by e-mail (documentary record). The count stops for at most 5 business days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    actor = scope.user
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.OFFER, scope, today)
        if needs_approval(complaint, Action.OFFER, scope=scope):  # handling.approvals asks for it instead
            raise SettlementError(MSG_NEEDS_APPROVAL.format(what="de enviar una propuesta"))
        offer = SettlementOffer.objects.create(
            complaint=complaint,
            text=text,
            offered_by=actor,
            offered_on=today,
            respond_by=settlement_respond_by(today, business_calendar_get()),
        )
        status_move(complaint, Status.SETTLEMENT_OFFERED, actor, now)
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.SETTLEMENT_OFFERED,
            actor=actor,
            occurred_at=now,
            data={"offer": offer.pk, "respond_by": offer.respond_by.isoformat()},
        )
        outbox_enqueue(
            kind=OutboundMessage.Kind.SETTLEMENT_OFFER,
            recipient=complaint.contact_email,
            complaint=complaint,
            idempotency_key=settlement_offer_key(offer_id=offer.pk),
            context={"offer": offer.pk},
        )
    return offer


def settlement_offer_accept(*, offer_id: int, now: datetime | None = None) -> SettlementOffer:
    """The consumer accepts expressly: the hoja is closed as settled (art. 6-A.3). The acceptance is the
    communication of the outcome: the consumer gets it in writing, with the sheet whose section 4 now records
    the accepted offer (book.pdf), at the address the offer went to."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = _pending_offer_locked(offer_id, now)
        offer.status, offer.resolved_at = SettlementOffer.Status.ACCEPTED, now
        offer.save(update_fields=["status", "resolved_at", "updated_at"])
        complaint = offer.complaint
        status_move(complaint, Status.SETTLED, None, now)
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.SETTLEMENT_ACCEPTED,
            occurred_at=now,
            data={"offer": offer.pk, "phrase": ACCEPTANCE_PHRASE},
        )
        if complaint.contact_email:  # always, in practice: an offer is only sent to an e-mail (policy)
            outbox_enqueue(
                kind=OutboundMessage.Kind.SETTLEMENT_ACCEPTED,
                recipient=complaint.contact_email,
                complaint=complaint,
                idempotency_key=settlement_accepted_key(offer_id=offer.pk),
                context={"offer": offer.pk},
            )
        webhook_emit(event=WebhookEvent.SETTLED, complaints=[complaint], now=now)
    return offer


def settlement_offer_reject(*, offer_id: int, now: datetime | None = None) -> SettlementOffer:
    """The consumer rejects: the count resumes, moved by the business days it was suspended."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = _pending_offer_locked(offer_id, now)
        return _resume(offer, SettlementOffer.Status.REJECTED, ComplaintEvent.Type.SETTLEMENT_REJECTED, now)


def settlement_expire_due(*, scope: Scope, now: datetime | None = None) -> int:
    """Silence: offers whose 5 business days have passed count as rejected and the count resumes."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    expired = 0
    pending = SettlementOffer.objects.filter(status=SettlementOffer.Status.PENDING, respond_by__lt=today)
    for offer_id in scope.filter(pending, path="complaint__establishment").values_list("pk", flat=True):
        with transaction.atomic():
            offer = SettlementOffer.objects.select_for_update().select_related("complaint").get(pk=offer_id)
            if offer.status != SettlementOffer.Status.PENDING:
                continue  # answered meanwhile
            _resume(offer, SettlementOffer.Status.EXPIRED, ComplaintEvent.Type.SETTLEMENT_EXPIRED, now)
            expired += 1
    return expired


def _pending_offer_locked(offer_id: int, now: datetime) -> SettlementOffer:
    offer = SettlementOffer.objects.select_for_update().select_related("complaint").get(pk=offer_id)
    refused = offer_answer_refusal(offer, today=timezone.localdate(now))
    if refused:
        raise SettlementError(refused)
    return offer


def _resume(offer: SettlementOffer, status: str, event_type: str, now: datetime) -> SettlementOffer:
    calendar = business_calendar_get()
    resolved_on = min(timezone.localdate(now), offer.respond_by)
    suspended = settlement_suspended_days(offer.offered_on, resolved_on, calendar)
    offer.status, offer.resolved_at, offer.suspended_business_days = status, now, suspended
    offer.save(update_fields=["status", "resolved_at", "suspended_business_days", "updated_at"])
    complaint = Complaint.objects.select_for_update().get(pk=offer.complaint_id)
    old_due, _ = due_date_move(
        complaint, calendar=calendar, suspended_business_days=complaint.suspended_business_days + suspended
    )
    complaint.save(update_fields=["due_date", "suspended_business_days", "updated_at"])
    status_move(complaint, Status.IN_PROGRESS, None, now)
    ComplaintEvent.objects.create(
        complaint=complaint,
        type=event_type,
        occurred_at=now,
        data={
            "offer": offer.pk,
            "suspended_business_days": suspended,
            "old_due_date": old_due.isoformat(),
            "new_due_date": complaint.due_date.isoformat(),
        },
    )
    return offer


def complaint_extend_deadline(
    *, complaint_id: int, days: int, reason: str, scope: Scope, now: datetime | None = None
) -> Complaint:
    """DS 006-2014-PCM art. 6 (hojas filed before 2022-05-21 only): extend once by up to 30 calendar days,
    told to the consumer before the first deadline ends. Refused for Ley 31435 hojas (improrrogable)."""
    now = now or timezone.now()
    with transaction.atomic():
        complaint = _locked(complaint_id, Action.EXTEND, scope, timezone.localdate(now))
        if not 1 <= days <= MAX_EXTENSION_CALENDAR_DAYS:
            raise SettlementError(MSG_EXTENSION_DAYS)
        old_due, _ = due_date_move(complaint, calendar=business_calendar_get(), extension_days=days)
        complaint.save(update_fields=["extension_days", "due_date", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.DEADLINE_EXTENDED,
            actor=scope.user,
            occurred_at=now,
            data={
                "days": days,
                "reason": reason,
                "old_due_date": old_due.isoformat(),
                "new_due_date": complaint.due_date.isoformat(),
                # Without an e-mail the consumer must be told by letter before the first deadline ends.
                "notice": "email" if complaint.contact_email else "letter_required",
            },
        )
        if complaint.contact_email:
            outbox_enqueue(
                kind=OutboundMessage.Kind.EXTENSION_NOTICE,
                recipient=complaint.contact_email,
                complaint=complaint,
                idempotency_key=extension_notice_key(complaint_id=complaint.pk),
                context={"days": days, "reason": reason, "old_due_date": old_due.isoformat()},
            )
    return complaint
