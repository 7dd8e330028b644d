"""A supervisor's approval of an agent's settlement offer or reclassification, where the establishment asks for
one (Establishment.offers_need_approval / reclassifications_need_approval). The request holds what the agent
proposed until a supervisor approves it (then it is sent or applied by the usual service) or returns it with a
reason. Its history is in the hoja's events (APPROVAL_REQUESTED / _GRANTED / _REFUSED)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..book.models import Complaint
from ..records import TimeStampedModel


class ApprovalRequest(TimeStampedModel):
    class Kind(models.TextChoices):
        OFFER = "offer", "Propuesta de solución"
        RECLASSIFY = "reclassify", "Reclasificación"

    class Status(models.TextChoices):
        PENDING = "pending", "Por aprobar"
        APPROVED = "approved", "Aprobada"
        RETURNED = "returned", "Devuelta"

    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="approval_requests"
    )
    kind = models.CharField("qué se propone", max_length=12, choices=Kind)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    # offer: {"text"}; reclassify: {"kind", "reason"}
    proposal = models.JSONField("propuesta", default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="propuesta por", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("pedida el")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="decidida por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("decidida el", null=True, blank=True)
    return_reason = models.TextField("motivo de la devolución", max_length=2000, blank=True)

    class Meta:
        verbose_name = "solicitud de aprobación"
        verbose_name_plural = "solicitudes de aprobación"
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "kind"],
                condition=Q(status="pending"),
                name="one_pending_approval_per_complaint_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["complaint"], condition=Q(status="pending"), name="approval_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de la hoja {self.complaint}"
