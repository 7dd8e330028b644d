"""A hoja's history on the staff detail page: its events and the messages sent about it, in plain Spanish,
newest first. Presentation only: the events are written by the services."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from ..book.models import Channel, ComplaintEvent, GoodType, Kind, ResponseChannel, Status
from ..outbox.models import OutboundMessage

MESSAGE_TONES = {
    OutboundMessage.Status.PENDING: "warning",
    OutboundMessage.Status.SENDING: "info",
    OutboundMessage.Status.SENT: "success",
    OutboundMessage.Status.FAILED: "danger",
}


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value or "—")


def _day(iso: str | None) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "—"
    except ValueError:
        return str(iso)


def _moment(iso: str | None) -> str:
    try:
        return timezone.localtime(datetime.fromisoformat(iso)).strftime("%d/%m/%Y %H:%M") if iso else "—"
    except ValueError:
        return str(iso)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


T = ComplaintEvent.Type


# Events the consumer or the automatic tracker cause (no actor recorded).
_NO_ACTOR = {
    T.FILED: "Consumidor",
    T.SETTLEMENT_ACCEPTED: "Consumidor",
    T.SETTLEMENT_REJECTED: "Consumidor",
    T.SURVEY_ANSWERED: "Consumidor",
    T.REMINDED: "Seguimiento automático",
    T.ESCALATED: "Seguimiento automático",
    T.SETTLEMENT_EXPIRED: "Seguimiento automático",
    T.DEADLINE_RECOMPUTED: "Seguimiento automático",
}


_EVENT_TONES = {
    T.NOTE: "note",
    T.ESCALATED: "danger",
    T.MESSAGE_FAILED: "danger",
    T.RESPONDED: "success",
    T.SETTLEMENT_ACCEPTED: "success",
    T.REMINDED: "warning",
    T.APPROVAL_REQUESTED: "warning",
    T.APPROVAL_GRANTED: "success",
    T.APPROVAL_REFUSED: "danger",
}


def _event_lines(event: ComplaintEvent) -> list[str]:
    """What happened, in plain Spanish, from the event's data."""
    d = event.data or {}
    match event.type:
        case T.FILED:
            return [f"Por {_label(Channel, d.get('channel')).lower()}. Fecha límite: {_day(d.get('due_date'))}."]
        case T.MESSAGE_SENT:
            attempts = d.get("attempts")
            tail = f" (intento {attempts})" if attempts and attempts > 1 else ""
            return [f"{_label(OutboundMessage.Kind, d.get('kind'))} a {d.get('recipient', '—')}{tail}."]
        case T.MESSAGE_FAILED:
            return [f"A {d.get('recipient', '—')}: {d.get('error') or 'error sin detalle'}."]
        case T.MESSAGE_QUEUED:
            return [f"{_label(OutboundMessage.Kind, d.get('kind'))} para {d.get('recipient', '—')}."]
        case T.REMINDED:
            left = int(d.get("days_left", 0))
            when = "vence hoy" if left == 0 else f"quedaban {_plural(left, 'día hábil', 'días hábiles')}"
            return [f"Aviso de plazo ({when}) a {', '.join(d.get('recipients', [])) or '—'}."]
        case T.ESCALATED:
            late = abs(int(d.get("days_left", 0)))
            return [
                f"Vencida hace {_plural(late, 'día hábil', 'días hábiles')}. "
                f"Avisado: {', '.join(d.get('recipients', [])) or '—'}."
            ]
        case T.DEADLINE_RECOMPUTED:
            return [
                f"Fecha límite: {_day(d.get('old_due_date'))} → {_day(d.get('new_due_date'))}.",
                f"Motivo: {d.get('reason') or 'cambio del calendario'}.",
            ]
        case T.DEADLINE_EXTENDED:
            lines = [
                f"Ampliación de {_plural(int(d.get('days', 0)), 'día calendario', 'días calendario')}: "
                f"{_day(d.get('old_due_date'))} → {_day(d.get('new_due_date'))}.",
                f"Motivo: {d.get('reason') or '—'}",
            ]
            if d.get("notice") == "letter_required":
                lines.append("Sin correo del consumidor: debe avisarse por carta antes del vencimiento inicial.")
            return lines
        case T.SETTLEMENT_OFFERED:
            return [f"El consumidor puede aceptarla hasta el {_day(d.get('respond_by'))}. El plazo queda en pausa."]
        case T.SETTLEMENT_ACCEPTED:
            return ["El consumidor aceptó expresamente la propuesta."]
        case T.SETTLEMENT_REJECTED | T.SETTLEMENT_EXPIRED:
            paused = int(d.get("suspended_business_days", 0))
            return [
                f"El plazo estuvo en pausa {_plural(paused, 'día hábil', 'días hábiles')}. "
                f"Nueva fecha límite: {_day(d.get('new_due_date'))}."
            ]
        case T.ASSIGNED:
            if d.get("to"):
                return [f"Responsable: {d.get('to_name') or 'otra persona'}."]
            return ["Devuelta a la bandeja del establecimiento (sin responsable)."]
        case T.NOTE:
            return [d.get("text", "")]
        case T.RECLASSIFIED:
            old = _label(Kind, d.get("from")) if d.get("from") else "sin clasificar"
            return [f"De {old.lower()} a {_label(Kind, d.get('to')).lower()}.", f"Motivo: {d.get('reason', '—')}"]
        case T.CLASSIFIED:
            old = f" (antes: {d['from']})" if d.get("from") else ""
            return [f"Causa: {d.get('to')} · {d.get('to_name', '')}{old}."]
        case T.STATUS_CHANGED:
            return [f"De «{_label(Status, d.get('from'))}» a «{_label(Status, d.get('to'))}»."]
        case T.RESPONDED:
            late = f"fuera del plazo (vencía el {_day(d.get('due_date'))})"
            on_time = "dentro del plazo" if d.get("on_time") else late
            return [
                f"Por {_label(ResponseChannel, d.get('channel')).lower()}, "
                f"comunicada el {_moment(d.get('communicated_at'))}: {on_time}."
            ]
        case T.GOOD_CLASSIFIED:
            old = f" (antes: {_label(GoodType, d['from']).lower()})" if d.get("from") else ""
            return [f"{_label(GoodType, d.get('to'))}{old}: el consumidor no lo indicó; SIREC lo pide."]
        case T.TRANSCRIBED:
            when = "fuera del plazo de un día calendario" if d.get("late") else "dentro del plazo de un día calendario"
            return [
                f"Hoja de respaldo (papel) Nº {d.get('backup_sheet_number', '—')}, "
                f"llenada el {_moment(d.get('paper_filed_at'))}.",
                f"Transcrita {when} (art. 4-A; debía ingresarse hasta el {_moment(d.get('transcribe_by'))}).",
            ]
        case T.ANONYMISED:
            return [
                f"Se reemplazaron los datos personales del consumidor ({len(d.get('fields', []))} campos).",
                d.get("reason", ""),
            ]
        case T.APPROVAL_REQUESTED | T.APPROVAL_GRANTED | T.APPROVAL_REFUSED:
            return _approval_lines(event.type, d)
        case T.REMEDY_DONE:  # handling.followup
            done = d.get("outcome") == "done"
            lines = [f"Cumplida el {_day(d.get('done_on'))}." if done else "La respuesta no prometía nada que cumplir."]
            if d.get("corrects"):
                lines.append(f"Corrige el registro anterior. Motivo: {d.get('reason') or '—'}")
            return lines
        case T.SURVEY_ANSWERED:
            solved = "sí" if d.get("solved") else "no"
            return [f"¿Se solucionó? {solved} · Satisfacción {d.get('csat')}/5 · Recomendación {d.get('nps')}/10."]
    return []


def _approval_lines(kind: str, d: dict) -> list[str]:
    """The approval step (handling.approvals): what was proposed, who proposed it, the supervisor's reason."""
    what = "Propuesta de solución" if d.get("kind") == "offer" else "Reclasificación"
    if kind == T.APPROVAL_REQUESTED:
        if d.get("kind") == "offer":
            return [f"{what} por aprobar: {d.get('text', '')}"]
        return [f"{what} por aprobar, a {_label(Kind, d.get('to')).lower()}.", f"Motivo: {d.get('reason', '—')}"]
    by = d.get("requested_by_name") or "—"
    if kind == T.APPROVAL_GRANTED:
        return [f"{what} de {by}, aprobada: se {'envía al consumidor' if d.get('kind') == 'offer' else 'aplica'}."]
    if d.get("lapsed"):  # ended by the hoja itself (answered, settled, closed, or done directly): no one decided
        return [f"{what} de {by}, sin efecto: {d.get('reason', '—')}"]
    return [f"{what} de {by}, devuelta sin enviar.", f"Motivo: {d.get('reason', '—')}"]


def timeline(events: list[ComplaintEvent], outbox: list[OutboundMessage]) -> list[dict]:
    """Events and outgoing messages, newest first. "Message queued" events are the message entries themselves."""
    items = [
        {
            "type": "event",
            "when": e.occurred_at,
            "title": e.get_type_display(),
            "lines": _event_lines(e),
            "actor": event_actor(e),
            "tone": _EVENT_TONES.get(e.type, ""),
            "is_note": e.type == T.NOTE,
            "order": (e.occurred_at, 1, e.pk),
        }
        for e in events
        if e.type != T.MESSAGE_QUEUED
    ]
    items += [
        {
            "type": "message",
            "when": m.created_at,
            "title": f"Correo: {m.get_kind_display()}",
            "message": m,
            "status_tone": MESSAGE_TONES.get(m.status, "secondary"),
            "actor": "Sistema",
            "order": (m.created_at, 0, m.pk),
        }
        for m in outbox
    ]
    return sorted(items, key=lambda item: item["order"], reverse=True)


def event_summary(event: ComplaintEvent) -> str:
    """One event in words, as the detail page tells it: the admin's history shows this, never the raw data."""
    return " ".join(line for line in _event_lines(event) if line)


def event_actor(event: ComplaintEvent) -> str:
    """Who did it, as the detail page names them (the consumer or the tracker when no person acted)."""
    return person_name(event.actor) or _NO_ACTOR.get(event.type, "Sistema")
