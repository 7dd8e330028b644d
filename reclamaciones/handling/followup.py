"""Follow-through after the answer (ISO 10002 closure): staff record that the remedy promised in the answer, or the
settlement the consumer accepted, was carried out, with its date and evidence. The consumer sees it on the
tracking page and in section 4 of the sheet, and gets it by e-mail.

The record is append-only (followup_models.RemedyRecord): the first one stands until a correction, a new record
that names the one it corrects and says why, replaces it; the latest one is the one that counts. An answered or
settled hoja shows "Solución pendiente de cumplir" (Complaint.remedy_pending, set by services.status_move) until
the first record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..book.models import Complaint, ComplaintEvent, Status
from ..book.pdf import printable
from ..outbox.keys import remedy_done_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .followup_models import RemedyRecord
from .models import SettlementOffer
from .policy import MSG_OUT_OF_SCOPE, survey_refusal
from .selectors import related_or_none

# An answered or settled hoja (closed afterwards too: closing needs one of them first, policy.TRANSITIONS).
REMEDY_STATUSES = frozenset({Status.ANSWERED, Status.SETTLED, Status.CLOSED})

MSG_REMEDY_NOT_YET = (
    "El cumplimiento se registra cuando la hoja ya fue respondida o el consumidor aceptó la propuesta de solución."
)
MSG_REMEDY_FUTURE = "La fecha de cumplimiento no puede ser posterior a hoy."
MSG_REMEDY_BEFORE_FILING = "La fecha de cumplimiento no puede ser anterior a la presentación de la hoja ({filed})."
MSG_REMEDY_WHAT = "Cuenta qué se hizo: es lo que leerá el consumidor."
MSG_REMEDY_EVIDENCE = (
    "Indica la constancia: una referencia (nota de crédito, operación, guía…) o una descripción de la evidencia."
)
MSG_REMEDY_ALREADY = (
    "Esta hoja ya tiene un registro de cumplimiento: para cambiar algo, registra una corrección del último registro."
)
MSG_REMEDY_STALE = "Ese registro ya fue corregido: la corrección debe referirse al último registro de la hoja."
MSG_REMEDY_REASON = "Explica por qué corriges el registro anterior."
MSG_REMEDY_OUTCOME = "Elige si la solución se cumplió o si no había nada que cumplir."
MSG_REMEDY_UNDONE = (
    "Ya le contamos al consumidor que la solución se cumplió: la corrección debe decir qué se hizo realmente, "
    "no que no había nada que cumplir."
)


class RemedyError(Exception):
    """A follow-through record the rules do not allow (message in Spanish, for staff; `field`: the form field it is
    about, "" for the whole record)."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


def remedy_refusal(complaint: Complaint, *, scope: Scope) -> str | None:
    """Why `scope` may not record the follow-through of `complaint` (None: may)."""
    if not scope.acts_on(complaint.establishment_id):
        return MSG_OUT_OF_SCOPE
    if complaint.status not in REMEDY_STATUSES:
        return MSG_REMEDY_NOT_YET
    return None


def remedy_date_refusal(done_on: date, *, complaint: Complaint, today: date) -> str | None:
    if done_on > today:
        return MSG_REMEDY_FUTURE
    filed = timezone.localdate(complaint.filed_at)
    if done_on < filed:
        return MSG_REMEDY_BEFORE_FILING.format(filed=f"{filed:%d/%m/%Y}")
    return None


def remedy_record(
    *,
    complaint_id: int,
    outcome: str,
    done_on: date,
    what_done: str,
    scope: Scope,
    evidence_reference: str = "",
    evidence_notes: str = "",
    corrects_id: int | None = None,
    correction_reason: str = "",
    now: datetime | None = None,
) -> RemedyRecord:
    """Record that the remedy was carried out (or that the answer promised none). The first record of a hoja
    clears "pendiente de cumplir"; any later one must correct the latest record and say why. A carried-out
    remedy is e-mailed to the consumer (one message per record)."""
    now = now or timezone.now()
    # Control characters (pasted from elsewhere) never reach the page, the sheet or the e-mail (book.pdf.printable).
    what_done, evidence_reference = printable(what_done).strip(), " ".join(printable(evidence_reference).split())
    evidence_notes, correction_reason = (
        printable(evidence_notes).strip(),
        " ".join(printable(correction_reason).split()),
    )
    if outcome not in RemedyRecord.Outcome.values:
        raise RemedyError(MSG_REMEDY_OUTCOME, field="outcome")
    if not what_done:
        raise RemedyError(MSG_REMEDY_WHAT, field="what_done")
    if outcome == RemedyRecord.Outcome.DONE and not (evidence_reference or evidence_notes):
        raise RemedyError(MSG_REMEDY_EVIDENCE, field="evidence_reference")
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        refused = remedy_refusal(complaint, scope=scope)
        if refused:
            raise RemedyError(refused)
        refused = remedy_date_refusal(done_on, complaint=complaint, today=timezone.localdate(now))
        if refused:
            raise RemedyError(refused, field="done_on")
        latest = RemedyRecord.objects.filter(complaint=complaint).order_by("-recorded_at", "-pk").first()
        if latest is None and corrects_id is not None:
            raise RemedyError(MSG_REMEDY_STALE)
        if latest is not None:
            if corrects_id is None:
                raise RemedyError(MSG_REMEDY_ALREADY)
            if corrects_id != latest.pk:
                raise RemedyError(MSG_REMEDY_STALE)
            if not correction_reason:
                raise RemedyError(MSG_REMEDY_REASON, field="correction_reason")
            # The consumer was shown (and maybe e-mailed) «Cumplimos la solución»: a correction replaces what they
            # read, it never withdraws it silently.
            if latest.is_done and outcome != RemedyRecord.Outcome.DONE:
                raise RemedyError(MSG_REMEDY_UNDONE, field="outcome")
        record = RemedyRecord.objects.create(
            complaint=complaint,
            outcome=outcome,
            done_on=done_on,
            what_done=what_done,
            evidence_reference=evidence_reference,
            evidence_notes=evidence_notes,
            corrects=latest,
            correction_reason=correction_reason if latest is not None else "",
            recorded_by=scope.user,
            recorded_at=now,
        )
        if complaint.remedy_pending:
            complaint.remedy_pending = False
            complaint.save(update_fields=["remedy_pending", "updated_at"])
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.REMEDY_DONE,
            actor=scope.user,
            occurred_at=now,
            data={
                "record": record.pk,
                "outcome": outcome,
                "done_on": done_on.isoformat(),
                "corrects": latest.pk if latest is not None else None,
                "reason": record.correction_reason,
            },
        )
        if record.is_done and complaint.contact_email:
            outbox_enqueue(
                kind=OutboundMessage.Kind.REMEDY_DONE,
                recipient=complaint.contact_email,
                complaint=complaint,
                idempotency_key=remedy_done_key(record_id=record.pk),
                context={"record": record.pk},
            )
    return record


# -- reads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowThrough:
    """A hoja's follow-through as the pages show it: every record (oldest first) and the one that counts."""

    records: list[RemedyRecord]
    pending: bool

    @property
    def current(self) -> RemedyRecord | None:
        return self.records[-1] if self.records else None

    @property
    def done(self) -> RemedyRecord | None:
        """The current record when it says the remedy was carried out (what the consumer is shown)."""
        current = self.current
        return current if current is not None and current.is_done else None


def follow_through_get(*, complaint: Complaint) -> FollowThrough | None:
    """None while the hoja is neither answered nor settled (no query). A pending hoja has no record yet (the first
    record clears `remedy_pending`, and nothing sets it again): no query either; otherwise one."""
    if complaint.status not in REMEDY_STATUSES:
        return None
    if complaint.remedy_pending:
        return FollowThrough(records=[], pending=True)
    records = list(
        RemedyRecord.objects.filter(complaint=complaint).select_related("recorded_by").order_by("recorded_at", "pk")
    )
    by_pk = {record.pk: record for record in records}
    superseded = {record.corrects_id for record in records if record.corrects_id}
    for record in records:  # for the pages, without a query per record
        record.superseded = record.pk in superseded
        record.corrected_record = by_pk.get(record.corrects_id)
    return FollowThrough(records=records, pending=complaint.remedy_pending)


def settlement_accepted_get(*, complaint: Complaint, offer: SettlementOffer | None) -> SettlementOffer | None:
    """`offer` (the hoja's latest) when the consumer accepted it: the hoja was settled (art. 6-A.3)."""
    if offer is not None and offer.complaint_id == complaint.pk and offer.status == SettlementOffer.Status.ACCEPTED:
        return offer
    return None


def survey_refusal_get(*, complaint: Complaint, offer: SettlementOffer | None) -> str | None:
    """Why the consumer's one-time survey is not open on `complaint` (None: it is): it opens once the answer was
    communicated or the consumer accepted the settlement offer, `offer` being the hoja's latest
    (selectors.settlement_offer_latest; the pages have it already). The one rule for the tracking page, the
    survey's view and services.survey_answer."""
    answered = related_or_none(complaint, "response") is not None
    settled = settlement_accepted_get(complaint=complaint, offer=offer) is not None
    return survey_refusal(answered=answered or settled, surveyed=related_or_none(complaint, "survey") is not None)
