"""Follow-through after the answer (ISO 10002 closure): the record that the remedy promised in the answer, or the
settlement the consumer accepted, was actually carried out. Append-only: a correction is a new record naming the
one it corrects, never an edit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..book.models import Complaint
from ..records import AppendOnlyModel


class RemedyRecord(AppendOnlyModel):
    """What was done to carry out the answer or the accepted settlement, when, and the evidence of it."""

    message_changed = "El registro de cumplimiento no se modifica: registra una corrección."
    message_deleted = "El registro de cumplimiento no se elimina."

    class Outcome(models.TextChoices):
        DONE = "done", "Solución cumplida"
        NOTHING_DUE = "nothing_due", "No había una solución que cumplir"

    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="remedy_records"
    )
    outcome = models.CharField("resultado", max_length=20, choices=Outcome, default=Outcome.DONE)
    done_on = models.DateField("fecha de cumplimiento")
    what_done = models.TextField("qué se hizo", max_length=2000)
    evidence_reference = models.CharField("referencia de la constancia", max_length=100, blank=True)
    evidence_notes = models.TextField("descripción de la constancia", max_length=2000, blank=True)
    corrects = models.OneToOneField(
        "self",
        verbose_name="corrige el registro",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    correction_reason = models.CharField("motivo de la corrección", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="registrado por", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("registrado", default=timezone.now)

    class Meta:
        verbose_name = "cumplimiento de la solución"
        verbose_name_plural = "cumplimientos de la solución"
        ordering = ["recorded_at", "id"]
        constraints = [
            # One original record per hoja; every later one corrects the one before it (corrects is one-to-one).
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(corrects__isnull=True), name="remedy_one_original_per_complaint"
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=""), name="remedy_correction_has_reason"
            ),
            models.CheckConstraint(condition=Q(outcome__in=["done", "nothing_due"]), name="remedy_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.complaint}"

    @property
    def is_done(self) -> bool:
        return self.outcome == self.Outcome.DONE
