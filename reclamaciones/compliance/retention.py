"""Retention (Reglamento art. 12; Ley 29733): every hoja, answer, message and event is kept at least two years
from filing (the models, the admin and a PostgreSQL trigger refuse to delete them earlier). After the retention
period (RECLAMACIONES_RETENTION_YEARS, never less than two) `anonymise_expired` replaces the consumer's personal
data, skipping hojas covered by an open INDECOPI request, and keeps the book verifiable: numbers, dates,
amounts, kinds, causes and answers stay; the fingerprint the hoja was filed with stays in its book's chain; the
content left gets its own fingerprint, sealed to the hoja's seal; the attached documents' files are deleted and
their names blanked (type, size and SHA-256 stay); each hoja gets an Anonymisation record and an event, and each
run a RetentionRun, dry runs included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..access import Scope
from ..book.attachments import attachments_anonymise
from ..book.integrity import anonymised_seal_compute, content_hash
from ..book.models import PERSONAL_FIELDS, RETENTION_YEARS, Complaint, ComplaintEvent
from ..book.services import HASHED_FIELDS, integrity_key
from ..outbox.models import OutboundMessage
from .models import Anonymisation, RetentionRun
from .selectors import indecopi_open_requests, indecopi_request_hojas

ANONYMISED = "ANONIMIZADO"

# What replaces each personal field: a marker where the book needs a value (a name, a document, an address or
# an e-mail must be present: Reglamento art. 5 and the hoja's constraint), nothing elsewhere.
REPLACEMENTS = {field: "" for field in PERSONAL_FIELDS} | {
    "consumer_name": ANONYMISED,
    "doc_number": ANONYMISED,
    "consumer_address": ANONYMISED,
}

REASON = "Plazo de conservación vencido: {years} años desde la presentación (Reglamento, art. 12; Ley 29733)."

BATCH = 500

MSG_TOO_SHORT = "El plazo de conservación no puede ser menor de {minimum} años (Reglamento del Libro, art. 12)."


class RetentionError(Exception):
    """A retention period shorter than the law's minimum."""


@dataclass(frozen=True)
class RetentionResult:
    run: RetentionRun
    anonymised: int
    held: int

    @property
    def dry_run(self) -> bool:
        return self.run.dry_run


def retention_years() -> int:
    years = settings.RECLAMACIONES_RETENTION_YEARS
    if years < RETENTION_YEARS:
        raise RetentionError(MSG_TOO_SHORT.format(minimum=RETENTION_YEARS))
    return years


def retention_cutoff(*, now: datetime, years: int) -> datetime:
    """Hojas filed before this instant have been kept `years` full years (29 February counts to 28 February)."""
    local = timezone.localtime(now)
    try:
        return local.replace(year=local.year - years)
    except ValueError:
        return local.replace(year=local.year - years, day=28)


def _held_condition() -> Q | None:
    """Every hoja an open INDECOPI request covers, whoever runs the retention (None when no request is open)."""
    everything = Scope.everything()
    requests = indecopi_open_requests(scope=everything)
    if not requests:
        return None
    condition = Q(pk__in=[])
    for request in requests:
        condition |= Q(pk__in=indecopi_request_hojas(scope=everything, request=request).order_by().values("pk"))
    return condition


def anonymise_expired(*, scope: Scope, dry_run: bool = True, now: datetime | None = None) -> RetentionResult:
    """Anonymise (or, dry, count) the hojas in `scope` past the retention period and not yet anonymised,
    except those an open INDECOPI request covers. Batches of BATCH hojas, each in its own transaction: an
    interrupted run leaves whole hojas done and the next run goes on."""
    now = now or timezone.now()
    years = retention_years()
    cutoff = retention_cutoff(now=now, years=years)
    expired = scope.filter(Complaint.objects.filter(filed_at__lt=cutoff, anonymised_sha256=""), path="establishment")
    held_condition = _held_condition()
    held = expired.filter(held_condition).count() if held_condition is not None else 0
    due = expired.exclude(held_condition) if held_condition is not None else expired
    run = RetentionRun.objects.create(
        ran_at=now,
        ran_by=scope.user if getattr(scope.user, "is_authenticated", False) else None,
        dry_run=dry_run,
        retention_years=years,
        filed_before=cutoff,
        anonymised=0 if not dry_run else due.count(),
        held=held,
    )
    if dry_run:
        return RetentionResult(run=run, anonymised=run.anonymised, held=held)
    key, reason, done = integrity_key(), REASON.format(years=years), 0
    while True:
        with transaction.atomic():
            batch = list(due.order_by("pk").select_for_update(skip_locked=True)[:BATCH])
            if not batch:
                break
            _anonymise_batch(batch, run=run, key=key, reason=reason, actor=run.ran_by, now=now)
            done += len(batch)
            RetentionRun.objects.filter(pk=run.pk).update(anonymised=done)
    run.anonymised = done
    return RetentionResult(run=run, anonymised=done, held=held)


def _anonymise_batch(batch: list[Complaint], *, run: RetentionRun, key: bytes, reason: str, actor, now) -> None:
    records, events = [], []
    for complaint in batch:
        fields = [f for f in PERSONAL_FIELDS if getattr(complaint, f) != REPLACEMENTS[f]]
        remaining = {name: getattr(complaint, name) for name in HASHED_FIELDS} | REPLACEMENTS
        anonymised_sha256 = content_hash(remaining)
        Complaint.objects.filter(pk=complaint.pk).anonymise(
            values=REPLACEMENTS,
            anonymised_sha256=anonymised_sha256,
            anonymised_seal=anonymised_seal_compute(key=key, seal=complaint.seal, anonymised_sha256=anonymised_sha256),
        )
        records.append(
            Anonymisation(
                complaint=complaint,
                run=run,
                anonymised_at=now,
                fields=fields,
                reason=reason,
                content_sha256=anonymised_sha256,
            )
        )
        events.append(
            ComplaintEvent(
                complaint=complaint,
                type=ComplaintEvent.Type.ANONYMISED,
                actor=actor,
                occurred_at=now,
                data={"run": run.pk, "fields": fields, "reason": reason, "sha256": anonymised_sha256},
            )
        )
    ids = [complaint.pk for complaint in batch]
    Anonymisation.objects.bulk_create(records)
    ComplaintEvent.objects.bulk_create(events)
    # The e-mails' proof of delivery stays (status, dates, Message-ID); who they went to and what they said goes.
    OutboundMessage.objects.filter(complaint_id__in=ids).update(recipient="", context={})
    # The documents' files go, and their names (a file is often named after its owner); their SHA-256 stays.
    attachments_anonymise(complaint_ids=ids)
    with connection.cursor() as cursor:
        # The filing event's IP address and browser are personal data too; the rest of the trail stays. The
        # trail is append-only for the application: this is its one, recorded, exception.
        cursor.execute(
            "UPDATE reclamaciones_complaintevent SET data = data - 'ip' - 'user_agent' "
            "WHERE complaint_id = ANY(%s) AND type = %s",
            [ids, ComplaintEvent.Type.FILED],
        )
