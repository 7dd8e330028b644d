"""Signed webhooks (issue 14 §4): endpoints an online store registers per provider, and the deliveries owed to
them, each a row written in the transaction of the event it announces (like the e-mail outbox)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..book.models import Complaint, Establishment, Provider
from ..records import TimeStampedModel


class WebhookEvent(models.TextChoices):
    FILED = "complaint.filed", "Hoja registrada"
    ANSWERED = "complaint.answered", "Hoja respondida"
    OVERDUE = "complaint.overdue", "Hoja vencida sin respuesta"
    SETTLED = "complaint.settled", "Hoja cerrada por acuerdo"


def events_default() -> list[str]:
    return list(WebhookEvent.values)


class WebhookEndpoint(TimeStampedModel):
    """Where a store wants to hear about its hojas: an https URL, the events it wants, optionally only some of
    the provider's establishments (none chosen: all of them), and the secret its deliveries are signed with."""

    provider = models.ForeignKey(
        Provider, verbose_name="proveedor", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField("URL de destino", max_length=500, help_text="Debe empezar con https://.")
    description = models.CharField("descripción", max_length=150, blank=True)
    events = models.JSONField("eventos", default=events_default)
    establishments = models.ManyToManyField(
        Establishment,
        verbose_name="establecimientos",
        blank=True,
        related_name="+",
        help_text="Vacío: todos los establecimientos del proveedor.",
    )
    is_active = models.BooleanField("activo", default=True)
    # The signing secrets: kept in clear because signing needs them (an HMAC key cannot be hashed). After a
    # rotation the previous one still signs (a second v1= in the header) until `previous_secret_until`, so the
    # store can switch its verification without losing a delivery.
    secret = models.CharField("secreto", max_length=100, editable=False)
    previous_secret = models.CharField("secreto anterior", max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField("secreto anterior válido hasta", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "webhook"
        verbose_name_plural = "webhooks"
        ordering = ["provider_id", "pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def signing_secrets(self, now) -> list[str]:
        """The secrets a delivery is signed with right now: the current one, and the previous one while its
        overlap lasts."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(TimeStampedModel):
    """One event owed to one endpoint. The payload is fixed when the event happens; `delivery_id` is sent on every
    attempt (X-Libro-Delivery) so the receiver can drop a duplicate after an ambiguous failure."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente"
        SENDING = "sending", "Enviando"
        DELIVERED = "delivered", "Entregado"
        FAILED = "failed", "Fallido"

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name="webhook", on_delete=models.PROTECT, related_name="deliveries"
    )
    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    event = models.CharField("evento", max_length=30, choices=WebhookEvent)
    delivery_id = models.UUIDField("id de entrega", default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField("clave de idempotencia", max_length=200, unique=True)
    payload = models.JSONField("contenido")
    occurred_at = models.DateTimeField("ocurrió")
    # complaint.overdue only: the due date it announces missed (the sweep's anti-join reads it, through the
    # complaint's index: a hoja has a handful of deliveries).
    due_date = models.DateField("vencimiento anunciado", null=True, blank=True, editable=False)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("intentos", default=0)
    next_attempt_at = models.DateTimeField("próximo intento", default=timezone.now)
    # Held until then by whoever has it: the queue while pending (dispatched), a worker while sending.
    lease_until = models.DateTimeField("reservado hasta", null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField("entregado", null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("último código HTTP", null=True, blank=True)
    last_error = models.TextField("último error", blank=True)
    last_response = models.TextField("última respuesta (recortada)", blank=True)

    class Meta:
        verbose_name = "entrega de webhook"
        verbose_name_plural = "entregas de webhooks"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_status_next_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False), name="webhook_delivered_has_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.endpoint}"
