"""The council's meetings without the admin: schedule (date, time, place or link, attendees, establishment), the
agenda generated from the data and refreshed on the meeting day, attendance, notes per agenda item, decisions
(action items) and "Cerrar acta", after which the minutes are read-only. The agenda and the closed minutes are
e-mailed to the attendees through the outbox, each with an idempotency key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ..access import Scope
from ..book.models import Establishment
from ..book.pdf import printable
from ..outbox.keys import meeting_agenda_key, meeting_minutes_key
from ..outbox.models import OutboundMessage
from ..outbox.services import outbox_enqueue
from .models import ActionItem, CouncilMeeting
from .selectors import meeting_attendee_choices, meetings_writable
from .services import CouncilError, action_create, meeting_agenda_generate

# The agenda's items the minutes take notes against, in the agenda's order; "other" is for what came up besides.
AGENDA_ITEMS: tuple[tuple[str, str], ...] = (
    ("flags", "1. Nuevas alertas de causas recurrentes"),
    ("causes", "2. Principales causas desde la última reunión"),
    ("overdue", "3. Acciones vencidas"),
    ("verification", "4. Acciones por verificar y resultados"),
    ("survey", "5. Encuestas de satisfacción"),
    ("performance", "6. Desempeño de respuesta"),
    ("open_actions", "7. Todas las acciones abiertas"),
    ("other", "Otros temas"),
)
AGENDA_ITEM_KEYS = frozenset(key for key, _ in AGENDA_ITEMS)

NOTE_MAX = 4000
MINUTES_MAX = 20000
PLACE_MAX = 300
GUESTS_MAX = 300

MSG_NOT_RUNNER = "Solo el consejo de mejora y supervisión preparan y registran las reuniones."
MSG_CLOSED = "El acta de esta reunión ya está cerrada: no se puede modificar."
MSG_ESTABLISHMENT = "Elige uno de tus establecimientos."
MSG_ATTENDEES = "Elige como asistentes a personas del consejo que vean ese establecimiento."
MSG_NO_ATTENDEES = "Elige al menos un asistente."
MSG_ATTENDANCE_MISSING = "Marca si cada asistente estuvo presente o ausente antes de cerrar el acta."
MSG_NOBODY_PRESENT = "Para cerrar el acta debe haber al menos un asistente presente."
MSG_NOT_HELD_YET = "La reunión aún no se celebra: cierra el acta el día de la reunión o después."
MSG_TOO_LONG = "El texto es demasiado largo."
MSG_UNKNOWN_ITEM = "Ese punto no es de la agenda."
MSG_UNKNOWN_ATTENDEE = "Esa persona no está entre los asistentes de la reunión."


def meeting_scope(meeting: CouncilMeeting) -> Scope:
    """What the meeting's agenda covers: its establishment, or every one (a system scope: no one acts)."""
    ids = None if meeting.establishment_id is None else frozenset({meeting.establishment_id})
    return Scope(ids, can_act=False)


def _runner(scope: Scope) -> None:
    if not meetings_writable(scope=scope):
        raise PermissionDenied(MSG_NOT_RUNNER)


def _locked_meeting(meeting_id: int, scope: Scope, *, open_only: bool = True) -> CouncilMeeting:
    """The meeting locked for a change, if `scope` sees it (DoesNotExist otherwise) and runs meetings."""
    _runner(scope)
    meeting = scope.filter(CouncilMeeting.objects.select_for_update(), path="establishment").get(pk=meeting_id)
    if open_only and meeting.closed_at is not None:
        raise CouncilError(MSG_CLOSED)
    return meeting


def _check_establishment(scope: Scope, establishment: Establishment | None) -> None:
    if establishment is None:
        if not scope.is_everything:
            raise CouncilError(MSG_ESTABLISHMENT)  # a meeting of every establishment reads what they do not see
    elif not scope.allows(establishment.pk):
        raise CouncilError(MSG_ESTABLISHMENT)


def meeting_attendees_allowed(establishment: Establishment | None, attendee_ids: Iterable[int]) -> bool:
    """Every one of `attendee_ids` may attend a meeting of `establishment` (None: every establishment), so the
    agenda and minutes e-mailed to them hold nothing they may not read (shared with the admin's form)."""
    wanted = set(attendee_ids)
    allowed = set(
        meeting_attendee_choices(establishment_id=establishment.pk if establishment else None)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    return not wanted - allowed


def _check_attendees(establishment: Establishment | None, attendee_ids: Iterable[int]) -> list[int]:
    wanted = set(attendee_ids)
    if not wanted:
        raise CouncilError(MSG_NO_ATTENDEES)
    if not meeting_attendees_allowed(establishment, wanted):
        raise CouncilError(MSG_ATTENDEES)
    return sorted(wanted)


def _text(value: str) -> str:
    """Typed text as stored: control characters (pasted from elsewhere) never reach the e-mails, PDFs or pages."""
    return printable(value).strip()


@transaction.atomic
def meeting_save(
    *,
    scope: Scope,
    held_on: date,
    starts_at: time | None,
    place: str,
    establishment: Establishment | None,
    attendee_ids: Iterable[int],
    guests: str = "",
    meeting_id: int | None = None,
    now: datetime | None = None,
) -> CouncilMeeting:
    """Schedule a meeting (meeting_id None) or change its schedule while its minutes are open; its agenda is
    (re)generated from the data of its establishment (or all of them)."""
    _runner(scope)
    place, guests = _text(place), _text(guests)
    if len(place) > PLACE_MAX or len(guests) > GUESTS_MAX:
        raise CouncilError(MSG_TOO_LONG)
    _check_establishment(scope, establishment)
    attendees = _check_attendees(establishment, attendee_ids)
    meeting = CouncilMeeting(held_on=held_on) if meeting_id is None else _locked_meeting(meeting_id, scope)
    meeting.held_on, meeting.starts_at, meeting.place = held_on, starts_at, place
    meeting.establishment, meeting.guests = establishment, guests
    meeting.save()
    meeting.attendees.set(attendees)
    # attendance recorded for someone no longer invited goes with them
    meeting.attendance = {k: v for k, v in meeting.attendance.items() if int(k) in attendees}
    meeting.save(update_fields=["attendance", "updated_at"])
    return meeting_agenda_generate(meeting=meeting, scope=meeting_scope(meeting), now=now)


@transaction.atomic
def meeting_agenda_refresh(*, meeting_id: int, scope: Scope, now: datetime | None = None) -> CouncilMeeting:
    """Regenerate the agenda with today's data (the minutes must still be open: a closed meeting keeps the
    agenda it was held with)."""
    meeting = _locked_meeting(meeting_id, scope)
    return meeting_agenda_generate(meeting=meeting, scope=meeting_scope(meeting), now=now)


def _agenda_recipients(meeting: CouncilMeeting) -> list[str]:
    emails = meeting.attendees.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    return list(dict.fromkeys(e.lower() for e in emails))


def _agenda_queue(meeting: CouncilMeeting, today: date) -> int:
    queued = 0
    for email in _agenda_recipients(meeting):
        key = meeting_agenda_key(meeting_id=meeting.pk, today=today, recipient=email)
        if OutboundMessage.objects.filter(idempotency_key=key).exists():
            continue
        outbox_enqueue(
            kind=OutboundMessage.Kind.MEETING_AGENDA,
            recipient=email,
            idempotency_key=key,
            context={"meeting": meeting.pk, "date": today.isoformat()},
        )
        queued += 1
    return queued


@transaction.atomic
def meeting_agenda_send(*, meeting_id: int, scope: Scope, now: datetime | None = None) -> int:
    """E-mail the agenda to the attendees now (once per meeting, day and attendee). Returns the messages queued."""
    meeting = _locked_meeting(meeting_id, scope)
    return _agenda_queue(meeting, timezone.localdate(now or timezone.now()))


def meetings_day_prepare(*, now: datetime | None = None) -> dict:
    """The beat task's work, early on each day: every meeting held today (Lima) whose minutes are open gets its
    agenda regenerated with the data up to this morning and e-mailed to its attendees. Idempotent: the e-mails are
    keyed by meeting, day and attendee; a second run only regenerates the agenda."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    refreshed = queued = 0
    ids = CouncilMeeting.objects.filter(held_on=today, closed_at__isnull=True).values_list("pk", flat=True)
    for pk in list(ids):
        with transaction.atomic():
            meeting = CouncilMeeting.objects.select_for_update().get(pk=pk)
            if meeting.closed_at is not None or meeting.held_on != today:
                continue  # Race condition: closed or moved since the candidates were read
            meeting_agenda_generate(meeting=meeting, scope=meeting_scope(meeting), now=now)
            refreshed += 1
            queued += _agenda_queue(meeting, today)
    return {"refreshed": refreshed, "queued": queued}


@transaction.atomic
def meeting_minutes_record(
    *,
    meeting_id: int,
    scope: Scope,
    attendance: dict[int, bool | None],
    item_notes: dict[str, str],
    minutes: str,
) -> CouncilMeeting:
    """Attendance (True present, False absent, None not recorded yet), the notes per agenda item and the general
    minutes, written whole while the minutes are open."""
    meeting = _locked_meeting(meeting_id, scope)
    invited = set(meeting.attendees.values_list("pk", flat=True))
    if set(attendance) - invited:
        raise CouncilError(MSG_UNKNOWN_ATTENDEE)
    if set(item_notes) - AGENDA_ITEM_KEYS:
        raise CouncilError(MSG_UNKNOWN_ITEM)
    notes = {key: _text(text) for key, text in item_notes.items() if text and _text(text)}
    minutes = _text(minutes)
    if any(len(text) > NOTE_MAX for text in notes.values()) or len(minutes) > MINUTES_MAX:
        raise CouncilError(MSG_TOO_LONG)
    meeting.attendance = {str(pk): bool(present) for pk, present in attendance.items() if present is not None}
    meeting.item_notes = {key: notes[key] for key, _ in AGENDA_ITEMS if key in notes}
    meeting.minutes = minutes
    meeting.save(update_fields=["attendance", "item_notes", "minutes", "updated_at"])
    return meeting


@transaction.atomic
def meeting_decision_add(
    *,
    meeting_id: int,
    scope: Scope,
    title: str,
    owner,
    due_date: date,
    causes,
    target_reduction_pct: int = 30,
    verification_weeks: int = 8,
    today: date | None = None,
) -> ActionItem:
    """An action decided in the meeting: created by the council's service (baseline, owner who can act), for the
    meeting's establishment (or all of them)."""
    meeting = _locked_meeting(meeting_id, scope)
    return action_create(
        title=" ".join(printable(title).split()),
        owner=owner,
        due_date=due_date,
        causes=causes,
        establishment=meeting.establishment,
        target_reduction_pct=target_reduction_pct,
        verification_weeks=verification_weeks,
        meeting=meeting,
        created_by=scope.user,
        today=today,
    )


@transaction.atomic
def meeting_close(*, meeting_id: int, scope: Scope, now: datetime | None = None) -> CouncilMeeting:
    """ "Cerrar acta": once the meeting was held and every attendee is marked present or absent, the minutes
    become read-only and are e-mailed to the attendees (once per meeting and attendee)."""
    now = now or timezone.now()
    meeting = _locked_meeting(meeting_id, scope)
    if meeting.held_on > timezone.localdate(now):
        raise CouncilError(MSG_NOT_HELD_YET)
    invited = {str(pk) for pk in meeting.attendees.values_list("pk", flat=True)}
    if invited - set(meeting.attendance):
        raise CouncilError(MSG_ATTENDANCE_MISSING)
    if not any(meeting.attendance.get(pk) for pk in invited):
        raise CouncilError(MSG_NOBODY_PRESENT)
    meeting.closed_at, meeting.closed_by = now, scope.user
    meeting.save(update_fields=["closed_at", "closed_by", "updated_at"])
    for email in _agenda_recipients(meeting):
        outbox_enqueue(
            kind=OutboundMessage.Kind.MEETING_MINUTES,
            recipient=email,
            idempotency_key=meeting_minutes_key(meeting_id=meeting.pk, recipient=email),
            context={"meeting": meeting.pk},
        )
    return meeting
