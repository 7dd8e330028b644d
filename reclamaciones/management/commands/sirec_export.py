"""`manage.py sirec_export --establishment CODE --from YYYY-MM-DD --to YYYY-MM-DD [--all] [--skip-rejected]
[-o FILE]`: the TXT for SIREC's bulk upload. Without --all only hojas not yet reported, which are then marked
reported; with --all every hoja of the range, marking nothing. When a hoja would make SIREC reject the file, no
file is written and the hojas are listed (exit status 1); with --skip-rejected the others are written and those
listed, left unreported (to be typed into SIREC's form and marked on the SIREC page)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...access import Scope
from ...book.models import Establishment
from ...compliance.services import SirecError, sirec_export


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Fecha no válida: {text!r} (usa AAAA-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Escribe el archivo TXT para la carga masiva en SIREC (Controla tus Reclamos) de las hojas de un "
        "establecimiento presentadas entre dos fechas."
    )

    def add_arguments(self, parser):
        parser.add_argument("--establishment", required=True, metavar="CÓDIGO", help="Código del libro.")
        parser.add_argument("--from", dest="start", required=True, metavar="AAAA-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="AAAA-MM-DD")
        parser.add_argument(
            "--all",
            dest="include_reported",
            action="store_true",
            help="También las hojas ya reportadas (no las marca de nuevo).",
        )
        parser.add_argument(
            "--skip-rejected",
            action="store_true",
            help="Escribe las demás hojas y lista las que SIREC rechazaría (quedan por reportar, para ingresarlas "
            "a mano en SIREC).",
        )
        parser.add_argument(
            "-o", "--output", metavar="ARCHIVO", help="Archivo de salida (por defecto, la salida estándar)."
        )

    def handle(self, *args, establishment, start, end, include_reported, skip_rejected, output, **options):
        start, end = _day(start), _day(end)
        if end < start:
            raise CommandError("La fecha final es anterior a la inicial.")
        book = Establishment.objects.filter(code=establishment).select_related("provider").first()
        if book is None:
            raise CommandError(f"No existe el establecimiento con código {establishment}.")
        target = Path(output).resolve() if output else None
        # Written next to its destination and moved there only when complete: a rejected or failed export
        # leaves no partial file.
        folder = target.parent if target else None
        handle, temporary = tempfile.mkstemp(prefix=".sirec-", suffix=".txt", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                result = sirec_export(
                    scope=Scope.everything(),
                    establishment=book,
                    start=start,
                    end=end,
                    out=out,
                    include_reported=include_reported,
                    skip_rejected=skip_rejected,
                )
            if result.problems and skip_rejected:
                for number, problems in result.problems:
                    self.stderr.write(f"Omitida Nº {number}: {'; '.join(problems)}.")
            elif result.problems:
                for number, problems in result.problems:
                    self.stderr.write(f"Nº {number}: {'; '.join(problems)}.")
                raise CommandError(
                    f"No se escribió el archivo: SIREC rechazaría el archivo completo por {len(result.problems)} "
                    "hoja(s). Corrige los datos (o clasifícalas) y vuelve a exportar."
                )
            if target:
                os.replace(temporary, target)
            else:
                with open(temporary, "rb") as written:
                    shutil.copyfileobj(written, sys.stdout.buffer)  # in chunks: memory does not grow with the file
                    sys.stdout.flush()
        except SirecError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        export = result.export
        self.stderr.write(
            f"{export.lines} hoja(s) exportadas ({export.encoding}), SHA-256 {export.sha256}"
            + ("" if include_reported else "; marcadas como reportadas")
            + (f"; {export.skipped} omitida(s), por ingresar a mano en SIREC" if export.skipped else "")
            + "."
        )
