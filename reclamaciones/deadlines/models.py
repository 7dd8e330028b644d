"""Non-working days declared by the government (added by staff) and the heartbeats of the scheduled jobs."""

from __future__ import annotations

from django.db import models

from ..records import TimeStampedModel


class NonWorkingDay(TimeStampedModel):
    """A día no laborable the provider counts as non-business (national holidays come from `holidays`)."""

    date = models.DateField("fecha", unique=True)
    description = models.CharField("descripción", max_length=150)
    legal_source = models.CharField("norma", max_length=150, help_text="Por ejemplo: DS 089-2026-PCM.")

    class Meta:
        verbose_name = "día no laborable"
        verbose_name_plural = "días no laborables"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} · {self.description}"


class TrackerHeartbeat(models.Model):
    """When the deadline tracker last ran and what it did (one row per tracker)."""

    name = models.CharField("nombre", max_length=50, primary_key=True)
    last_run_at = models.DateTimeField("última ejecución")
    duration_ms = models.PositiveIntegerField("duración (ms)", default=0)
    data = models.JSONField("resultado", default=dict, blank=True)

    class Meta:
        verbose_name = "latido del seguimiento de plazos"
        verbose_name_plural = "latidos del seguimiento de plazos"

    def __str__(self) -> str:
        return f"{self.name} · {self.last_run_at:%d/%m/%Y %H:%M}"
