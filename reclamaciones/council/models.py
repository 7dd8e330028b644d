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
    starts_at = models.TimeField("hora", null=True, blank=True)
    place = models.CharField("lugar o enlace de la videollamada", max_length=300, blank=True)
    establishment = models.ForeignKey(
        Establishment,
        verbose_name="establecimiento",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_meetings",
        help_text="Vacío: la reunión trata todos los establecimientos.",
    )
    # Attendance and the notes per agenda item, read and written whole through council.meetings (which checks
    # them): {"<user id>": true (present) | false (absent)} and {"<agenda item key>": "text"}.
    attendance = models.JSONField("asistencia", default=dict, blank=True)
    item_notes = models.JSONField("acuerdos y notas por punto de la agenda", default=dict, blank=True)
    closed_at = models.DateTimeField("acta cerrada", null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="acta cerrada por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

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
    # Root cause analysis (5 whys): the answers in order, at most rules.WHYS_MAX, and where they led. A JSON list
    # of strings: read and written whole, always through council.services.action_root_cause_set (which checks it).
    root_cause_whys = models.JSONField("¿por qué? (5 porqués)", default=list, blank=True)
    root_cause = models.TextField("causa raíz", blank=True)

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
    def verification_window(self) -> rules.Window | None:
        """The weeks whose hojas the verification counts (from the implementation day); measured the day after
        its end (verification_due_on). None until implemented."""
        if self.implemented_on is None:
            return None
        return rules.verification_window(self.implemented_on, self.verification_weeks)

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
        PROGRESS = "progress", "Avance registrado"
        ROOT_CAUSE = "root_cause", "Análisis de causa raíz"
        STEP_ADDED = "step_added", "Paso añadido"
        STEP_DONE = "step_done", "Paso marcado"
        EDITED = "edited", "Título, responsable o fechas cambiados"

    action = models.ForeignKey(
        ActionItem, verbose_name="acción de mejora", on_delete=models.PROTECT, related_name="events"
    )
    type = models.CharField("evento", max_length=30, choices=Type)
    # PROTECT: deleting a user must not rewrite who did what (deactivate people instead).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="quién",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField("datos", default=dict, blank=True)
    occurred_at = models.DateTimeField("fecha y hora", default=timezone.now)

    class Meta:
        verbose_name = "evento de acción de mejora"
        verbose_name_plural = "eventos de acciones de mejora"
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({timezone.localtime(self.occurred_at):%d/%m/%Y %H:%M})"


class ActionStep(TimeStampedModel):
    """A step of an action: containment (stops the harm now, for the consumers already affected) or corrective
    (removes the root cause so it does not happen again), as ISO 9001 §10.2 and ISO 10002 tell them apart.
    Rows, not JSON, so "actions with containment still pending" is a query."""

    class Kind(models.TextChoices):
        CONTAINMENT = "containment", "Contención"
        CORRECTIVE = "corrective", "Correctiva"

    action = models.ForeignKey(
        ActionItem, verbose_name="acción de mejora", on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.CharField("tipo", max_length=20, choices=Kind)
    text = models.CharField("paso", max_length=300)
    done = models.BooleanField("hecho", default=False)
    done_on = models.DateField("hecho el", null=True, blank=True)

    class Meta:
        verbose_name = "paso de una acción de mejora"
        verbose_name_plural = "pasos de las acciones de mejora"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["containment", "corrective"]), name="action_step_kind_valid"),
            models.CheckConstraint(
                condition=Q(done=False) | Q(done_on__isnull=False), name="action_step_done_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


# -- The dashboard's rollup -------------------------------------------------------------------------------
# Daily counts the council's figures are summed from, so a period of two years reads a few thousand rows
# instead of every hoja of it. council/rollup.py writes them (set-based, a day at a time, idempotently);
# nothing else does. "day" is a Lima date; a hoja counts on the day it was filed, a survey on the day it
# was answered. What changes with the clock (open, past due) is not rolled up: open hojas are few and
# read live.


class DailyCauseCount(models.Model):
    """Hojas filed on `day` in an establishment with a cause (None: not classified yet)."""

    day = models.DateField("día")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+")
    cause = models.ForeignKey(Cause, null=True, on_delete=models.CASCADE, related_name="+")
    filed = models.PositiveIntegerField("hojas")
    reclamos = models.PositiveIntegerField("reclamos")
    quejas = models.PositiveIntegerField("quejas")

    class Meta:
        verbose_name = "conteo diario por causa"
        verbose_name_plural = "conteos diarios por causa"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "establishment", "cause"], condition=Q(cause__isnull=False), name="daily_cause_unique"
            ),
            models.UniqueConstraint(
                fields=["day", "establishment"], condition=Q(cause__isnull=True), name="daily_cause_unique_none"
            ),
        ]
        indexes = [models.Index(fields=["day"], include=["establishment", "cause", "filed"], name="daily_cause_day")]

    def __str__(self) -> str:
        return f"{self.day} · {self.establishment_id} · {self.cause_id}: {self.filed}"


class DailyAnswerCount(models.Model):
    """Hojas filed on `day` in an establishment whose answer was communicated on `answered_day`, and how many of
    those by their due date: the median days to answer is computed from these (filed day, answered day) pairs."""

    day = models.DateField("día de presentación")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+")
    answered_day = models.DateField("día de la respuesta")
    answered = models.PositiveIntegerField("respondidas")
    on_time = models.PositiveIntegerField("a tiempo")

    class Meta:
        verbose_name = "conteo diario de respuestas"
        verbose_name_plural = "conteos diarios de respuestas"
        constraints = [
            models.UniqueConstraint(fields=["day", "establishment", "answered_day"], name="daily_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} → {self.answered_day} · {self.establishment_id}: {self.answered}"


class DailySurveyCount(models.Model):
    """Satisfaction surveys answered on `day` about hojas of an establishment and a cause."""

    day = models.DateField("día")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+")
    cause = models.ForeignKey(Cause, null=True, on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField("respuestas")
    csat_sum = models.PositiveIntegerField("suma de satisfacción")
    satisfied = models.PositiveIntegerField("satisfechos (4-5)")
    solved = models.PositiveIntegerField("solucionadas")
    promoters = models.PositiveIntegerField("promotores (9-10)")
    detractors = models.PositiveIntegerField("detractores (0-6)")

    class Meta:
        verbose_name = "conteo diario de encuestas"
        verbose_name_plural = "conteos diarios de encuestas"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "establishment", "cause"], condition=Q(cause__isnull=False), name="daily_survey_unique"
            ),
            models.UniqueConstraint(
                fields=["day", "establishment"], condition=Q(cause__isnull=True), name="daily_survey_unique_none"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} · {self.establishment_id} · {self.cause_id}: {self.answers}"


class RollupState(models.Model):
    """The one row saying how current the rollup is: `refreshed_at` is the instant changes were read up to
    (the next refresh re-reads from a little before it); `rebuilt_at` the last full rebuild."""

    refreshed_at = models.DateTimeField("actualizado hasta", null=True)
    rebuilt_at = models.DateTimeField("reconstruido", null=True)
    days_refreshed = models.PositiveIntegerField("días recalculados en la última actualización", default=0)

    class Meta:
        verbose_name = "estado de las cifras del consejo"
        verbose_name_plural = "estado de las cifras del consejo"

    def __str__(self) -> str:
        return f"cifras al {self.refreshed_at}"
