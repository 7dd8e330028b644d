"""`manage.py verify_book`: is the complaints book intact? Exit status 1 and the list of failing hojas if not."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ...access import Scope
from ...book.integrity import PROBLEM_LABELS
from ...book.models import Establishment
from ...book.services import BookReport, book_verify_iter


class Command(BaseCommand):
    help = (
        "Verifica el libro de reclamaciones: la huella SHA-256 de cada hoja, la cadena de sellos y la numeración. "
        "Termina con código 1 y la lista de hojas que fallan si alguna no supera la verificación."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--establishment",
            action="append",
            metavar="CÓDIGO",
            help="Solo el libro de este establecimiento (código de identificación); se puede repetir.",
        )

    def handle(self, *args, establishment=None, **options):
        scope = Scope.everything()
        if establishment:
            found = dict(Establishment.objects.filter(code__in=establishment).values_list("code", "pk"))
            unknown = sorted(set(establishment) - set(found))
            if unknown:
                raise CommandError(f"No existe el establecimiento con código {', '.join(unknown)}.")
            scope = Scope(frozenset(found.values()), can_act=False)
        report = BookReport(keep=0)  # each failing hoja is printed as it is found, none kept in memory
        for item in book_verify_iter(report=report, scope=scope):
            problems = "; ".join(PROBLEM_LABELS[p] for p in item["problems"])
            self.stdout.write(f"Nº {item['number']} · {item['establishment']}: {problems}.")
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Libro íntegro: {report.checked} hojas verificadas en {report.books} libro(s).")
            )
            return
        raise CommandError(
            f"{report.broken_count} hoja(s) no superan la verificación (de {report.checked} verificadas).",
            returncode=1,
        )
