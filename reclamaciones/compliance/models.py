"""The compliance officer's records: SIREC exports and which hojas each one reported (a hoja is reported once;
re-exports with `--all` are recorded but mark nothing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..book.models import Complaint, Establishment


class SirecExport(models.Model):
    """One TXT written for SIREC: who, when, for which book and dates, and the file's fingerprint."""

    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="sirec_exports")
    date_from = models.DateField("desde")
    date_to = models.DateField("hasta")
    include_reported = models.BooleanField("incluye hojas ya reportadas", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("fecha y hora")
    lines = models.PositiveIntegerField("líneas")
    sha256 = models.CharField("SHA-256 del archivo", max_length=64)
    encoding = models.CharField("codificación", max_length=20)

    class Meta:
        verbose_name = "exportación SIREC"
        verbose_name_plural = "exportaciones SIREC"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"SIREC {self.establishment.code} {self.date_from} .. {self.date_to} ({self.lines} líneas)"


class SirecReport(models.Model):
    """A hoja reported to SIREC, and by which export (once: the first export that wrote it)."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="sirec_report")
    export = models.ForeignKey(SirecExport, on_delete=models.PROTECT, related_name="reports")

    class Meta:
        verbose_name = "hoja reportada a SIREC"
        verbose_name_plural = "hojas reportadas a SIREC"

    def __str__(self) -> str:
        return f"{self.complaint} → {self.export}"
