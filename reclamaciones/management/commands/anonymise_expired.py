"""`manage.py anonymise_expired [--apply]`: replace the consumer's personal data on hojas kept longer than
RECLAMACIONES_RETENTION_YEARS (never less than the 2 years of Reglamento art. 12), except those an open INDECOPI
request covers. Dry run by default: it says what it would do, and records that it was asked."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ...access import Scope
from ...compliance.retention import RetentionError, anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonimiza los datos personales de las hojas cuyo plazo de conservación venció (simulación salvo "
        "que se indique --apply)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Anonimizar de verdad (sin esto, solo simula).")

    def handle(self, *args, apply, **options):
        try:
            result = anonymise_expired(scope=Scope.everything(), dry_run=not apply)
        except RetentionError as exc:
            raise CommandError(str(exc)) from None
        run = result.run
        cutoff = f"{run.filed_before:%d/%m/%Y %H:%M}"
        if result.dry_run:
            self.stdout.write(
                f"Simulación: se anonimizarían {result.anonymised} hojas presentadas antes del {cutoff} "
                f"({run.retention_years} años de conservación). Para hacerlo, repite con --apply."
            )
        else:
            self.stdout.write(f"Anonimizadas {result.anonymised} hojas presentadas antes del {cutoff}.")
        if result.held:
            self.stdout.write(f"{result.held} hojas no se anonimizan: las cubre un requerimiento del INDECOPI abierto.")
