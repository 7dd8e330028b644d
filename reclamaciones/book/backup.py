"""Transcribing a sheet of the paper backup book into the virtual book (Reglamento art. 4-A, DS 006-2014-PCM).

When the virtual book is down, a provider with physical establishments hands out its "Libro de Reclamaciones de
Respaldo" (paper, Anexo I format). Its content, "incluyendo el número de la hoja", must be entered into the virtual
book "en el plazo de un (01) día calendario contado desde que dicho Libro se encuentre habilitado". The hoja is
filed through complaint_file like any other (number, seal, e-mailed copy), dated when the consumer wrote it on
paper, so its legal deadline counts from the paper filing; the transcription itself is an event naming who typed it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..deadlines.rules import DS_006_2014_IN_FORCE
from .models import Channel, Complaint, ComplaintEvent, Establishment
from .services import FilingError, complaint_file

# UNCONFIRMED reading of art. 4-A: "un (01) día calendario contado desde que dicho Libro se encuentre habilitado"
# is read as 24 hours from the moment the virtual book was available again. Read with Código Civil art. 183
# (the first day excluded, the last one included) it would run to the end of the next calendar day in Lima, which
# is never earlier: this reading warns first. Change TRANSCRIPTION_WINDOW / transcription_due to change it.
TRANSCRIPTION_WINDOW = timedelta(days=1)

SHEET_NUMBER_MAX = 30  # Complaint.backup_sheet_number

MSG_NO_ROLE = "Tu rol no permite transcribir hojas del libro de respaldo."
MSG_OUT_OF_SCOPE = "No atiendes este establecimiento: elige uno de tu lista."
MSG_SHEET_NUMBER_REQUIRED = "Escribe el número impreso en la hoja de papel."
MSG_SHEET_NUMBER_CHARS = (
    "Escribe el número como está impreso en la hoja: letras, números, espacios y los signos - / . º "
    "(por ejemplo 000000012-2026)."
)
MSG_SHEET_NUMBER_LONG = f"El número de la hoja tiene como máximo {SHEET_NUMBER_MAX} caracteres."
MSG_SHEET_DUPLICATE = (
    "La hoja de papel Nº {paper} de este establecimiento ya fue transcrita: es la hoja Nº {number}, "
    "registrada el {when}. No la vuelvas a ingresar."
)
MSG_PAPER_FUTURE = "La fecha y hora de la hoja de papel no pueden ser posteriores a este momento."
MSG_PAPER_TOO_OLD = (
    "Revisa la fecha: el libro de reclamaciones de respaldo existe desde el 23/04/2014 (DS 006-2014-PCM)."
)
MSG_PAPER_BEFORE_ESTABLISHMENT = (
    "Revisa la fecha: es anterior al {since}, cuando este establecimiento abrió su libro virtual. "
    "Una hoja de respaldo solo reemplaza al libro virtual mientras no está disponible."
)
MSG_ENABLED_BEFORE_PAPER = (
    "El libro virtual volvió a estar disponible después de que se llenó la hoja de papel: revisa ambas fechas."
)
MSG_ENABLED_FUTURE = "La fecha en que el libro virtual volvió a estar disponible no puede ser posterior a este momento."

# A paper sheet's number as printed (Anexo I: "Nº 000000001-202X"): letters, digits, spaces and - / . º ° #.
_SHEET_NUMBER_RE = re.compile(r"[0-9A-ZÁÉÍÓÚÜÑ][0-9A-ZÁÉÍÓÚÜÑ \-/.º°#]*")
_DIGIT_RUNS = re.compile(r"\d+")


class TranscriptionError(FilingError):
    """A transcription the rules refuse. `field` names the form field the message belongs to ("" for the page)."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


class SheetAlreadyTranscribed(TranscriptionError):
    """The paper sheet is in the virtual book already (`existing`): typing it again would file it twice."""

    def __init__(self, message: str, *, existing: Complaint):
        super().__init__(message, field="backup_sheet_number")
        self.existing = existing


@dataclass(frozen=True)
class Transcription:
    complaint: Complaint
    late: bool  # typed after the art. 4-A day: still entered (it must be), and recorded as late
    due: datetime  # when the art. 4-A day ended


def transcription_due(book_enabled_at: datetime) -> datetime:
    """When the art. 4-A day to type the sheet ends (see TRANSCRIPTION_WINDOW for the reading)."""
    return book_enabled_at + TRANSCRIPTION_WINDOW


def backup_sheet_number_clean(value: str) -> str:
    """The paper sheet's number as stored: NFC, upper case, spaces collapsed. Raises TranscriptionError for
    anything that cannot be a printed number (line breaks, pipes, markup, control characters)."""
    # NFC, not NFKC: NFKC turns the printed "º" into an "o".
    text = re.sub(r" {2,}", " ", unicodedata.normalize("NFC", value or "").upper().strip())
    if not text:
        raise TranscriptionError(MSG_SHEET_NUMBER_REQUIRED, field="backup_sheet_number")
    if len(text) > SHEET_NUMBER_MAX:
        raise TranscriptionError(MSG_SHEET_NUMBER_LONG, field="backup_sheet_number")
    if not _SHEET_NUMBER_RE.fullmatch(text) or not any(ch.isdigit() for ch in text):
        raise TranscriptionError(MSG_SHEET_NUMBER_CHARS, field="backup_sheet_number")
    return text


def _sheet_key(number: str) -> str:
    """What makes two typed numbers the same paper sheet: "Nº 000000012-2026", "12-2026" and "12 - 2026" are one.
    Only the digit runs count (the prefix, the separators and the leading zeros do not)."""
    return "-".join(str(int(run)) for run in _DIGIT_RUNS.findall(number))


def _already_transcribed(*, establishment_id: int, number: str) -> Complaint | None:
    """The hoja already filed from this paper sheet of this establishment, if any."""
    key = _sheet_key(number)
    candidates = (
        Complaint.objects.filter(establishment_id=establishment_id, channel=Channel.BACKUP)
        .exclude(backup_sheet_number="")
        .only("pk", "number", "year", "filed_at", "backup_sheet_number")
        .order_by("pk")
    )
    return next((c for c in candidates.iterator() if _sheet_key(c.backup_sheet_number) == key), None)


def transcription_dates_refusal(
    *, establishment: Establishment, paper_filed_at: datetime, book_enabled_at: datetime, now: datetime
) -> TranscriptionError | None:
    """Why these dates cannot be those of a paper sheet of `establishment` typed at `now` (None: they can). The
    form asks too, so that its errors come together; the service asks again, whoever calls it."""
    paper_on = timezone.localdate(paper_filed_at)
    if paper_filed_at > now:
        return TranscriptionError(MSG_PAPER_FUTURE, field="paper_filed_at")
    if paper_on < DS_006_2014_IN_FORCE:
        return TranscriptionError(MSG_PAPER_TOO_OLD, field="paper_filed_at")
    opened_on = timezone.localdate(establishment.created_at)
    if paper_on < opened_on:
        since = opened_on.strftime("%d/%m/%Y")
        return TranscriptionError(MSG_PAPER_BEFORE_ESTABLISHMENT.format(since=since), field="paper_filed_at")
    if book_enabled_at < paper_filed_at:
        return TranscriptionError(MSG_ENABLED_BEFORE_PAPER, field="book_enabled_at")
    if book_enabled_at > now:
        return TranscriptionError(MSG_ENABLED_FUTURE, field="book_enabled_at")
    return None


def complaint_transcribe(
    *,
    scope: Scope,
    establishment: Establishment,
    backup_sheet_number: str,
    paper_filed_at: datetime,
    book_enabled_at: datetime | None = None,
    now: datetime | None = None,
    **filing: Any,
) -> Transcription:
    """File the hoja written on a paper backup sheet: dated `paper_filed_at` (its deadline counts from then), with
    the sheet's number, in one transaction with its TRANSCRIBED event (who typed it, and whether it came after
    the art. 4-A day counted from `book_enabled_at`, which defaults to the paper filing). `filing` is what the
    consumer wrote (complaint_file's content arguments). A sheet already transcribed is refused."""
    now = now or timezone.now()
    if not scope.transcribes:
        raise TranscriptionError(MSG_NO_ROLE)
    if not scope.allows(establishment.pk):
        raise TranscriptionError(MSG_OUT_OF_SCOPE, field="establishment")
    number = backup_sheet_number_clean(backup_sheet_number)
    enabled_at = book_enabled_at or paper_filed_at
    refused = transcription_dates_refusal(
        establishment=establishment, paper_filed_at=paper_filed_at, book_enabled_at=enabled_at, now=now
    )
    if refused is not None:
        raise refused
    due = transcription_due(enabled_at)
    late = now > due

    with transaction.atomic():
        # Two people typing the same sheet at once: the second waits here, then finds the first one's hoja. A
        # no-key lock: public filings into this establishment (which only share-lock its key) never wait on it.
        Establishment.objects.select_for_update(no_key=True).filter(pk=establishment.pk).values_list("pk").first()
        existing = _already_transcribed(establishment_id=establishment.pk, number=number)
        if existing is not None:
            when = timezone.localtime(existing.filed_at).strftime("%d/%m/%Y %H:%M")
            message = MSG_SHEET_DUPLICATE.format(paper=number, number=existing.display_number, when=when)
            raise SheetAlreadyTranscribed(message, existing=existing)
        complaint = complaint_file(
            establishment=establishment,
            channel=Channel.BACKUP,
            backup_sheet_number=number,
            filed_at=paper_filed_at,
            **filing,
        )
        ComplaintEvent.objects.create(
            complaint=complaint,
            type=ComplaintEvent.Type.TRANSCRIBED,
            actor=scope.user,
            occurred_at=now,
            data={
                "backup_sheet_number": number,
                "paper_filed_at": paper_filed_at.isoformat(),
                "book_enabled_at": enabled_at.isoformat(),
                "book_enabled_given": book_enabled_at is not None,
                "transcribed_at": now.isoformat(),
                "transcribe_by": due.isoformat(),
                "late": late,
            },
        )
    return Transcription(complaint=complaint, late=late, due=due)
