"""SIREC export (Reglamento art. 16; Directiva 004-2014/DIR-COD-INDECOPI): the pipe-separated TXT of a book's
hojas for a date range, validated whole before a byte is written (SIREC rejects a file for one bad row), then
written in one pass in constant memory, fingerprinted and recorded; the hojas it wrote are marked reported
unless it re-exports (`include_reported`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..access import Scope
from ..book.models import Complaint, Establishment, number_format
from .models import SirecExport, SirecReport
from .rules import sirec_fields, sirec_line, sirec_problems
from .selectors import sirec_rows

NEWLINE = "\n"  # the manual does not say (UNCONFIRMED); SIREC's upload is read line by line
CHUNK_ROWS = 2000
MARK_BATCH = 5000


class SirecError(Exception):
    """The export cannot be made (a book out of scope, a book without its SIREC code)."""


@dataclass
class SirecResult:
    export: SirecExport | None = None
    # (hoja Nº, why) for every hoja SIREC would reject: nothing was written, or (skip_rejected) left out
    problems: list[tuple[str, list[str]]] = field(default_factory=list)


def encoding() -> str:
    return settings.RECLAMACIONES_SIREC_ENCODING


def sirec_export(
    *,
    scope: Scope,
    establishment: Establishment,
    start: date,
    end: date,
    out: BinaryIO,
    include_reported: bool = False,
    skip_rejected: bool = False,
    now: datetime | None = None,
) -> SirecResult:
    """Write the TXT for `establishment`'s hojas filed `start` .. `end` to `out`, or write nothing and return
    every hoja SIREC would reject with why; with `skip_rejected`, write the others and return those (left
    unreported, to be typed into SIREC by hand: `sirec_report_manual`). Concurrent exports of one book wait on
    its row, so no hoja is reported twice."""
    if not scope.allows(establishment.pk):
        raise SirecError("Ese establecimiento no está en tu ámbito.")
    if not establishment.sirec_code:
        raise SirecError(
            f"El establecimiento {establishment.code} no tiene código de sede SIREC: regístralo en la administración."
        )
    now = now or timezone.now()
    charset = encoding()
    rows = {"scope": scope, "establishment_id": establishment.pk, "start": start, "end": end}
    with transaction.atomic():
        Establishment.objects.select_for_update().filter(pk=establishment.pk).first()
        selected = sirec_rows(include_reported=include_reported, **rows)
        last_pk = selected.aggregate(last=Max("pk"))["last"]
        problems, rejected = [], set()
        for hoja in selected.iterator(chunk_size=CHUNK_ROWS):  # pass 1: validate everything, keep nothing
            found = sirec_problems(sirec_fields(hoja), encoding=charset)
            if found:
                problems.append((number_format(hoja["number"], hoja["year"]), found))
                rejected.add(hoja["pk"])
        if problems and not skip_rejected:
            return SirecResult(problems=problems)
        digest, lines, marks = hashlib.sha256(), 0, []
        export = SirecExport.objects.create(
            establishment=establishment,
            date_from=start,
            date_to=end,
            include_reported=include_reported,
            created_by=scope.user if getattr(scope.user, "is_authenticated", False) else None,  # None: a command
            created_at=now,
            lines=0,
            sha256="",
            encoding=charset,
            skipped=len(rejected),
        )
        # pass 2: the rows validated above (a hoja filed since has a higher id and waits for the next export)
        written = sirec_rows(include_reported=include_reported, up_to_pk=last_pk or 0, **rows)
        for hoja in written.iterator(chunk_size=CHUNK_ROWS):
            if hoja["pk"] in rejected:
                continue
            fields = sirec_fields(hoja)
            if sirec_problems(fields, encoding=charset):  # changed since pass 1: undo everything
                raise SirecError("Una hoja cambió mientras se exportaba; vuelve a intentarlo.")
            data = (sirec_line(fields) + NEWLINE).encode(charset)
            out.write(data)
            digest.update(data)
            lines += 1
            if not include_reported:
                marks.append(SirecReport(complaint_id=hoja["pk"], export=export))
                if len(marks) >= MARK_BATCH:
                    SirecReport.objects.bulk_create(marks)
                    marks = []
        SirecReport.objects.bulk_create(marks)
        export.lines, export.sha256 = lines, digest.hexdigest()
        export.save(update_fields=["lines", "sha256"])
    return SirecResult(export=export, problems=problems)


MSG_MANUAL_NONE = "Elige al menos una hoja de la lista."

MSG_MANUAL_NOTE = "Indica cómo la ingresaste (por ejemplo, «ingreso manual en SIREC, constancia 123»)."


def sirec_report_manual(
    *, scope: Scope, establishment: Establishment, numbers: list[str], note: str, now: datetime | None = None
) -> SirecExport:
    """Record that the compliance officer typed these hojas (printed numbers, "000000012-2026") of one book into
    SIREC's own form, because its bulk upload would reject them (a passport longer than SIREC's 11 characters):
    they count as reported, by hand, by whom and when. Hojas already reported or not of this book are refused."""
    if not scope.allows(establishment.pk) or not scope.runs_compliance:
        raise SirecError("Ese establecimiento no está en tu ámbito.")
    note = " ".join(note.split())[:300]
    if not note:
        raise SirecError(MSG_MANUAL_NOTE)
    wanted = set()
    for printed in numbers:
        digits, _, year = printed.partition("-")
        if not (digits.isdigit() and year.isdigit()):
            raise SirecError(f"Número de hoja no válido: {printed[:20]!r}.")
        wanted.add((int(digits), int(year)))
    if not wanted:
        raise SirecError(MSG_MANUAL_NONE)
    now = now or timezone.now()
    with transaction.atomic():
        Establishment.objects.select_for_update().filter(pk=establishment.pk).first()
        hojas = {
            (c["number"], c["year"]): c
            for c in scope.filter(Complaint.objects.filter(establishment=establishment), path="establishment")
            .filter(number__in={n for n, _ in wanted}, year__in={y for _, y in wanted})
            .values("pk", "number", "year", "filed_at", "sirec_report")
        }
        missing = [number_format(*key) for key in sorted(wanted) if key not in hojas]
        if missing:
            raise SirecError(f"Estas hojas no son de este libro: {', '.join(missing)}.")
        done = [number_format(*key) for key in sorted(wanted) if hojas[key]["sirec_report"] is not None]
        if done:
            raise SirecError(f"Estas hojas ya estaban reportadas: {', '.join(done)}.")
        days = [timezone.localdate(h["filed_at"]) for h in hojas.values()]
        export = SirecExport.objects.create(
            establishment=establishment,
            date_from=min(days),
            date_to=max(days),
            created_by=scope.user if getattr(scope.user, "is_authenticated", False) else None,
            created_at=now,
            lines=len(hojas),
            sha256="",
            encoding="",
            method=SirecExport.Method.MANUAL,
            note=note,
        )
        SirecReport.objects.bulk_create([SirecReport(complaint_id=h["pk"], export=export) for h in hojas.values()])
    return export
