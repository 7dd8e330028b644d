"""The compliance officer's records: SIREC exports and which hojas each one reported (a hoja is reported once;
re-exports with `--all` are recorded but mark nothing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..book.models import Complaint, Establishment
from ..records import AppendOnlyModel


class SirecExport(models.Model):
    """One TXT written for SIREC: who, when, for which book and dates, and the file's fingerprint; or (manual)
    hojas the compliance officer typed into SIREC's own form because its bulk upload would reject them."""

    class Method(models.TextChoices):
        FILE = "file", "Archivo de carga masiva"
        MANUAL = "manual", "Ingreso manual en SIREC"

    establishment = models.ForeignKey(
        Establishment, verbose_name="establecimiento", on_delete=models.PROTECT, related_name="sirec_exports"
    )
    date_from = models.DateField("desde")
    date_to = models.DateField("hasta")
    include_reported = models.BooleanField("incluye hojas ya reportadas", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="generada por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("fecha y hora")
    lines = models.PositiveIntegerField("líneas")
    sha256 = models.CharField("SHA-256 del archivo", max_length=64)
    encoding = models.CharField("codificación", max_length=20)
    method = models.CharField("forma", max_length=10, choices=Method, default=Method.FILE, db_default=Method.FILE)
    skipped = models.PositiveIntegerField("hojas omitidas (SIREC las rechazaría)", default=0, db_default=0)
    note = models.CharField("nota", max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = "exportación SIREC"
        verbose_name_plural = "exportaciones SIREC"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"SIREC {self.establishment.code} {self.date_from} .. {self.date_to} ({self.lines} líneas)"


class SirecReport(models.Model):
    """A hoja reported to SIREC, and by which export (once: the first export that wrote it)."""

    complaint = models.OneToOneField(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="sirec_report"
    )
    export = models.ForeignKey(
        SirecExport, verbose_name="exportación", on_delete=models.PROTECT, related_name="reports"
    )

    class Meta:
        verbose_name = "hoja reportada a SIREC"
        verbose_name_plural = "hojas reportadas a SIREC"

    def __str__(self) -> str:
        return f"{self.complaint} → {self.export}"


class IndecopiRequest(models.Model):
    """A request from INDECOPI for the book's documents (Ley 29571 art. 152; Reglamento art. 11): what it asks
    for (dates, establishments, sheet numbers) and by when. While open, the hojas it covers are never anonymised."""

    class Status(models.TextChoices):
        OPEN = "open", "Pendiente"
        ANSWERED = "answered", "Atendido"

    reference = models.CharField("referencia (oficio, expediente)", max_length=120)
    received_on = models.DateField("fecha de recepción")
    deadline_business_days = models.PositiveSmallIntegerField(
        "plazo en días hábiles", null=True, blank=True, help_text="Si el requerimiento da un plazo en días hábiles."
    )
    due_on = models.DateField("fecha límite")
    date_from = models.DateField("hojas desde", null=True, blank=True)
    date_to = models.DateField("hojas hasta", null=True, blank=True)
    establishments = models.ManyToManyField(Establishment, verbose_name="establecimientos", related_name="+")
    numbers = models.JSONField("números de hoja", default=list, blank=True)  # ["000000012-2026", ...]
    notes = models.TextField("notas", blank=True, max_length=4000)
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="registrado por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("registrado")
    answered_at = models.DateTimeField("atendido", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="atendido por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "requerimiento del INDECOPI"
        verbose_name_plural = "requerimientos del INDECOPI"
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="indecopi_status_due_idx")]

    def __str__(self) -> str:
        return f"Requerimiento {self.reference}"


class EvidenceBundle(models.Model):
    """A ZIP of evidence built for an INDECOPI request by a Celery job: who asked, how far it got, the file's
    SHA-256. The file lives in private storage and is served only through the compliance desk."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En cola"
        RUNNING = "running", "En preparación"
        DONE = "done", "Listo"
        FAILED = "failed", "Falló"

    request = models.ForeignKey(
        IndecopiRequest, verbose_name="requerimiento", on_delete=models.PROTECT, related_name="bundles"
    )
    status = models.CharField("estado", max_length=10, choices=Status, default=Status.QUEUED)
    hojas_done = models.PositiveIntegerField("hojas incluidas", default=0)
    hojas_total = models.PositiveIntegerField("hojas en total", null=True, blank=True)
    file_name = models.CharField("archivo", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("tamaño (bytes)", null=True, blank=True)
    sha256 = models.CharField("SHA-256 del ZIP", max_length=64, blank=True)
    error = models.TextField("error", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="solicitado por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("solicitado")
    started_at = models.DateTimeField("iniciado", null=True, blank=True)
    finished_at = models.DateTimeField("terminado", null=True, blank=True)

    class Meta:
        verbose_name = "paquete de evidencias"
        verbose_name_plural = "paquetes de evidencias"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Paquete {self.pk} · {self.request}"


class RetentionRun(models.Model):
    """One run of `anonymise_expired`: the cut-off it used, what it did (or, dry, would do) and who ran it."""

    ran_at = models.DateTimeField("fecha y hora")
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ejecutada por",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dry_run = models.BooleanField("simulación", default=True)
    retention_years = models.PositiveSmallIntegerField("años de conservación")
    filed_before = models.DateTimeField("hojas presentadas antes de")
    anonymised = models.PositiveIntegerField("hojas anonimizadas", default=0)
    held = models.PositiveIntegerField("hojas retenidas por un requerimiento del INDECOPI", default=0)

    class Meta:
        verbose_name = "ejecución de conservación"
        verbose_name_plural = "ejecuciones de conservación"
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"Conservación {self.ran_at:%Y-%m-%d %H:%M} ({self.anonymised} hojas)"


class Anonymisation(AppendOnlyModel):
    """A hoja whose consumer data was replaced after the retention period: when, by which run, which fields and
    why, and the SHA-256 of the anonymised content, so the hoja still verifies (its filed fingerprint and seal
    stay in the book's chain; the anonymised content is checked against this one)."""

    complaint = models.OneToOneField(
        Complaint, verbose_name="hoja", on_delete=models.PROTECT, related_name="anonymisation"
    )
    run = models.ForeignKey(
        RetentionRun, verbose_name="ejecución", on_delete=models.PROTECT, related_name="anonymisations"
    )
    anonymised_at = models.DateTimeField("fecha y hora")
    fields = models.JSONField("campos reemplazados", default=list)
    reason = models.CharField("motivo", max_length=300)
    content_sha256 = models.CharField("SHA-256 del contenido anonimizado", max_length=64)

    class Meta:
        verbose_name = "hoja anonimizada"
        verbose_name_plural = "hojas anonimizadas"

    def __str__(self) -> str:
        return f"{self.complaint} anonimizada el {self.anonymised_at:%Y-%m-%d}"
