"""`manage.py council_rollup_rebuild`: rewrite every day of the council's rollup from the hojas (idempotent;
run after restoring a backup or loading hojas by hand; the beat does it nightly)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...council.models import DailyAnswerCount, DailyCauseCount, DailySurveyCount
from ...council.rollup import rollup_rebuild


class Command(BaseCommand):
    help = (
        "Reconstruye las cifras diarias del tablero del consejo a partir de las hojas, respuestas y encuestas. "
        "Se puede repetir: el resultado es el mismo."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        state = rollup_rebuild(now=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Cifras del consejo reconstruidas en {time.perf_counter() - started:.1f} s: "
                f"{DailyCauseCount.objects.count():,} filas por causa, "
                f"{DailyAnswerCount.objects.count():,} de respuestas, "
                f"{DailySurveyCount.objects.count():,} de encuestas "
                f"(al {timezone.localtime(state.rebuilt_at):%d/%m/%Y %H:%M})."
            )
        )
