"""The records of handling a hoja: its cause, the staff profile (which establishments someone works for),
settlement offers (art. 6-A), the answer, answer templates and the consumer's survey."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from ..book.models import Complaint, Establishment, Kind, ResponseChannel
from ..records import AppendOnlyModel, TimeStampedModel


class Cause(TimeStampedModel):
    """The improvement council's cause taxonomy: categories (no parent) and the causes under them."""

    parent = models.ForeignKey(
        "self",
        verbose_name="categoría",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    code = models.CharField("código", max_length=20, unique=True)
    name = models.CharField("nombre", max_length=120)
    description = models.TextField("descripción", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_causes",
    )
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        verbose_name = "causa"
        verbose_name_plural = "causas"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": "Las causas cuelgan de una categoría (dos niveles: categoría > causa)."})

    @property
    def is_category(self) -> bool:
        return self.parent_id is None


class StaffProfile(models.Model):
    """Which establishments a staff member works for (scoping of queues, reminders and escalations)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="usuario", on_delete=models.CASCADE, related_name="staff_profile"
    )
    all_establishments = models.BooleanField("todos los establecimientos", default=False)
    establishments = models.ManyToManyField(
        Establishment, verbose_name="establecimientos", blank=True, related_name="staff_profiles"
    )

    class Meta:
        verbose_name = "perfil de personal"
        verbose_name_plural = "perfiles de personal"

    def __str__(self) -> str:
        return str(self.user)


class SettlementOffer(TimeStampedModel):
    """Ofrecimiento de solución (Reglamento art. 6-A): suspends the count for at most 5 business days."""

    class Status(models.TextChoices):
        PENDING = "pending", "Esperando respuesta"
        ACCEPTED = "accepted", "Aceptada"
        REJECTED = "rejected", "Rechazada"
        EXPIRED = "expired", "Sin respuesta en el plazo"

    complaint = models.ForeignKey(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="settlement_offers"
    )
    text = models.TextField("propuesta", max_length=4000)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ofrecida por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    offered_on = models.DateField("fecha del ofrecimiento")
    respond_by = models.DateField("fecha límite para aceptar")
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.PENDING)
    resolved_at = models.DateTimeField("respondida", null=True, blank=True)
    suspended_business_days = models.PositiveSmallIntegerField("días hábiles suspendidos", default=0)

    class Meta:
        verbose_name = "ofrecimiento de solución"
        verbose_name_plural = "ofrecimientos de solución"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(status="pending"), name="one_pending_offer_per_complaint"
            ),
        ]
        indexes = [models.Index(fields=["status", "respond_by"], name="offer_status_respond_idx")]

    def __str__(self) -> str:
        return f"Propuesta para {self.complaint}"


class Response(AppendOnlyModel, TimeStampedModel):
    """Section 4 of the hoja: "OBSERVACIONES Y ACCIONES ADOPTADAS POR EL PROVEEDOR", with the date it was
    communicated. Written once, when it is communicated (arts. 6 and 6-B); never edited afterwards."""

    message_changed = "La respuesta comunicada no se modifica."
    message_deleted = "La respuesta comunicada no se elimina (Reglamento, art. 12)."

    complaint = models.OneToOneField(Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="response")
    text = models.TextField("observaciones y acciones adoptadas por el proveedor", max_length=4000)
    channel = models.CharField("medio", max_length=10, choices=ResponseChannel)
    communicated_at = models.DateTimeField("fecha de comunicación de la respuesta")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="respondida por", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "respuesta"
        verbose_name_plural = "respuestas"
        indexes = [
            # The council's answer figures join only the answers given since a period began.
            models.Index(fields=["communicated_at"], include=["complaint"], name="response_communicated_idx"),
        ]

    def __str__(self) -> str:
        return f"Respuesta a {self.complaint}"


class ResponseTemplate(TimeStampedModel):
    """A reusable answer staff start from (editable in the admin), for one kind and some causes or for any; its
    {placeholders} are filled from the hoja when it is inserted (handling.templates_fill)."""

    name = models.CharField("nombre", max_length=100, unique=True)
    kind = models.CharField("para", max_length=10, choices=Kind, blank=True, help_text="Vacío: reclamos y quejas.")
    causes = models.ManyToManyField(
        Cause,
        verbose_name="causas",
        blank=True,
        related_name="response_templates",
        help_text="Vacío: cualquier causa. Una categoría incluye todas sus causas.",
    )
    body = models.TextField("texto", max_length=4000)
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        verbose_name = "plantilla de respuesta"
        verbose_name_plural = "plantillas de respuesta"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SurveyAnswer(AppendOnlyModel):
    """The consumer's one-time satisfaction survey after the answer: what they said is never edited."""

    message_changed = "La encuesta respondida no se modifica."
    message_deleted = "La encuesta respondida no se elimina."

    complaint = models.OneToOneField(Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="survey")
    solved = models.BooleanField("¿se solucionó?")
    csat = models.PositiveSmallIntegerField("satisfacción (1-5)")
    nps = models.PositiveSmallIntegerField("recomendación (0-10)")
    comment = models.TextField("comentario", max_length=2000, blank=True)
    answered_at = models.DateTimeField("respondida", default=timezone.now)

    class Meta:
        verbose_name = "respuesta de encuesta"
        verbose_name_plural = "encuestas de satisfacción"
        constraints = [
            models.CheckConstraint(condition=Q(csat__gte=1, csat__lte=5), name="survey_csat_1_5"),
            models.CheckConstraint(condition=Q(nps__gte=0, nps__lte=10), name="survey_nps_0_10"),
        ]
        # the council's rollup refresh and its low-score list read surveys by when they were answered
        indexes = [models.Index(fields=["answered_at"], name="survey_answered_idx")]

    def __str__(self) -> str:
        return f"Encuesta de {self.complaint}"


class ExportJob(models.Model):
    """A big export running as a Celery job: who asked for it, with which filters, how far it got and where its
    file is. The file lives in a private folder (never under the web root) and is served only to the person who
    asked for it (and superusers), until it expires."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "En cola"
        RUNNING = "running", "En preparación"
        DONE = "done", "Lista"
        FAILED = "failed", "Falló"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="solicitada por", on_delete=models.CASCADE, related_name="export_jobs"
    )
    kind = models.CharField("exportación", max_length=30, default="queue")  # which export (later: compliance ones)
    format = models.CharField("formato", max_length=10, choices=Format)
    filters = models.JSONField("filtros", default=dict, blank=True)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField("filas escritas", default=0)
    rows_total = models.PositiveIntegerField("filas en total", null=True, blank=True)
    file_name = models.CharField("archivo", max_length=255, blank=True)  # name in the export storage
    error = models.TextField("error", blank=True)
    created_at = models.DateTimeField("solicitada", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("iniciada", null=True, blank=True)
    finished_at = models.DateTimeField("terminada", null=True, blank=True)

    class Meta:
        verbose_name = "exportación"
        verbose_name_plural = "exportaciones"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Exportación {self.pk} ({self.get_format_display()}, {self.get_status_display()})"

    @property
    def expires_at(self):
        """The file is served until then (RECLAMACIONES_EXPORT_TTL_HOURS after it was finished)."""
        if self.finished_at is None:
            return None
        return self.finished_at + timedelta(hours=settings.RECLAMACIONES_EXPORT_TTL_HOURS)

    @property
    def is_expired(self) -> bool:
        expires = self.expires_at
        return expires is not None and timezone.now() >= expires

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class SavedQueueView(TimeStampedModel):
    """A queue view someone saved under a name (their filters, search and order as a query string of the queue's
    own filter parameters, see handling.agent_flow). Personal: only its owner lists, opens, renames or deletes
    it. It stores no scope: the queue applies the owner's scope when it is opened, so it never widens it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="dueño", on_delete=models.CASCADE, related_name="saved_queue_views"
    )
    name = models.CharField("nombre", max_length=60)
    query = models.CharField("filtros", max_length=500, blank=True)

    class Meta:
        verbose_name = "vista guardada de la bandeja"
        verbose_name_plural = "vistas guardadas de la bandeja"
        ordering = ["owner", "name", "pk"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="saved_queue_view_owner_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name
