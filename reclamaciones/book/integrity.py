"""The book's fingerprints (pure: no ORM, no clock).

- `content_sha256`: SHA-256 of a hoja's canonical filed content. Anyone holding the record can recompute it.
- `seal`: HMAC-SHA256, keyed with BOOK_INTEGRITY_KEY (kept outside the database), of the previous hoja's seal in
  the same book and year and this hoja's content hash. Someone who edits a row in SQL and recomputes its
  SHA-256 still cannot produce its seal without the key, and the next hoja's seal no longer follows from it.

Numbering gaps (a deleted hoja) are found by `book_problems`, which walks a book in number order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

GENESIS = ""  # the "previous seal" of a book's first hoja of the year

PROBLEM_CONTENT = "content"

PROBLEM_SEAL = "seal"

PROBLEM_GAP = "gap"

PROBLEM_ATTACHMENT = "attachment"

PROBLEM_ATTACHMENT_UNREADABLE = "attachment_unreadable"

PROBLEM_LABELS = {
    PROBLEM_CONTENT: "su contenido no coincide con la huella SHA-256 guardada al presentarla",
    PROBLEM_SEAL: "su sello de integridad no corresponde (la hoja o la anterior del libro se alteró)",
    PROBLEM_GAP: "falta la hoja anterior en la numeración del libro",
    PROBLEM_ATTACHMENT: (
        "un documento adjunto ya no coincide con la huella SHA-256 guardada al subirlo (se cambió o falta)"
    ),
    PROBLEM_ATTACHMENT_UNREADABLE: "no se pudo leer el documento adjunto para verificarlo (error del almacenamiento)",
}


def key_derive(*, configured: str, secret_key: str) -> bytes:
    """The seals' HMAC key: the configured one, or one derived from SECRET_KEY when none is configured."""
    if configured:
        return configured.encode()
    return hmac.new(secret_key.encode(), b"libro-de-reclamaciones:integrity", hashlib.sha256).digest()


def canonical_value(value):
    """One spelling per value: aware datetimes in UTC ISO format; amounts with two decimals, zero unsigned
    (Decimal("-0.00") and the 0.00 the database gives back are the same amount)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return f"{abs(value) if value == 0 else value:.2f}"
    return value


def canonical_json(values: Mapping) -> str:
    return json.dumps(
        {name: canonical_value(value) for name, value in values.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def content_hash(values: Mapping) -> str:
    return hashlib.sha256(canonical_json(values).encode("utf-8")).hexdigest()


def seal_compute(*, key: bytes, previous_seal: str, content_sha256: str) -> str:
    return hmac.new(key, f"{previous_seal}|{content_sha256}".encode(), hashlib.sha256).hexdigest()


def anonymised_seal_compute(*, key: bytes, seal: str, anonymised_sha256: str) -> str:
    """Binds an anonymised hoja's remaining content to its own seal: whoever edits the anonymised row in SQL
    cannot produce it without the key, as for the seal itself."""
    return hmac.new(key, f"anonymised|{seal}|{anonymised_sha256}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SealedRecord:
    """What the verification needs of one hoja, in its book's number order."""

    pk: int
    number: int
    stored_sha256: str
    computed_sha256: str
    seal: str
    anonymised_sha256: str = ""  # set once the personal data was replaced after the retention period
    anonymised_seal: str = ""


def book_problems(
    records: Iterable[SealedRecord], *, key: bytes, previous_seal: str = GENESIS, first_number: int = 1
) -> Iterable[tuple[SealedRecord, list[str]]]:
    """(record, problems) for every hoja of one book and year that fails, walking it in number order (from
    `first_number`, after a hoja sealed `previous_seal`: one hoja can be checked alone).
    A gap is reported on the hoja after it; a hoja whose own content is intact but whose predecessor was
    altered still verifies its seal against the predecessor's stored seal, so one edit is reported once."""
    expected_number = first_number
    for record in records:
        problems = []
        if record.number != expected_number:
            problems.append(PROBLEM_GAP)
        # An anonymised hoja's content is checked against its anonymised fingerprint (sealed to its own seal);
        # the chain goes on through the fingerprint it was filed with.
        content_sha256 = record.computed_sha256
        if record.anonymised_sha256:
            anonymised_ok = record.computed_sha256 == record.anonymised_sha256 and hmac.compare_digest(
                anonymised_seal_compute(key=key, seal=record.seal, anonymised_sha256=record.anonymised_sha256),
                record.anonymised_seal,
            )
            content_sha256 = record.stored_sha256 if anonymised_ok else record.computed_sha256
        if content_sha256 != record.stored_sha256:
            problems.append(PROBLEM_CONTENT)
        expected_seal = seal_compute(key=key, previous_seal=previous_seal, content_sha256=content_sha256)
        if not hmac.compare_digest(expected_seal, record.seal):
            problems.append(PROBLEM_SEAL)
        if problems:
            yield record, problems
        previous_seal, expected_number = record.seal, record.number + 1
