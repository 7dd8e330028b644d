"""The outbox: every e-mail the portal sends is first a row written in the transaction that decided it."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..book.models import RETENTION_YEARS, Complaint
from ..records import ImmutableRecordError, TimeStampedModel

MSG_KEPT = "Los correos de una hoja se conservan como constancia (Reglamento, art. 12): no se eliminan."


class OutboundMessageQuerySet(models.QuerySet):
    def delete(self):
        # A hoja's e-mails are its proof of communication: kept like the hoja, at least the legal minimum.
        kept_since = timezone.now() - timedelta(days=366 * RETENTION_YEARS)  # leap years: never a day short
        if self.filter(complaint__filed_at__gt=kept_since).exists():
            raise ImmutableRecordError(MSG_KEPT)
        return super().delete()


class OutboundMessage(TimeStampedModel):
    """The outbox: each e-mail the portal owes someone, written in the transaction that causes it."""

    class Kind(models.TextChoices):
        SHEET_COPY = "sheet_copy", "Copia de la hoja de reclamación"
        REMINDER = "reminder", "Recordatorio de plazo"
        OVERDUE = "overdue", "Aviso de hoja vencida"
        DAILY_DIGEST = "daily_digest", "Resumen diario"
        SETTLEMENT_OFFER = "settlement_offer", "Propuesta de solución"
        SETTLEMENT_ACCEPTED = "settlement_accepted", "Constancia del acuerdo aceptado"
        RECLASSIFIED = "reclassified", "Aviso de reclasificación"
        EXTENSION_NOTICE = "extension_notice", "Aviso de ampliación de plazo"
        RESPONSE = "response", "Respuesta al consumidor"
        ACTION_REMINDER = "action_reminder", "Recordatorio de acción de mejora"
        ACTION_VERDICT = "action_verdict", "Resultado de acción de mejora"
        COUNCIL_DIGEST = "council_digest", "Resumen semanal del consejo"
        COUNCIL_REPORT = "council_report", "Informe mensual de gestión del consejo"
        DELIVERY_FAILED = "delivery_failed", "Alerta: correo no entregado"
        INTEGRITY_ALARM = "integrity_alarm", "Alerta de integridad del libro"
        SIREC_REMINDER = "sirec_reminder", "Recordatorio de reporte SIREC"
        INDECOPI_REMINDER = "indecopi_reminder", "Recordatorio de requerimiento del INDECOPI"
        MEETING_AGENDA = "meeting_agenda", "Agenda de reunión del consejo"
        MEETING_MINUTES = "meeting_minutes", "Acta de reunión del consejo"
        REMEDY_DONE = "remedy_done", "Constancia de solución cumplida"
        APPROVAL_REQUEST = "approval_request", "Aprobación pendiente"

    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente"
        SENDING = "sending", "Enviando"
        SENT = "sent", "Enviado"
        FAILED = "failed", "Fallido"

    objects = OutboundMessageQuerySet.as_manager()

    kind = models.CharField("tipo", max_length=30, choices=Kind)
    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    recipient = models.EmailField("destinatario", max_length=254)
    idempotency_key = models.CharField("clave de idempotencia", max_length=200, unique=True)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    context = models.JSONField("datos", default=dict, blank=True)
    last_error = models.TextField("último error", blank=True)
    next_attempt_at = models.DateTimeField("próximo intento", default=timezone.now)
    # Held until then by whoever has it: the queue while pending (dispatched), a worker while sending.
    lease_until = models.DateTimeField("reservado hasta", null=True, blank=True, editable=False)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    message_id = models.CharField("Message-ID", max_length=255, blank=True)

    class Meta:
        verbose_name = "mensaje saliente"
        verbose_name_plural = "mensajes salientes"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_sent_at"
            ),
            models.CheckConstraint(condition=Q(attempts__gte=0), name="outbox_attempts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    def delete(self, *args, **kwargs):
        if self.complaint_id is not None:
            return type(self).objects.filter(pk=self.pk).delete()
        return super().delete(*args, **kwargs)
