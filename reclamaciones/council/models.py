"""The improvement council's records: action items against causes, their append-only history, and meetings."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..book.models import Establishment
from ..handling.models import Cause
from ..records import AppendOnlyModel, TimeStampedModel
from . import rules


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", "Propuesta"
    IN_PROGRESS = "in_progress", "En curso"
    IMPLEMENTED = "implemented", "Implementada"
    EFFECTIVE = "effective", "Efectiva"
    NOT_EFFECTIVE = "not_effective", "No efectiva"


# Owners are reminded of these; once implemented, the verification clock runs instead.
ACTION_PENDING_STATUSES = frozenset({ActionStatus.PROPOSED, ActionStatus.IN_PROGRESS})

ACTION_VERDICT_STATUSES = frozenset({ActionStatus.EFFECTIVE, ActionStatus.NOT_EFFECTIVE})


class CouncilMeeting(TimeStampedModel):
    """A session of the improvement council: agenda written from the data, minutes, decisions (action items)."""

    held_on = models.DateField("fecha de la reunión")
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="asistentes", blank=True, related_name="council_meetings"
    )
    guests = models.CharField("otros asistentes", max_length=300, blank=True, help_text="Nombres y cargos.")
    agenda = models.JSONField("agenda", default=dict, blank=True, editable=False)
    agenda_generated_at = models.DateTimeField("agenda generada", null=True, blank=True, editable=False)
    minutes = models.TextField("acta", blank=True, help_text="Lo tratado y lo acordado.")

    class Meta:
        verbose_name = "reunión del consejo"
        verbose_name_plural = "reuniones del consejo"
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Reunión del {self.held_on:%d/%m/%Y}"


class ActionItem(TimeStampedModel):
    """An improvement action: a recurring cause gets an owner, a due date and a measurable target.

    The baseline (hojas per week for its causes over the weeks before creation) is stored when the action is
    created; after implementation plus the verification window the weekly rate is measured again and the
    action is marked effective or not effective by the figures (council.rules.action_verdict)."""

    title = models.CharField("título", max_length=150)
    description = models.TextField("descripción", blank=True)
    causes = models.ManyToManyField(Cause, verbose_name="causas", related_name="action_items")
    complaints = models.ManyToManyField(
        "Complaint", verbose_name="hojas vinculadas", blank=True, related_name="action_items"
    )
    establishment = models.ForeignKey(
        Establishment,
        verbose_name="establecimiento",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
        help_text="Vacío: la acción mide las hojas de todos los establecimientos.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="responsable", on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField("fecha límite de implementación")
    status = models.CharField("estado", max_length=20, choices=ActionStatus, default=ActionStatus.PROPOSED)
    target_reduction_pct = models.PositiveSmallIntegerField(
        "meta de reducción (%)",
        default=30,
        validators=[MinValueValidator(1)],
        help_text="Reducción de hojas semanales de sus causas que se espera lograr (por ejemplo, 30 = -30 %).",
    )
    verification_weeks = models.PositiveSmallIntegerField(
        "semanas de verificación",
        default=8,
        validators=[MinValueValidator(1)],
        help_text="Semanas después de implementada en las que se mide el resultado.",
    )
    baseline_weeks = models.PositiveSmallIntegerField("semanas de la línea base", default=12, editable=False)
    baseline_rate = models.DecimalField(
        "línea base (hojas por semana)", max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    baseline_measured_on = models.DateField("línea base medida el", null=True, blank=True, editable=False)
    implemented_on = models.DateField("implementada el", null=True, blank=True)
    measured_rate = models.DecimalField(
        "resultado (hojas por semana)", max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    verified_at = models.DateTimeField("verificada", null=True, blank=True, editable=False)
    meeting = models.ForeignKey(
        CouncilMeeting,
        verbose_name="acordada en la reunión",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="creada por",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "acción de mejora"
        verbose_name_plural = "acciones de mejora"
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values), name="action_status_valid"),
            models.CheckConstraint(
                condition=Q(target_reduction_pct__gte=1, target_reduction_pct__lte=100), name="action_target_1_100"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["implemented", "effective", "not_effective"])
                | Q(implemented_on__isnull=False),
                name="action_implemented_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="action_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def verification_due_on(self):
        if self.implemented_on is None:
            return None
        return self.implemented_on + timedelta(weeks=self.verification_weeks)

    @property
    def target_rate(self):
        """The weekly rate the verification must reach (the same rounding the verdict uses)."""
        if self.baseline_rate is None:
            return None
        return rules.target_rate(self.baseline_rate, self.target_reduction_pct)


class ActionItemEvent(AppendOnlyModel):
    """Append-only history of an action item (ISO 10002 asks for a traceable record of what was done)."""

    class Type(models.TextChoices):
        CREATED = "created", "Creada"
        STATUS_CHANGED = "status_changed", "Cambio de estado"
        VERIFIED = "verified", "Verificación de eficacia"
        REMINDER_QUEUED = "reminder_queued", "Recordatorio al responsable"
        UPDATED = "updated", "Datos modificados"
        COMPLAINTS_LINKED = "complaints_linked", "Hojas vinculadas"

    action = models.ForeignKey(ActionItem, on_delete=models.PROTECT, related_name="events")
    type = models.CharField("evento", max_length=30, choices=Type)
    # PROTECT: deleting a user must not rewrite who did what (deactivate people instead).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField("datos", default=dict, blank=True)
    occurred_at = models.DateTimeField("fecha y hora", default=timezone.now)

    class Meta:
        verbose_name = "evento de acción de mejora"
        verbose_name_plural = "eventos de acciones de mejora"
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({timezone.localtime(self.occurred_at):%d/%m/%Y %H:%M})"
