"""Operations records (D.Leg. 1729: claim channels "permanentemente operativos"): the /healthz history, kept as
runs of equal samples, and the heartbeats of every web, worker and beat process on every host."""

from __future__ import annotations

from django.db import models


class HealthStatus(models.TextChoices):
    OK = "ok", "Operativo"
    DEGRADED = "degraded", "Operativo con alertas"
    ERROR = "error", "Caído"


class HealthSpan(models.Model):
    """Consecutive /healthz samples with the same status and the same failing checks: one row per state instead
    of one per minute, so 90 days of history stay a few hundred rows and a status page reads them at once.
    A sample arriving too late to continue the run (beat or workers were down) starts a new one: the time
    between two runs is "sin datos", never counted as up."""

    status = models.CharField("estado", max_length=10, choices=HealthStatus)
    failing = models.JSONField("comprobaciones con problemas", default=list, blank=True)
    started_at = models.DateTimeField("primera muestra")
    last_sample_at = models.DateTimeField("última muestra")
    samples = models.PositiveIntegerField("muestras", default=1)
    detail = models.JSONField("detalle de la última muestra", default=dict, blank=True)

    class Meta:
        verbose_name = "tramo del historial de salud"
        verbose_name_plural = "historial de salud"
        ordering = ["started_at"]
        indexes = [models.Index(fields=["last_sample_at"], name="healthspan_last_sample_idx")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.started_at:%d/%m/%Y %H:%M}"


class ProcessHeartbeat(models.Model):
    """The last sign of life of one process (web, worker or beat) on one host."""

    class Role(models.TextChoices):
        WEB = "web", "Web"
        WORKER = "worker", "Worker de Celery"
        BEAT = "beat", "Beat de Celery"

    hostname = models.CharField("servidor", max_length=255)
    pid = models.PositiveIntegerField("PID")
    role = models.CharField("función", max_length=10, choices=Role)
    started_at = models.DateTimeField("inicio")
    last_seen_at = models.DateTimeField("última señal")
    version = models.CharField("versión", max_length=64, blank=True)
    state = models.CharField("estado", max_length=100, blank=True)

    class Meta:
        verbose_name = "latido de proceso"
        verbose_name_plural = "latidos de procesos"
        ordering = ["role", "hostname", "pid"]
        constraints = [
            models.UniqueConstraint(fields=["hostname", "pid", "role"], name="processheartbeat_identity_uniq")
        ]
        indexes = [models.Index(fields=["last_seen_at"], name="processheartbeat_seen_idx")]

    def __str__(self) -> str:
        return f"{self.role} {self.hostname}:{self.pid}"
