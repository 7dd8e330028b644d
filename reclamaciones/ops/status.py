"""What the status page says, in Spanish: labels of the states and checks, one sentence per check explaining
its state, durations in words. Pure (no ORM, no clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ..health import CHECKS
from .uptime import NO_DATA

STATUS_LABELS = {
    "ok": "Operativo",
    "degraded": "Operativo con alertas",
    "error": "Caído",
    NO_DATA: "Sin datos",
}
# Text first; the symbol and colour only repeat it (never colour alone).
STATUS_SYMBOLS = {"ok": "✓", "degraded": "⚠", "error": "✕", NO_DATA: "?"}
STATUS_TONES = {"ok": "success", "degraded": "warning", "error": "danger", NO_DATA: "secondary"}

CHECK_LABELS = {
    "database": "Base de datos",
    "broker": "Cola de tareas (Redis)",
    "tracker": "Seguimiento de plazos",
    "outbox": "Envío de correos",
    "integrity": "Integridad del libro",
}


def _when(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def check_sentence(name: str, check: dict) -> str:
    """Why a check is in its state, for a person (no personal data: counts and error classes only)."""
    status = check.get("status")
    error = check.get("error", "")
    if status == "unknown":
        return "No se pudo comprobar: la base de datos no responde."
    if name == "database":
        return "Responde." if status == "ok" else f"No responde ({error}): no se pueden registrar hojas."
    if name == "broker":
        if status == "ok":
            return "Responde."
        return f"No responde ({error}): los correos esperan en la bandeja de salida y salen cuando vuelva."
    if name == "tracker":
        if status == "never_ran":
            return "Nunca se ejecutó: no se envían recordatorios ni escalamientos. Revisa el beat y los workers."
        if status == "stale":
            return f"Sin ejecutarse desde {_when(check.get('last_run_at'))}: revisa el beat y los workers."
        return f"Última ejecución: {_when(check.get('last_run_at'))}."
    if name == "outbox":
        failed = check.get("failed", 0)
        if failed:
            return f"{failed} correo(s) abandonado(s) tras todos los reintentos: revísalos en la administración."
        return "Ningún correo abandonado."
    if name == "integrity":
        if status == "broken":
            return f"{check.get('broken', 0)} hoja(s) no pasan la verificación de integridad."
        if status == "stale":
            return f"La verificación diaria no corre desde {_when(check.get('last_run_at'))}."
        if status == "never_ran":
            return "Aún no se ha ejecutado la verificación diaria."
        return f"Verificadas {check.get('checked', 0)} hoja(s) el {_when(check.get('last_run_at'))}."
    return str(status)


def check_rows(report: dict) -> list[dict]:
    """The report's checks in order, each with its label, whether it is fine and its sentence."""
    from .services import failing_checks

    failing = set(failing_checks(report))
    return [
        {
            "name": name,
            "label": CHECK_LABELS[name],
            "fine": name not in failing,
            "sentence": check_sentence(name, report[name]),
        }
        for name in CHECKS
        if name in report
    ]


def duration_words(value: timedelta) -> str:
    """3 d 4 h · 2 h 5 min · 4 min · 30 s: the two largest units, for tables read at a glance."""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n} {unit}" for n, unit in parts[:2] if n or unit == parts[0][1])


def percent(value: float | None) -> str:
    """99,95 % with the Peruvian decimal comma; "—" without a window."""
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") + "\u00a0%"  # no line break inside "99,95 %"
