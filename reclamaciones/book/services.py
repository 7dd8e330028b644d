"""Filing a hoja de reclamación: the one way a Complaint comes into existence."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import Scope
from ..deadlines.models import TrackerHeartbeat
from ..deadlines.rules import due_date, regime_for
from ..deadlines.selectors import business_calendar_get
from ..outbox.alarms import INTEGRITY, INTEGRITY_ALARM_ITEMS, integrity_alarm
from ..outbox.keys import sheet_copy_key
from ..outbox.models import OutboundMessage
from ..outbox.services import message_queued_event, outbox_enqueue_fresh, outbox_message_new
from ..webhooks.selectors import webhook_routes
from ..webhooks.services import WebhookEvent, webhook_emit
from .attachment_models import Attachment
from .attachments import attachments_bind, attachments_fingerprint, attachments_fixity_window, attachments_number
from .integrity import (
    GENESIS,
    PROBLEM_CONTENT,
    PROBLEM_GAP,
    PROBLEM_LABELS,
    SealedRecord,
    book_problems,
    canonical_json,
    content_hash,
    key_derive,
    seal_compute,
)
from .models import (
    FILED_FIELDS,
    MSG_ADDRESS_OR_EMAIL,
    Channel,
    Complaint,
    ComplaintEvent,
    Currency,
    DocType,
    Establishment,
    ResponseChannel,
    SheetCounter,
    doc_number_normalize,
    number_format,
)
from .numbering import complaint_id_reserve, number_allocate
from .selectors import complaint_seal_get

# Excluded from the fingerprint: the secret token (not content) and the fingerprints themselves.
HASHED_FIELDS = tuple(f for f in FILED_FIELDS if f not in {"tracking_token", "content_sha256", "seal"})

# What the consumer sent (the idempotency of a submit): the filed content without what the filing adds.
_ADDED_AT_FILING = {"number", "year", "filed_at", "provider_name", "provider_ruc", "establishment_address"}

_SUBMITTED_FIELDS = tuple(f for f in HASHED_FIELDS if f not in _ADDED_AT_FILING | {"establishment_code"})


class FilingError(Exception):
    """A filing the service refuses (the view turns it into a Spanish message)."""


def integrity_key() -> bytes:
    return key_derive(configured=settings.BOOK_INTEGRITY_KEY, secret_key=settings.SECRET_KEY)


def hashed_values(values: dict, attachments: Iterable[Attachment] = ()) -> dict:
    """What a hoja's fingerprint covers: its filed fields and, when the consumer attached documents, their names,
    types, sizes and SHA-256. A hoja without documents hashes exactly as before they existed (its seal unchanged)."""
    fingerprint = attachments_fingerprint(a for a in attachments if a.source == Attachment.Source.CONSUMER)
    return {**values, "attachments": fingerprint} if fingerprint else values


def complaint_content_hash(complaint: Complaint, attachments: Iterable[Attachment] = ()) -> str:
    """SHA-256 of the canonical filed content (sorted JSON, UTC time, amounts with 2 decimals), with the consumer's
    `attachments`."""
    return content_hash(hashed_values({name: getattr(complaint, name) for name in HASHED_FIELDS}, attachments))


def complaint_verify_integrity(complaint: Complaint) -> bool:
    """True when the stored content still matches the fingerprint taken at filing (the seal chain is checked
    by book_verify_iter (below), which also needs the previous hoja)."""
    return complaint_content_hash(complaint, complaint.attachments.consumer()) == complaint.content_sha256


def submission_key_derive(form_key: uuid.UUID, complaint: Complaint) -> uuid.UUID:
    """The key a filing is stored under: the form's key and what the consumer wrote. The same page sent twice
    (a double click, or Back then Enviar) finds its hoja; the page sent again with other content (Back, edit,
    Enviar) is a genuinely new hoja and gets one."""
    return uuid.uuid5(form_key, canonical_json({name: getattr(complaint, name) for name in _SUBMITTED_FIELDS}))


# Draft art. 5-A (RECLAMACIONES_RULES_2026): what the review page warns about before the consumer confirms. A
# warning, never a block: what the law in force requires is refused by the form itself.
FILING_WARNINGS = {
    "consumer_name": "No escribiste tu nombre completo.",
    "doc_number": "No escribiste el número de tu documento de identidad.",
    "consumer_email": (
        "No escribiste un correo electrónico: no podremos enviarte la copia de tu hoja ni la respuesta por correo. "
        "Te responderemos por carta a tu domicilio; guarda o imprime tu hoja al enviarla."
    ),
    "detail": "No contaste el detalle de lo que pasó.",
}


def filing_warnings(data) -> list[str]:
    """The warnings of FILING_WARNINGS that apply to `data` (a filing form's cleaned data), in the form's order.
    A minor's hoja with the parent's e-mail has an e-mail to write to."""
    has_email = bool(data.get("consumer_email") or (data.get("is_minor") and data.get("guardian_email")))
    missing = {name for name in ("consumer_name", "doc_number", "detail") if not str(data.get(name) or "").strip()}
    if not has_email:
        missing.add("consumer_email")
    return [text for name, text in FILING_WARNINGS.items() if name in missing]


def complaint_build(
    *,
    establishment: Establishment,
    consumer_name: str,
    doc_type: str = DocType.DNI,
    doc_number: str,
    detail: str,
    consumer_address: str = "",
    consumer_phone: str = "",
    consumer_email: str = "",
    is_minor: bool = False,
    guardian_name: str = "",
    guardian_address: str = "",
    guardian_phone: str = "",
    guardian_email: str = "",
    good_type: str = "",
    amount_claimed: Decimal | None = None,
    currency: str = Currency.PEN,
    good_description: str = "",
    kind: str = "",
    request: str = "",
    channel: str = Channel.WEB,
    backup_sheet_number: str = "",
    filed_at: datetime | None = None,
) -> Complaint:
    """The hoja as it would be filed now, unsaved and not yet numbered: what complaint_file stores, and what the
    confirmation step (RECLAMACIONES_RULES_2026, draft art. 5-A) shows the consumer before the number exists."""
    filed_at = filed_at or timezone.now()
    filed_on = timezone.localdate(filed_at)
    if amount_claimed is not None:
        # "-0" is zero: stored, hashed and shown as 0.00 (the database has no negative zero).
        amount_claimed = abs(amount_claimed) if amount_claimed == 0 else amount_claimed
        amount_claimed = amount_claimed.quantize(Decimal("0.01"))
    provider = establishment.provider
    complaint = Complaint(
        establishment=establishment,
        year=filed_on.year,
        number=1,  # placeholder for validation; allocated below, inside the transaction
        filed_at=filed_at,
        channel=channel,
        backup_sheet_number=backup_sheet_number,
        provider_name=provider.legal_name,
        provider_ruc=provider.ruc,
        establishment_address=establishment.address,
        establishment_code=establishment.code,
        consumer_name=consumer_name,
        doc_type=doc_type,
        doc_number=doc_number_normalize(doc_number),  # every channel (web, backup book, import) stores it alike
        consumer_address=consumer_address,
        consumer_phone=consumer_phone,
        consumer_email=consumer_email,
        is_minor=is_minor,
        guardian_name=guardian_name if is_minor else "",
        guardian_address=guardian_address if is_minor else "",
        guardian_phone=guardian_phone if is_minor else "",
        guardian_email=guardian_email if is_minor else "",
        good_type=good_type,
        amount_claimed=amount_claimed,
        currency=currency,
        good_description=good_description,
        kind_filed=kind,
        kind=kind,
        detail=detail,
        request=request,
        regime=regime_for(filed_on).value,
        due_date=due_date(filed_on, business_calendar_get()),
        # Arts. 6 / 6-B: answer by e-mail or letter "según haya sido solicitado"; e-mail when one was given.
        response_channel=(
            ResponseChannel.EMAIL if consumer_email or (is_minor and guardian_email) else ResponseChannel.LETTER
        ),
    )
    return complaint


def complaint_file(
    *,
    establishment: Establishment,
    submission_key: uuid.UUID | None = None,
    client_ip: str | None = None,
    user_agent: str = "",
    confirmation: dict | None = None,
    origin: dict | None = None,
    attachments: list[Attachment] | None = None,
    **fields,
) -> Complaint:
    """File a hoja (`fields`: its content, as complaint_build takes it): number it, fix its legal deadline,
    fingerprint and seal, record the event and queue the e-mailed copy, all in one transaction. The same
    `submission_key` with the same content returns the hoja already filed (see submission_key_derive).
    `attachments`: the consumer's staged documents (book.attachments), bound to the hoja and in its fingerprint."""
    if not establishment.is_active:
        raise FilingError("Este libro de reclamaciones no está disponible.")

    complaint = complaint_build(establishment=establishment, **fields)  # its fields: complaint_build
    filed_at, filed_on = complaint.filed_at, timezone.localdate(complaint.filed_at)
    if submission_key is not None:
        complaint.submission_key = submission_key_derive(submission_key, complaint)
        existing = Complaint.objects.filter(submission_key=complaint.submission_key).first()
        if existing is not None:
            return existing
    # Field validation only: the database enforces the constraints at the INSERT, and checking them here
    # first costs a query each (a third of a filing). The one rule a consumer can break gets its message.
    complaint.full_clean(
        exclude=["number", "content_sha256", "tracking_token", "submission_key"],
        validate_unique=False,
        validate_constraints=False,
    )
    if not complaint.consumer_address and not complaint.consumer_email:
        # Reglamento art. 5: without an address or an e-mail the hoja counts as "no presentada".
        raise ValidationError({"consumer_address": MSG_ADDRESS_OR_EMAIL, "consumer_email": MSG_ADDRESS_OR_EMAIL})

    try:
        with transaction.atomic():
            # Everything that does not need the number is written before the book's counter row is locked,
            # so concurrent filings into one book wait on it for as few round trips as possible.
            complaint.pk = complaint_id_reserve()
            copies = _copies_queue(complaint) if complaint.pk is not None else []
            # The endpoints depend only on the establishment: read now, so only their INSERT waits for the lock.
            webhook_routes_filed = webhook_routes(event=WebhookEvent.FILED, establishment_ids=[establishment.pk])
            complaint.number = number_allocate(establishment_id=establishment.pk, year=filed_on.year)
            complaint.content_sha256 = complaint_content_hash(complaint, attachments_number(attachments or []))
            previous = GENESIS
            if complaint.number > 1:  # the previous hoja committed before our number was handed out
                previous = complaint_seal_get(
                    establishment_id=establishment.pk, year=filed_on.year, number=complaint.number - 1
                )
            complaint.seal = seal_compute(
                key=integrity_key(), previous_seal=previous or GENESIS, content_sha256=complaint.content_sha256
            )
            complaint.save(force_insert=True)
            if attachments:
                attachments_bind(complaint=complaint, attachments=attachments)
            if not copies:
                copies = _copies_queue(complaint)
            filed = ComplaintEvent(
                complaint=complaint,
                type=ComplaintEvent.Type.FILED,
                occurred_at=filed_at,
                data={
                    "number": complaint.display_number,
                    "channel": complaint.channel,
                    "due_date": complaint.due_date.isoformat(),
                    "regime": complaint.regime,
                    "sha256": complaint.content_sha256,
                    "seal": complaint.seal,
                    "ip": client_ip,
                    "user_agent": user_agent[:300],
                    # Draft art. 5-A: the consumer confirmed on the review page, having read these warnings.
                    **({"confirmation": confirmation} if confirmation is not None else {}),
                    # Issue 14 §1: the consumer's documents as fingerprinted (name, type, size, SHA-256).
                    **({"attachments": attachments_fingerprint(attachments)} if attachments else {}),
                    # Filed through the API (reclamaciones.api): which client, and the buyer's reference there.
                    **({"origin": origin} if origin is not None else {}),
                },
            )
            ComplaintEvent.objects.bulk_create([filed, *(message_queued_event(m) for m in copies)])
            webhook_emit(event=WebhookEvent.FILED, complaints=[complaint], fresh=True, routes=webhook_routes_filed)
    except IntegrityError:
        # A concurrent double submit lost the race on submission_key; its rollback consumed no number.
        if complaint.submission_key is not None:
            existing = Complaint.objects.filter(submission_key=complaint.submission_key).first()
            if existing is not None:
                return existing
        raise
    return complaint


def _copies_queue(complaint: Complaint) -> list[OutboundMessage]:
    """The e-mailed copies of a hoja being filed (its id known), recorded in the outbox."""
    now = timezone.now()
    return outbox_enqueue_fresh(
        messages=[
            outbox_message_new(
                kind=OutboundMessage.Kind.SHEET_COPY,
                recipient=recipient,
                complaint_id=complaint.pk,
                idempotency_key=sheet_copy_key(complaint_id=complaint.pk, recipient=recipient),
                context={},
                now=now,
            )
            for recipient in _copy_recipients(complaint)
        ]
    )


def _copy_recipients(complaint: Complaint) -> list[str]:
    """Art. 4-B: the copy goes to the e-mail the consumer gave (and to the parent's, for a minor)."""
    recipients = []
    for email in (complaint.consumer_email, complaint.guardian_email):
        if email and email.lower() not in {r.lower() for r in recipients}:
            recipients.append(email)
    return recipients


HEARTBEAT_LISTED = 100  # failing hojas kept in the heartbeat for the banner and healthz (the count is exact)


@dataclass
class BookReport:
    """What a verification found. `broken` keeps the failing hojas found first, at most `keep` of them (a book
    whose key was lost would otherwise fill the memory); `broken_count` counts them all."""

    keep: int | None = None
    checked: int = 0
    books: int = 0
    broken_count: int = 0
    broken: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken_count

    def add(self, item: dict) -> dict:
        self.broken_count += 1
        if self.keep is None or len(self.broken) < self.keep:
            self.broken.append(item)
        return item


def _broken_item(*, pk: int | None, establishment: Establishment, year: int, number: int, problems) -> dict:
    return {
        "id": pk,
        "number": number_format(number, year),
        "establishment_id": establishment.pk,
        "establishment": f"{establishment.name} ({establishment.code})",
        "problems": list(problems),
    }


def _sealed(row: dict, attachments: list[Attachment] = ()) -> SealedRecord:
    values = {name: row[name] for name in HASHED_FIELDS}
    # An anonymised hoja's remaining content was fingerprinted without its documents (compliance.retention).
    # Rows only, no file is read: each document's SHA-256 is in the fingerprint, so an edited row breaks it; the
    # stored bytes are re-read by the daily check's rolling window and by the evidence bundle (fixity).
    hashed = values if row["anonymised_sha256"] else hashed_values(values, attachments)
    return SealedRecord(
        pk=row["pk"],
        number=row["number"],
        stored_sha256=row["content_sha256"],
        computed_sha256=content_hash(hashed),
        seal=row["seal"],
        anonymised_sha256=row["anonymised_sha256"],
        anonymised_seal=row["anonymised_seal"],
    )


def _book_attachments(establishment_id: int, year: int) -> dict[int, list[Attachment]]:
    """Every document of one book (establishment and year), by hoja: one query per book, not per hoja."""
    found: dict[int, list[Attachment]] = {}
    rows = Attachment.objects.filter(complaint__establishment_id=establishment_id, complaint__year=year)
    for attachment in rows.order_by("complaint_id", "source", "position", "pk"):
        found.setdefault(attachment.complaint_id, []).append(attachment)
    return found


def book_verify_iter(*, report: BookReport, scope: Scope) -> Iterator[dict]:
    """Walk every book (establishment and year) in `scope` in number order, yielding each failing hoja as it is
    found and counting into `report`; streams, so memory stays flat at any size."""
    key = integrity_key()
    rows = Complaint.objects.order_by("establishment_id", "year", "number").values(
        "pk", "content_sha256", "seal", "anonymised_sha256", "anonymised_seal", *HASHED_FIELDS
    )
    rows = scope.filter(rows, path="establishment")
    counters = scope.filter(SheetCounter.objects.all(), path="establishment")
    last_numbers = {(c.establishment_id, c.year): c.last_number for c in counters}
    establishments = Establishment.objects.in_bulk({pk for pk, _year in last_numbers})

    def missing(establishment_id: int, year: int, after: int) -> Iterator[dict]:
        # Numbers the counter handed out that are no longer in the book after its last hoja found.
        establishment = establishments[establishment_id]
        for number in range(after + 1, last_numbers.pop((establishment_id, year), 0) + 1):
            yield report.add(
                _broken_item(pk=None, establishment=establishment, year=year, number=number, problems=[PROBLEM_GAP])
            )

    books = itertools.groupby(rows.iterator(chunk_size=2000), key=lambda row: (row["establishment_id"], row["year"]))
    for (establishment_id, year), book_rows in books:
        establishment = establishments[establishment_id]
        last = {"number": 0}
        documents = _book_attachments(establishment_id, year)

        def records(book_rows=book_rows, last=last, documents=documents):
            for row in book_rows:
                report.checked += 1
                last["number"] = row["number"]
                yield _sealed(row, documents.get(row["pk"], []))

        for record, problems in book_problems(records(), key=key):
            yield report.add(
                _broken_item(
                    pk=record.pk, establishment=establishment, year=year, number=record.number, problems=problems
                )
            )
        report.books += 1
        yield from missing(establishment_id, year, last["number"])
    for establishment_id, year in list(last_numbers):  # books whose every hoja is gone
        yield from missing(establishment_id, year, 0)


def book_verify(*, scope: Scope, keep: int | None = None) -> BookReport:
    """The whole verification as a report (keeping at most `keep` failing hojas, all of them by default)."""
    report = BookReport(keep=keep)
    for _item in book_verify_iter(report=report, scope=scope):
        pass
    return report


def complaint_integrity_problems(complaint: Complaint, attachments: list[Attachment] | None = None) -> list[str]:
    """What fails on one hoja, in words for its detail page (empty when it verifies). One query: its
    predecessor's seal (and one for its documents unless the caller has them: `attachments`). Rows only: no stored
    file is read here (see _sealed)."""
    if attachments is None:
        attachments = list(complaint.attachments.all())
    previous = GENESIS
    if complaint.number > 1:
        previous = complaint_seal_get(
            establishment_id=complaint.establishment_id, year=complaint.year, number=complaint.number - 1
        )
    record = _sealed(
        {
            "pk": complaint.pk,
            "number": complaint.number,
            "content_sha256": complaint.content_sha256,
            "seal": complaint.seal,
            "anonymised_sha256": complaint.anonymised_sha256,
            "anonymised_seal": complaint.anonymised_seal,
            **{name: getattr(complaint, name) for name in HASHED_FIELDS},
        },
        attachments,
    )
    found = book_problems(
        [record], key=integrity_key(), previous_seal=previous or GENESIS, first_number=complaint.number
    )
    codes = next(iter(found), (record, []))[1]
    if previous is None:  # the predecessor is missing: said between the content and the seal, as the book walk
        codes = [c for c in codes if c == PROBLEM_CONTENT] + [PROBLEM_GAP] + [c for c in codes if c != PROBLEM_CONTENT]
    return [PROBLEM_LABELS[code] for code in codes]


def _fixity_check(*, report: BookReport, scope: Scope) -> dict:
    """Today's slice of the stored files re-read against their recorded SHA-256 (book.attachments.
    attachments_fixity_window), continuing after where the last run stopped; failures join `report`."""
    last = TrackerHeartbeat.objects.filter(name=INTEGRITY).values_list("data", flat=True).first() or {}
    after = last.get("fixity_after", 0) if isinstance(last.get("fixity_after"), int) else 0
    failed, after = attachments_fixity_window(
        scope=scope, after=after, limit=settings.RECLAMACIONES_ATTACHMENTS_FIXITY_PER_RUN
    )
    problems: dict[int, list[str]] = {}
    for attachment, verdict in failed:
        codes = problems.setdefault(attachment.complaint_id, [])
        if verdict not in codes:
            codes.append(verdict)
    complaints = {a.complaint_id: a.complaint for a, _verdict in failed}
    for pk, codes in problems.items():
        complaint = complaints[pk]
        report.add(
            _broken_item(
                pk=pk,
                establishment=complaint.establishment,
                year=complaint.year,
                number=complaint.number,
                problems=codes,
            )
        )
    return {"fixity_after": after, "fixity_failed": len(failed)}


def book_verify_daily(*, scope: Scope, now: datetime | None = None) -> dict:
    """The daily check (Celery beat): verify every book in `scope` (rows and seals), re-read today's slice of the
    stored files (RECLAMACIONES_ATTACHMENTS_FIXITY_PER_RUN), record the result as a heartbeat, and alarm the
    supervisors while anything fails."""
    now = now or timezone.now()
    started = time.monotonic()
    report = book_verify(scope=scope, keep=INTEGRITY_ALARM_ITEMS)
    fixity = _fixity_check(report=report, scope=scope)
    result = {
        "checked": report.checked,
        "books": report.books,
        "broken_count": report.broken_count,
        "broken": report.broken[:HEARTBEAT_LISTED],
        **fixity,
    }
    with transaction.atomic():
        TrackerHeartbeat.objects.update_or_create(
            name=INTEGRITY,
            defaults={"last_run_at": now, "duration_ms": int((time.monotonic() - started) * 1000), "data": result},
        )
        if report.broken:
            integrity_alarm(broken=report.broken, total=report.broken_count, today=timezone.localdate(now))
    return {key: value for key, value in result.items() if key not in {"broken", *fixity}}
